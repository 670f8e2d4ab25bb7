//! `POST /chat`: one chat turn, answered whole (JSON) or streamed (`text/event-stream`),
//! plus the reply controls: stop, regenerate, choose an alternate. Who the turn is for
//! comes from the caller ([`ChatCaller`]), never from the body alone.

use super::caller::ChatCaller;
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath};
use super::openapi::ErrorBody;
use app::engine::ids::{MessageId, PersonaId, SessionId, WorkspaceId};
use app::engine::llm::StreamEvent;
use app::engine::turn::StreamingTurn;
use app::engine::{chat, personas, turn, AppState};
use app::error::AppError;
use app::types::TurnOutcome;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::time::Instant;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `POST /chat`, `POST /chat/sessions/{id}/stop`, `POST /chat/sessions/{id}/regenerate`,
/// `POST /chat/messages/{id}/alternate`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(chat_turn))
        .routes(routes!(stop))
        .routes(routes!(regenerate))
        .routes(routes!(choose_alternate))
}

/// The answer to a turn (also the `done` event of a streamed one). Described here; built
/// by `outcome_body` from the [`TurnOutcome`] plus the original's fields.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ChatAnswer {
    /// `replied` (200), `paused` (423: an operator halted the conversation) or `failed`
    /// (502: the LLM failed).
    status: String,
    /// The user's message, as stored (always: nothing a user sends is lost).
    user_message: app::types::Message,
    /// The reply's text, or the pause notice's; null when the turn failed.
    reply: Option<String>,
    /// The same text (the original's field).
    response: Option<String>,
    /// `paused`: the pause notice, as stored.
    notice: Option<app::types::Message>,
    /// `paused`: the notice's text (the original's field).
    detail: Option<String>,
    /// `failed`: why, for people.
    error: Option<String>,
    metadata: ChatMetadata,
}

/// The original's `metadata`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ChatMetadata {
    /// The persona's name.
    template_used: String,
    /// Messages in the chat session now.
    message_count: i64,
    /// From the request to the end of the turn, ms.
    response_time_ms: i64,
    session_id: i64,
}

#[derive(Deserialize, ToSchema)]
struct ChatBody {
    /// The end user an operator chats on behalf of, in the operator's own workspace
    /// (ignored for a browser or a logged-in end user: they chat as themselves).
    #[serde(default)]
    user_id: Option<String>,
    message: String,
    /// The persona by name (the original's field); default: the first persona `/chat` offers.
    #[serde(default)]
    template_name: Option<String>,
    /// The persona by id (instead of `template_name`).
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    persona_id: Option<PersonaId>,
    /// One of this user's chat sessions; default: their latest with the persona.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    session_id: Option<SessionId>,
    /// Workspace slug; an operator's must be their own (another one is 404).
    #[serde(default)]
    workspace: Option<String>,
    /// The original's guardrail configuration: a guardrail set's name (the workspace's or
    /// a preset), stored on the chat session for its later turns.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    guardrail_config: Option<Value>,
    /// Answer `text/event-stream` (also when the request accepts only that).
    #[serde(default)]
    stream: bool,
}

/// Whether the caller asked for a streamed answer: `"stream": true`, or an `Accept`
/// header naming `text/event-stream` (and not JSON).
fn wants_stream(body_stream: bool, headers: &HeaderMap) -> bool {
    let accept = headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    body_stream || (accept.contains("text/event-stream") && !accept.contains("application/json"))
}

