//! A user's conversation for scripts: `GET /admin/conversations/{user_id}` (the
//! original's shape), `GET /admin/conversations/{user_id}/export` (JSON download, or
//! Markdown with `?format=markdown`) and `…/export.md`, and
//! `DELETE /admin/users/{user_id}/conversations` (clears it; the UI asks first).
//! Messages are [`Message`]s plus the original's `role`; times are ms.

use crate::http::error::ApiError;
use crate::http::extract::Operator;
use app::engine::conversations::{self, Export};
use app::engine::{monitor, AppState};
use app::error::AppError;
use app::types::Message;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use http::header;
use serde::Deserialize;
use serde_json::{json, Value};

/// The conversation, export and clear routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/conversations/{user_id}", get(conversation))
        .route("/admin/conversations/{user_id}/export", get(export))
        .route("/admin/conversations/{user_id}/export.md", get(export_markdown))
        .route("/admin/users/{user_id}/conversations", delete(clear))
}

fn message_json(m: &Message) -> Result<Value, ApiError> {
    let mut v = serde_json::to_value(m).map_err(|e| app::engine::internal("message json", e))?;
    v["role"] = json!(conversations::role(m.sender));
    Ok(v)
}

#[derive(Deserialize)]
struct LimitQuery {
    /// 1–1000, default 100 (the newest).
    #[serde(default)]
    limit: Option<i64>,
}

/// `GET /admin/conversations/{user_id}?limit=` → `{"user_id", "message_count", "state":
/// "active" | "halted", "messages": [message + role…]}` (the newest `limit`, oldest first).
async fn conversation(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
    Query(q): Query<LimitQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::invalid("limit", "limit is 1 to 1000").into());
    }
    let c = monitor::conversation(&state.db, op.workspace(), &user_id).await?;
    let total = c.messages.len();
    let shown = &c.messages[total.saturating_sub(limit as usize)..];
    let messages = shown.iter().map(message_json).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({
        "user_id": c.user_id,
        "message_count": total,
        "state": if c.state.halted { "halted" } else { "active" },
        "messages": messages,
    })))
}

#[derive(Deserialize)]
struct ExportQuery {
    /// `json` (default) or `markdown` (`md`).
    #[serde(default)]
    format: Option<String>,
}

/// `GET /admin/conversations/{user_id}/export[?format=markdown]`: JSON `{"user_id",
/// "exported_at", "message_count", "state", "messages", "notes"}` as a download, or the
/// Markdown export (`text/markdown`). Errors: `Invalid` (format), `NotFound`.
async fn export(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let e = conversations::export(&state.db, op.workspace(), &user_id).await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => json_download(&e),
        "markdown" | "md" => Ok(markdown_download(&e)),
        _ => Err(AppError::invalid("format", "format is json or markdown").into()),
    }
}

/// `GET /admin/conversations/{user_id}/export.md`: the Markdown export.
async fn export_markdown(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
) -> Result<Response, ApiError> {
    let e = conversations::export(&state.db, op.workspace(), &user_id).await?;
    Ok(markdown_download(&e))
}

fn attachment(name: &str) -> String {
    format!("attachment; filename=\"{name}\"")
}

fn json_download(e: &Export) -> Result<Response, ApiError> {
    let messages = e.messages.iter().map(message_json).collect::<Result<Vec<_>, _>>()?;
    let body = json!({
        "user_id": e.user_id,
        "exported_at": e.exported_at,
        "message_count": e.messages.len(),
        "state": if e.state.halted { "halted" } else { "active" },
        "messages": messages,
        "notes": e.notes,
    });
    let disposition = attachment(&conversations::file_name(e, "json"));
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(body)).into_response())
}

fn markdown_download(e: &Export) -> Response {
    let disposition = attachment(&conversations::file_name(e, "md"));
    (
        [
            (header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        conversations::markdown(e),
    )
        .into_response()
}

/// `DELETE /admin/users/{user_id}/conversations` → `{"user_id", "deleted"}` (messages
/// deleted); audited. Errors: `NotFound` (not a user of this workspace).
async fn clear(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let deleted = conversations::clear(&state, op.workspace(), &user_id, &op.email).await?;
    Ok(Json(json!({"user_id": user_id, "deleted": deleted})))
}
