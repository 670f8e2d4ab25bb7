//! A user's conversation for scripts: `GET /admin/conversations/{user_id}` (the
//! original's shape), `GET /admin/conversations/{user_id}/export` (JSON download, or
//! Markdown with `?format=markdown`) and `…/export.md`, and
//! `DELETE /admin/users/{user_id}/conversations` (clears it; the UI asks first).
//! Messages are [`Message`]s plus the original's `role`; times are ms.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiPath, ApiQuery, Operator};
use app::engine::conversations::{self, Export};
use app::engine::{monitor, AppState};
use app::error::AppError;
use app::types::{Message, OperatorNote, UserState};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::header;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The conversation, export and clear routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(conversation))
        .routes(routes!(export))
        .routes(routes!(export_markdown))
        .routes(routes!(clear))
}

/// A [`Message`] with the original's `role`.
#[derive(Serialize, ToSchema)]
struct RoleMessage {
    #[serde(flatten)]
    message: Message,
    /// `user`, `assistant` (the persona's or an operator's) or `system` (the pause notice).
    role: &'static str,
}

impl From<Message> for RoleMessage {
    fn from(message: Message) -> Self {
        RoleMessage { role: conversations::role(message.sender), message }
    }
}

/// Whether an operator halted the conversation.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum ConversationState {
    Active,
    Halted,
}

impl From<&UserState> for ConversationState {
    fn from(s: &UserState) -> Self {
        if s.halted {
            ConversationState::Halted
        } else {
            ConversationState::Active
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LimitQuery {
    /// The newest this many messages (default 100).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// `{"user_id", "message_count", "state", "messages"}` (the original's).
#[derive(Serialize, ToSchema)]
struct ConversationMessages {
    user_id: String,
    /// All the conversation's messages (the newest 500 at most), not only those shown.
    message_count: usize,
    state: ConversationState,
    /// The newest `limit`, oldest first.
    messages: Vec<RoleMessage>,
}

/// A user's newest messages, in the original's shape.
#[utoipa::path(
    get,
    path = "/admin/conversations/{user_id}",
    tag = "conversations",
    params(("user_id" = String, Path, description = "The end user's id (as the chat or the API names them)"), LimitQuery),
    responses(
        (status = 200, body = ConversationMessages),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn conversation(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<LimitQuery>,
) -> ApiResult<ConversationMessages> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::invalid("limit", "limit is 1 to 1000").into());
    }
    let c = monitor::conversation(&state.db, op.workspace(), &user_id).await?;
    let total = c.messages.len();
    let skipped = total.saturating_sub(limit as usize);
    Ok(Json(ConversationMessages {
        state: ConversationState::from(&c.state),
        user_id: c.user_id,
        message_count: total,
        messages: c.messages.into_iter().skip(skipped).map(RoleMessage::from).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `json` (default) or `markdown` (`md`).
    #[serde(default)]
    format: Option<String>,
}

/// The JSON export: `{"user_id", "exported_at", "message_count", "state", "messages", "notes"}`.
#[derive(Serialize, ToSchema)]
struct ConversationExport {
    user_id: String,
    /// When it was made (ms).
    exported_at: i64,
    message_count: usize,
    state: ConversationState,
    /// Oldest first, every chat, with operator authors.
    messages: Vec<RoleMessage>,
    /// Operators' hidden notes to the persona, oldest first.
    notes: Vec<OperatorNote>,
}

/// Exports a user's conversation as a JSON or Markdown download.
///
/// Every chat's messages (oldest first) and hidden notes; the Markdown has a heading per
/// chat, each message with its author and time (UTC), notes as quotes.
#[utoipa::path(
    get,
    path = "/admin/conversations/{user_id}/export",
    tag = "conversations",
    params(("user_id" = String, Path, description = "The end user's id"), ExportQuery),
    responses(
        (status = 200, description = "The export, as an attachment",
            headers(("content-disposition" = String, description = "`attachment; filename=\"conversation_{user}_{YYYYmmdd_HHMMSS}.json\"` (`.md`)")),
            content((ConversationExport = "application/json"), (String = "text/markdown"))),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn export(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let e = conversations::export(&state.db, op.workspace(), &user_id).await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(json_download(e)),
        "markdown" | "md" => Ok(markdown_download(&e)),
        _ => Err(AppError::invalid("format", "format is json or markdown").into()),
    }
}

/// Exports a user's conversation as a Markdown download.
///
/// As `…/export?format=markdown`.
#[utoipa::path(
    get,
    path = "/admin/conversations/{user_id}/export.md",
    tag = "conversations",
    params(("user_id" = String, Path, description = "The end user's id")),
    responses(
        (status = 200, description = "The Markdown export, as an attachment", content_type = "text/markdown", body = String,
            headers(("content-disposition" = String, description = "`attachment; filename=\"conversation_{user}_{YYYYmmdd_HHMMSS}.md\"`"))),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn export_markdown(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let e = conversations::export(&state.db, op.workspace(), &user_id).await?;
    Ok(markdown_download(&e))
}

fn attachment(name: &str) -> String {
    format!("attachment; filename=\"{name}\"")
}

fn json_download(e: Export) -> Response {
    let disposition = attachment(&conversations::file_name(&e, "json"));
    let body = ConversationExport {
        state: ConversationState::from(&e.state),
        message_count: e.messages.len(),
        user_id: e.user_id,
        exported_at: e.exported_at,
        messages: e.messages.into_iter().map(RoleMessage::from).collect(),
        notes: e.notes,
    };
    ([(header::CONTENT_DISPOSITION, disposition)], Json(body)).into_response()
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

/// `{"user_id", "deleted"}`.
#[derive(Serialize, ToSchema)]
struct ConversationCleared {
    user_id: String,
    /// How many messages were deleted.
    deleted: i64,
}

/// Clears a user's conversation: every chat with its messages and hidden notes.
///
/// Memory, state and assignment stay. Audited.
#[utoipa::path(
    delete,
    path = "/admin/users/{user_id}/conversations",
    tag = "conversations",
    params(("user_id" = String, Path, description = "The end user's id")),
    responses(
        (status = 200, description = "Cleared", body = ConversationCleared),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn clear(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
) -> ApiResult<ConversationCleared> {
    let deleted = conversations::clear(&state, op.workspace(), &user_id, &op.email).await?;
    Ok(Json(ConversationCleared { user_id, deleted }))
}