/// One chat turn: the user's message, the persona's reply.
///
/// For the end user the caller acts for (see [`ChatCaller`]; 401 without an operator
/// session, an end-user login, an API key with the `chat` scope or an allowed chat cookie).
///
/// Not streamed, it answers the outcome (`status`: replied | paused | failed,
/// `user_message`, `reply`/`notice`) plus the original's `response` (the text) and
/// `metadata` (`template_used`, `message_count`, `response_time_ms`, `session_id`);
/// 423 while the user is halted (the message is stored; the body carries the pause
/// notice), 502 when the LLM failed (the message is stored).
///
/// Streamed (`"stream": true` or `Accept: text/event-stream`), it answers 200
/// `text/event-stream` once the message is stored: `event: waiting` `{"ahead": n}` while
/// the model serves others, `event: delta` `{"text": "…"}` per piece, then `event: done`
/// with the same JSON object the non-streamed answer gives — or `event: error`
/// `{"error": {"code", "message"}}` when the LLM failed (what was generated is stored,
/// marked incomplete).
///
/// Errors before anything is stored (and before any LLM call): 404 (persona, session or
/// workspace not the caller's), 409 (persona inactive; `session_id` is a chat with another
/// persona than `template_name`), 422 (input; `guardrail_config` not the name of an active
/// guardrail of the workspace or a preset — another workspace's is unknown too).
#[utoipa::path(
    post,
    path = "/chat",
    tag = "chat",
    request_body = ChatBody,
    responses(
        (status = 200, description = "The persona replied; streamed when asked (events `waiting`, `delta`, then `done` with this object, or `error`)", content(
            (ChatAnswer = "application/json"),
            (crate::http::openapi::ServerSentEvent = "text/event-stream"),
        )),
        (status = 404, description = "The persona, session or workspace is not the caller's", body = ErrorBody),
        (status = 409, description = "The persona is inactive, or the session is another persona's", body = ErrorBody),
        (status = 423, description = "Paused by an operator: the message is stored, the body carries the notice", body = ChatAnswer),
        (status = 502, description = "The LLM failed: the message is stored; try again", body = ChatAnswer),
    )
)]
async fn chat_turn(
    State(state): State<AppState>,
    caller: ChatCaller,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ChatBody>,
) -> Result<Response, ApiError> {
    let (ws, user_id) = caller.acts_for(&state, b.workspace.as_deref(), b.user_id.as_deref()).await?;
    let guardrail = match b.guardrail_config {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) if !name.trim().is_empty() => Some(name),
        Some(_) => return Err(AppError::invalid("guardrail_config", "name a guardrail configuration").into()),
    };
    let persona = match (b.persona_id, b.template_name) {
        (Some(id), _) => chat::PersonaChoice::Id(id),
        (None, Some(name)) => chat::PersonaChoice::Name(personas::parse_name(&name).map_err(|e| match e {
            AppError::Invalid { message, .. } => AppError::invalid("template_name", message),
            other => other,
        })?),
        (None, None) => chat::PersonaChoice::First,
    };
    let started = Instant::now();
    let req = turn::TurnRequest {
        workspace_id: ws,
        user_id,
        persona,
        session_id: b.session_id,
        text: b.message,
        guardrail,
        pin: turn::VersionPin::Unchanged,
    };
    let turn = turn::submit_streaming(&state, req).await?;
    answer(state, ws, turn, started, wants_stream(b.stream, &headers)).await
}

/// Answers a submitted turn: streamed, or whole once it ends.
async fn answer(
    state: AppState,
    ws: WorkspaceId,
    turn: StreamingTurn,
    started: Instant,
    stream: bool,
) -> Result<Response, ApiError> {
    if stream {
        return Ok(streamed(state, ws, turn, started).into_response());
    }
    let outcome = turn::join(turn.outcome).await?;
    let (status, body) = outcome_body(&state, ws, &outcome, started).await?;
    Ok((status, Json(body)).into_response())
}

/// The HTTP status and JSON body of a finished turn (see [`chat_turn`]).
async fn outcome_body(
    state: &AppState,
    ws: WorkspaceId,
    outcome: &TurnOutcome,
    started: Instant,
) -> Result<(http::StatusCode, Value), ApiError> {
    let response_time_ms = started.elapsed().as_millis() as i64;
    let (status, user_message, reply) = match outcome {
        TurnOutcome::Replied { user_message, reply } => (http::StatusCode::OK, user_message, Some(reply)),
        TurnOutcome::Paused { user_message, notice } => (http::StatusCode::LOCKED, user_message, Some(notice)),
        TurnOutcome::Failed { user_message, .. } => (AppError::LlmFailed.status(), user_message, None),
    };
    let session_id = user_message.session_id;
    let message_count = chat::session_message_count(&state.db, ws, SessionId(session_id)).await?;
    let mut body = serde_json::to_value(outcome).map_err(|e| app::engine::internal("chat json", e))?;
    let text = reply.map(|m| m.content.clone());
    body["reply"] = json!(text);
    body["response"] = json!(text);
    if let TurnOutcome::Paused { notice, .. } = outcome {
        body["detail"] = json!(notice.content);
    }
    body["metadata"] = json!({
        "template_used": user_message.persona_name,
        "message_count": message_count,
        "response_time_ms": response_time_ms,
        "session_id": session_id,
    });
    Ok((status, body))
}

/// The turn as Server-Sent Events (see [`chat_turn`]). A client that goes away stops
/// only its stream: the turn runs to the end.
fn streamed(
    state: AppState,
    ws: WorkspaceId,
    turn: StreamingTurn,
    started: Instant,
) -> Sse<impl futures::Stream<Item = Result<Event, Infallible>>> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let StreamingTurn { mut events, outcome, .. } = turn;
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            let event = match ev {
                StreamEvent::Delta(text) => Event::default().event("delta").json_data(json!({ "text": text })),
                StreamEvent::Waiting { ahead } => {
                    Event::default().event("waiting").json_data(json!({ "ahead": ahead }))
                }
            };
            if let Ok(event) = event {
                let _ = tx.send(event);
            }
        }
        let last = match turn::join(outcome).await {
            Ok(TurnOutcome::Failed { .. }) => error_event(&AppError::LlmFailed),
            Ok(outcome) => match outcome_body(&state, ws, &outcome, started).await {
                Ok((_, body)) => Event::default().event("done").json_data(body),
                Err(ApiError(e)) => error_event(&e),
            },
            Err(e) => error_event(&e),
        };
        if let Ok(event) = last {
            let _ = tx.send(event);
        }
    });
    let stream = futures::StreamExt::map(tokio_stream::wrappers::UnboundedReceiverStream::new(rx), Ok);
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// `event: error` for an error the turn ended with.
fn error_event(e: &AppError) -> Result<Event, axum::Error> {
    Event::default().event("error").json_data(json!({"error": {"code": e.code(), "message": e.to_string()}}))
}

