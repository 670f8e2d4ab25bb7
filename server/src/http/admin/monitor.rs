//! Watching and steering conversations: `GET /admin/users`, `GET /admin/users/{user_id}`,
//! `POST /admin/interventions/{user_id}/halt|resume|inject`.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, Operator};
use app::engine::ids::SessionId;
use app::engine::{monitor, turn, AppState};
use app::types::{Conversation, EndUserSummary, UserState};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// The user list, conversation and intervention routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/interventions/{user_id}/halt", post(halt))
        .route("/admin/interventions/{user_id}/resume", post(resume))
        .route("/admin/interventions/{user_id}/inject", post(inject))
        .route("/admin/users", get(users))
        .route("/admin/users/{user_id}", get(conversation))
}

#[derive(Deserialize)]
struct HaltBody {
    /// Kept for compatibility; the operator recorded is the logged-in one.
    #[serde(default)]
    #[allow(dead_code)]
    operator: Option<String>,
    reason: String,
}

async fn halt(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
    ApiJson(b): ApiJson<HaltBody>,
) -> ApiResult<UserState> {
    Ok(Json(monitor::halt(&state, op.workspace(), &user_id, &op.email, &b.reason).await?))
}

#[derive(Deserialize)]
struct ResumeQuery {
    /// Kept for compatibility; the operator recorded is the logged-in one.
    #[serde(default)]
    #[allow(dead_code)]
    operator: Option<String>,
}

async fn resume(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
    Query(_q): Query<ResumeQuery>,
) -> ApiResult<UserState> {
    Ok(Json(turn::resume(&state, op.workspace(), &user_id, &op.email).await?))
}

#[derive(Deserialize)]
struct InjectBody {
    /// The text (`content` in the original API; `message` is accepted too).
    #[serde(alias = "message")]
    content: String,
    /// One of the user's chat sessions; default: their most recent one.
    #[serde(default)]
    session_id: Option<i64>,
    /// Kept for compatibility; the operator recorded is the logged-in one.
    #[serde(default)]
    #[allow(dead_code)]
    operator: Option<String>,
}

/// `POST /admin/interventions/{user_id}/inject` `{"content"}` → 201 with the stored
/// message, plus the original's `user_id`, `message_id` and `operator`.
async fn inject(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
    ApiJson(b): ApiJson<InjectBody>,
) -> Result<(http::StatusCode, Json<serde_json::Value>), ApiError> {
    let m =
        monitor::inject(&state, op.workspace(), &user_id, &op.email, &b.content, b.session_id.map(SessionId)).await?;
    let mut body = serde_json::to_value(&m).map_err(|e| app::engine::internal("inject json", e))?;
    body["user_id"] = json!(user_id);
    body["message_id"] = json!(m.id);
    body["operator"] = json!(op.email);
    Ok((http::StatusCode::CREATED, Json(body)))
}

async fn users(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<Vec<EndUserSummary>> {
    Ok(Json(monitor::list_users(&state.db, op.workspace()).await?))
}

async fn conversation(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
) -> ApiResult<Conversation> {
    Ok(Json(monitor::conversation(&state.db, op.workspace(), &user_id).await?))
}
