//! `POST /chat`: one chat turn on behalf of an end user, for scripts (the browser's chat
//! page uses server functions).

use super::error::ApiError;
use super::extract::{ApiJson, Operator};
use app::engine::ids::{PersonaId, SessionId};
use app::engine::{chat, personas, turn, AppState};
use app::error::AppError;
use app::types::TurnOutcome;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// `POST /chat`.
pub fn router() -> Router<AppState> {
    Router::new().route("/chat", post(chat_turn))
}

#[derive(Deserialize)]
struct ChatBody {
    /// The end user the operator chats on behalf of, in the operator's own workspace.
    user_id: String,
    message: String,
    /// The persona by name (the original's field); default: the first persona `/chat` offers.
    #[serde(default)]
    template_name: Option<String>,
    /// The persona by id (instead of `template_name`).
    #[serde(default)]
    persona_id: Option<PersonaId>,
    /// One of this user's chat sessions; default: their latest with the persona.
    #[serde(default)]
    session_id: Option<SessionId>,
    /// Workspace slug; must be the operator's own (another one is 404).
    #[serde(default)]
    workspace: Option<String>,
    /// The original's guardrail configuration: refused until guardrails exist.
    #[serde(default)]
    guardrail_config: Option<serde_json::Value>,
}

/// `POST /chat` (operator session required; 401 without): one turn on behalf of
/// `user_id` in the operator's workspace. Answers the outcome (`status`: replied | paused
/// | failed, `user_message`, `reply`/`notice`) plus the original's `response` (the text)
/// and `metadata` (`template_used`, `message_count`, `response_time_ms`, `session_id`).
/// 423 while the user is halted (the message is stored; the body carries the pause
/// notice), 502 when the LLM failed (the message is stored). Errors before anything is
/// stored: 404 (persona, session or workspace not the operator's), 409 (persona
/// inactive), 422 (input; `guardrail_config` until guardrails exist).
async fn chat_turn(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<ChatBody>,
) -> Result<Response, ApiError> {
    let ws = op.workspace();
    if let Some(slug) = b.workspace.as_deref() {
        if chat::chat_workspace(&state, Some(slug)).await? != ws {
            return Err(AppError::not_found("workspace").into());
        }
    }
    if b.guardrail_config.as_ref().is_some_and(|g| !g.is_null()) {
        return Err(AppError::invalid("guardrail_config", "guardrails are not available on this server yet").into());
    }
    let persona = match (b.persona_id, b.template_name) {
        (Some(id), _) => chat::PersonaChoice::Id(id),
        (None, Some(name)) => chat::PersonaChoice::Name(personas::parse_name(&name).map_err(|e| match e {
            AppError::Invalid { message, .. } => AppError::invalid("template_name", message),
            other => other,
        })?),
        (None, None) => chat::PersonaChoice::First,
    };
    let started = std::time::Instant::now();
    let req =
        turn::TurnRequest { workspace_id: ws, user_id: b.user_id, persona, session_id: b.session_id, text: b.message };
    let outcome = turn::submit(&state, req).await?;
    let response_time_ms = started.elapsed().as_millis() as i64;
    let (status, user_message, reply) = match &outcome {
        TurnOutcome::Replied { user_message, reply } => (http::StatusCode::OK, user_message, Some(reply)),
        TurnOutcome::Paused { user_message, notice } => (http::StatusCode::LOCKED, user_message, Some(notice)),
        TurnOutcome::Failed { user_message, .. } => (AppError::LlmFailed.status(), user_message, None),
    };
    let session_id = user_message.session_id;
    let message_count = chat::session_message_count(&state.db, ws, SessionId(session_id)).await?;
    let mut body = serde_json::to_value(&outcome).map_err(|e| app::engine::internal("chat json", e))?;
    let text = reply.map(|m| m.content.clone());
    body["reply"] = json!(text);
    body["response"] = json!(text);
    if let TurnOutcome::Paused { notice, .. } = &outcome {
        body["detail"] = json!(notice.content);
    }
    body["metadata"] = json!({
        "template_used": user_message.persona_name,
        "message_count": message_count,
        "response_time_ms": response_time_ms,
        "session_id": session_id,
    });
    Ok((status, Json(body)).into_response())
}