#[derive(Deserialize, Default, ToSchema)]
struct ControlBody {
    /// The end user an operator acts for (ignored for a browser or an end user).
    #[serde(default)]
    user_id: Option<String>,
    /// Workspace slug; an operator's must be their own.
    #[serde(default)]
    workspace: Option<String>,
    /// Regenerate: answer `text/event-stream`.
    #[serde(default)]
    stream: bool,
}

/// The optional JSON body of stop and regenerate (none is fine). Errors: 422 `invalid`.
fn control_body(bytes: &[u8]) -> Result<ControlBody, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(ControlBody::default());
    }
    serde_json::from_slice(bytes).map_err(|e| AppError::invalid("body", format!("not a valid JSON body: {e}")).into())
}

/// `{"stopped", "session_id"}`.
#[derive(Serialize, ToSchema)]
struct Stopped {
    /// False when nothing was being generated.
    stopped: bool,
    #[schema(value_type = i64)]
    session_id: SessionId,
}

/// Stops the reply being generated.
///
/// Ends the reply being generated in the chat; what was generated so far is stored,
/// marked incomplete. Answers `{"stopped": bool, "session_id"}` (false when nothing was
/// being generated). The body is optional. 404 when the chat is not the caller's.
#[utoipa::path(
    post,
    path = "/chat/sessions/{id}/stop",
    tag = "chat",
    params(("id" = i64, Path, description = "The chat session")),
    request_body(content = Option<ControlBody>, description = "Optional"),
    responses(
        (status = 200, body = Stopped),
        (status = 404, description = "Not the caller's chat", body = ErrorBody),
    )
)]
async fn stop(
    State(state): State<AppState>,
    caller: ChatCaller,
    ApiPath(id): ApiPath<SessionId>,
    body: axum::body::Bytes,
) -> Result<Json<Stopped>, ApiError> {
    let b = control_body(&body)?;
    let (ws, user_id) = caller.acts_for(&state, b.workspace.as_deref(), b.user_id.as_deref()).await?;
    let stopped = turn::stop(&state, ws, &user_id, id).await?;
    Ok(Json(Stopped { stopped, session_id: id }))
}

/// Generates the chat's last reply again.
///
/// The earlier text stays as an alternate. Answers like `POST /chat` (streamed on
/// request). The body is optional. 404 (not the caller's chat), 409 (no reply yet;
/// conversation paused).
#[utoipa::path(
    post,
    path = "/chat/sessions/{id}/regenerate",
    tag = "chat",
    params(("id" = i64, Path, description = "The chat session")),
    request_body(content = Option<ControlBody>, description = "Optional"),
    responses(
        (status = 200, description = "The new reply (streamed when asked)", content(
            (ChatAnswer = "application/json"),
            (crate::http::openapi::ServerSentEvent = "text/event-stream"),
        )),
        (status = 404, description = "Not the caller's chat", body = ErrorBody),
        (status = 409, description = "No reply to regenerate yet, or the conversation is paused", body = ErrorBody),
        (status = 502, description = "The LLM failed; the earlier reply stays", body = ChatAnswer),
    )
)]
async fn regenerate(
    State(state): State<AppState>,
    caller: ChatCaller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<SessionId>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let b = control_body(&body)?;
    let (ws, user_id) = caller.acts_for(&state, b.workspace.as_deref(), b.user_id.as_deref()).await?;
    let started = Instant::now();
    let turn = turn::regenerate_streaming(&state, ws, &user_id, id).await?;
    answer(state, ws, turn, started, wants_stream(b.stream, &headers)).await
}

#[derive(Deserialize, ToSchema)]
struct AlternateBody {
    /// The version to choose, 1-based.
    alternate: i64,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    workspace: Option<String>,
}

/// Chooses which version of a regenerated reply counts.
///
/// `{"alternate": n}`: makes version n of a regenerated reply the one shown and sent in
/// later turns. Answers the message. 404 (not the caller's), 422 (no such version).
#[utoipa::path(
    post,
    path = "/chat/messages/{id}/alternate",
    tag = "chat",
    params(("id" = i64, Path, description = "The reply message")),
    request_body = AlternateBody,
    responses(
        (status = 200, description = "The message, showing the chosen version", body = app::types::Message),
        (status = 404, description = "Not the caller's message", body = ErrorBody),
    )
)]
async fn choose_alternate(
    State(state): State<AppState>,
    caller: ChatCaller,
    ApiPath(id): ApiPath<MessageId>,
    ApiJson(b): ApiJson<AlternateBody>,
) -> Result<Json<app::types::Message>, ApiError> {
    let (ws, user_id) = caller.acts_for(&state, b.workspace.as_deref(), b.user_id.as_deref()).await?;
    Ok(Json(turn::choose_alternate(&state, ws, &user_id, id, b.alternate).await?))
}
