//! The OpenAI-compatible API, so any OpenAI client library talks to a persona unchanged:
//!
//! - `GET /v1/models` → `{"object": "list", "data": [{"id": "<persona>", "object": "model",
//!   "created": <s>, "owned_by": "promptdev"}]}`: the personas chat offers.
//! - `POST /v1/chat/completions` `{"model", "messages", "user", "stream", "metadata"}` →
//!   a `chat.completion` (or, with `"stream": true`, `chat.completion.chunk` events ending
//!   in `data: [DONE]`).
//!
//! `model` names a persona (`Ava`, `Ava@staging`, `Ava@v3`: see
//! [`app::engine::completions`]); `user` names the end user (required: 400 without).
//! **Only the last `user` message of `messages` is used**: it runs through the whole
//! pipeline (stored first, memory, guardrails, halts, injections, the request log, the
//! live monitor) with the server's own history of that user's most recent chat with the
//! persona — or of the chat `metadata.session_id` names —, and the earlier messages of
//! the request are ignored. The persona's version settings decide temperature and
//! length: the request's sampling fields are ignored too. A halted conversation answers
//! the pause notice as the assistant's content and calls no LLM.
//!
//! Who may call: an API key with the `chat` scope (`Authorization: Bearer pd_…`), or an
//! operator's session, acting in their workspace (see [`ChatCaller`]). Every answer
//! carries a `promptdev` object beside the standard fields: `status` (`replied` |
//! `paused`), `session_id`, `message_id` (the reply or notice), `user_message_id` (and,
//! on the last chunk of a stream, `content`: the text stored — it differs from the
//! streamed text only when an output guardrail replaced the reply mid-stream).
//!
//! Errors use OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`: 400
//! `invalid_request_error` (body, `user`, `messages`), 401, 403, 404 `model_not_found`,
//! 409 (persona inactive), 502 `api_error` when the persona's LLM failed (the message
//! is stored), 500 with the request id.

use super::caller::ChatCaller;
use super::error::ApiError;
use app::engine::completions;
use app::engine::ids::{MessageId, PersonaId, SessionId, WorkspaceId};
use app::engine::llm::StreamEvent;
use app::engine::turn::{self, StreamingTurn};
use app::engine::AppState;
use app::error::AppError;
use app::types::{Message, TurnOutcome};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::convert::Infallible;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `GET /v1/models`, `POST /v1/chat/completions`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(models)).routes(routes!(completions))
}

/// The shapes of this API for its OpenAPI description (the handlers build the same JSON
/// with `json!`, field for field as OpenAI's API reference has them).
#[allow(dead_code)]
mod shapes {
    use utoipa::ToSchema;

    /// `{"error": {…}}` in OpenAI's shape.
    #[derive(ToSchema)]
    pub struct OpenAiErrorBody {
        pub error: OpenAiErrorDetail,
    }

    #[derive(ToSchema)]
    pub struct OpenAiErrorDetail {
        pub message: String,
        /// `invalid_request_error`, `authentication_error`, `permission_error`,
        /// `rate_limit_error` or `api_error`.
        #[schema(rename = "type")]
        pub kind: String,
        /// The request field to blame, if one is.
        pub param: Option<String>,
        /// `model_not_found`, `invalid_api_key`, or PromptDev's error code.
        pub code: String,
    }

    /// `GET /v1/models`'s answer.
    #[derive(ToSchema)]
    pub struct ModelList {
        /// Always `list`.
        pub object: String,
        pub data: Vec<Model>,
    }

    /// A persona, as a model.
    #[derive(ToSchema)]
    pub struct Model {
        /// The persona's name (add `@label` or `@v3` to pin a version).
        pub id: String,
        /// Always `model`.
        pub object: String,
        /// Always 0.
        pub created: i64,
        /// Always `promptdev`.
        pub owned_by: String,
    }

    /// A `chat.completion`.
    #[derive(ToSchema)]
    pub struct ChatCompletion {
        /// `chatcmpl-<the user message's id>`.
        pub id: String,
        /// Always `chat.completion`.
        pub object: String,
        /// Seconds since the Unix epoch.
        pub created: i64,
        /// The `model` of the request.
        pub model: String,
        /// Always null.
        pub system_fingerprint: Option<String>,
        /// Exactly one.
        pub choices: Vec<Choice>,
        pub usage: Usage,
        pub promptdev: Extension,
    }

    #[derive(ToSchema)]
    pub struct Choice {
        /// Always 0.
        pub index: i64,
        pub message: AssistantMessage,
        /// Always null.
        #[schema(value_type = Option<Object>)]
        pub logprobs: Option<()>,
        /// `stop`, or `length` when the reply stopped at the persona's `max_tokens`.
        pub finish_reason: String,
    }

    #[derive(ToSchema)]
    pub struct AssistantMessage {
        /// Always `assistant`.
        pub role: String,
        /// The reply, or the pause notice while an operator halted the conversation.
        pub content: String,
        /// Always null.
        pub refusal: Option<String>,
    }

    /// Tokens of the turn's LLM call (0 when none was made: a paused conversation).
    #[derive(ToSchema)]
    pub struct Usage {
        pub prompt_tokens: i64,
        pub completion_tokens: i64,
        pub total_tokens: i64,
    }

    /// PromptDev's own fields of an answer.
    #[derive(ToSchema)]
    pub struct Extension {
        /// `replied` or `paused`.
        pub status: String,
        pub session_id: i64,
        /// The reply (or pause notice) as stored.
        pub message_id: i64,
        pub user_message_id: i64,
    }

    /// `POST /v1/chat/completions`'s body (OpenAI's; fields not listed are accepted and
    /// ignored).
    #[derive(ToSchema)]
    pub struct CompletionRequest {
        /// A persona's name: `Ava`, `Ava@staging` (a label), `Ava@v3` (a version).
        pub model: String,
        /// Only the last `user` message is used (the server keeps the history).
        pub messages: Vec<InputMessage>,
        /// The end user this conversation is with (required).
        pub user: Option<String>,
        /// Answer `chat.completion.chunk` events ending in `data: [DONE]`.
        pub stream: Option<bool>,
        /// `session_id`: continue that chat (default: the user's latest with the persona).
        #[schema(value_type = Option<Object>)]
        pub metadata: Option<()>,
    }

    #[derive(ToSchema)]
    pub struct InputMessage {
        /// `system`, `user`, `assistant`, …
        pub role: String,
        /// A string, or an array of parts of which the `text` ones are read.
        #[schema(value_type = Object)]
        pub content: (),
    }
}

use shapes::{ChatCompletion, CompletionRequest, ModelList, OpenAiErrorBody};

/// An error in OpenAI's shape (see the module docs for the statuses).
pub struct OpenAiError(pub AppError);

impl From<AppError> for OpenAiError {
    fn from(e: AppError) -> Self {
        OpenAiError(e)
    }
}

impl From<ApiError> for OpenAiError {
    fn from(e: ApiError) -> Self {
        OpenAiError(e.0)
    }
}

impl OpenAiError {
    /// The status and the `error` object.
    fn parts(&self) -> (http::StatusCode, Value) {
        use http::StatusCode as S;
        let e = &self.0;
        let (status, kind, code, param) = match e {
            AppError::Invalid { field, .. } => (S::BAD_REQUEST, "invalid_request_error", None, field.clone()),
            AppError::TooLarge { .. } => (S::PAYLOAD_TOO_LARGE, "invalid_request_error", None, None),
            AppError::Unauthorized | AppError::BadCredentials => {
                (S::UNAUTHORIZED, "authentication_error", Some("invalid_api_key"), None)
            }
            AppError::Forbidden { .. } => (S::FORBIDDEN, "permission_error", None, None),
            AppError::NotFound { what } if what.starts_with("model ") => {
                (S::NOT_FOUND, "invalid_request_error", Some("model_not_found"), Some("model".into()))
            }
            AppError::NotFound { .. } => (S::NOT_FOUND, "invalid_request_error", None, None),
            AppError::Conflict { .. } => (S::CONFLICT, "invalid_request_error", None, None),
            AppError::RateLimited { .. } => (S::TOO_MANY_REQUESTS, "rate_limit_error", None, None),
            _ => (e.status(), "api_error", None, None),
        };
        let code = code.unwrap_or(e.code());
        (status, json!({"message": e.to_string(), "type": kind, "param": param, "code": code}))
    }
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let (status, error) = self.parts();
        (status, Json(json!({ "error": error }))).into_response()
    }
}

/// The personas chat offers, as models.
///
/// The personas of the caller's workspace that chat offers (an API key with the `chat`
/// scope, or an operator session).
#[utoipa::path(
    get,
    path = "/v1/models",
    tag = "openai",
    responses(
        (status = 200, body = ModelList),
        (status = 401, description = "No valid API key", body = OpenAiErrorBody),
        (status = 403, description = "The key lacks the `chat` scope, or the caller is not a key or operator", body = OpenAiErrorBody),
        (status = 500, description = "Something failed on the server", body = OpenAiErrorBody),
    )
)]
async fn models(
    State(state): State<AppState>,
    caller: Result<ChatCaller, ApiError>,
) -> Result<Json<Value>, OpenAiError> {
    let ws = workspace_of(&caller?)?;
    let data: Vec<Value> = completions::models(&state.db, ws)
        .await?
        .into_iter()
        .map(|p| json!({"id": p.name, "object": "model", "created": 0, "owned_by": "promptdev"}))
        .collect();
    Ok(Json(json!({ "object": "list", "data": data })))
}

/// The workspace of a caller that may act for any end user (a key, an operator). Others
/// (a browser, an end-user login) are 403: this API names the user.
fn workspace_of(caller: &ChatCaller) -> Result<WorkspaceId, OpenAiError> {
    caller
        .operator()
        .map(|op| op.workspace())
        .ok_or_else(|| AppError::forbidden("use an API key with the chat scope (Authorization: Bearer pd_…)").into())
}

#[derive(Deserialize)]
struct CompletionBody {
    model: String,
    messages: Vec<InputMessage>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, Value>>,
}

#[derive(Deserialize)]
struct InputMessage {
    role: String,
    #[serde(default)]
    content: Option<Value>,
}

/// The text of a message's `content`: a string, or the `text` parts of an array.
fn content_text(content: &Option<Value>) -> Option<String> {
    match content {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(parts)) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        }
        _ => None,
    }
}

/// `metadata.session_id`: a chat id as a string (OpenAI metadata values are strings) or
/// a number. Errors: 400 otherwise.
fn session_of(metadata: &Option<serde_json::Map<String, Value>>) -> Result<Option<SessionId>, AppError> {
    let Some(v) = metadata.as_ref().and_then(|m| m.get("session_id")) else { return Ok(None) };
    let id = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        Value::Null => return Ok(None),
        _ => None,
    };
    id.filter(|id| *id > 0)
        .map(|id| Some(SessionId(id)))
        .ok_or_else(|| AppError::invalid("metadata.session_id", "give the chat's id, e.g. \"42\""))
}

/// Chats with a persona, OpenAI-style.
///
/// Only the last `user` message of `messages` is used: it runs through the whole
/// pipeline with the server's own history of the user's chat with the persona. `user`
/// is required. See the module docs of `server::http::openai`.
#[utoipa::path(
    post,
    path = "/v1/chat/completions",
    tag = "openai",
    request_body = CompletionRequest,
    responses(
        (status = 200, description = "The completion; with `stream`, `chat.completion.chunk` events ending in `data: [DONE]`", content(
            (ChatCompletion = "application/json"),
            (crate::http::openapi::ServerSentEvent = "text/event-stream"),
        )),
        (status = 400, description = "A bad body, no `user`, no user message (`invalid_request_error`)", body = OpenAiErrorBody),
        (status = 401, description = "No valid API key", body = OpenAiErrorBody),
        (status = 403, description = "The key lacks the `chat` scope", body = OpenAiErrorBody),
        (status = 404, description = "No such persona (`model_not_found`)", body = OpenAiErrorBody),
        (status = 409, description = "The persona is inactive", body = OpenAiErrorBody),
        (status = 413, description = "The body is too large", body = OpenAiErrorBody),
        (status = 500, description = "Something failed on the server", body = OpenAiErrorBody),
        (status = 502, description = "The persona's LLM failed (the message is stored)", body = OpenAiErrorBody),
    )
)]
async fn completions(
    State(state): State<AppState>,
    caller: Result<ChatCaller, ApiError>,
    body: Bytes,
) -> Result<Response, OpenAiError> {
    let caller = caller?;
    let ws = workspace_of(&caller)?;
    let b: CompletionBody = serde_json::from_slice(&body)
        .map_err(|e| AppError::Invalid { field: None, message: format!("the request body is not valid: {e}") })?;
    let user = b.user.as_deref().map(str::trim).filter(|u| !u.is_empty()).ok_or_else(|| {
        AppError::invalid("user", "name the end user this conversation is with: \"user\": \"<their id>\"")
    })?;
    let (_, user_id) = caller.acts_for(&state, None, Some(user)).await?;
    let text = b
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .and_then(|m| content_text(&m.content))
        .ok_or_else(|| AppError::invalid("messages", "send at least one message with \"role\": \"user\""))?;
    let session_id = session_of(&b.metadata)?;
    let model = completions::resolve_model(&state.db, ws, &b.model).await?;
    let req = turn::TurnRequest {
        workspace_id: ws,
        user_id,
        persona: app::engine::chat::PersonaChoice::Id(PersonaId(model.persona.id)),
        session_id,
        text,
        guardrail: None,
        pin: model.pin,
    };
    let turn = turn::submit_streaming(&state, req).await?;
    let reply = Reply { id: format!("chatcmpl-{}", turn.user_message.id), model: b.model.clone(), created: now_s() };
    if b.stream {
        return Ok(streamed(turn, reply).into_response());
    }
    let user_message = MessageId(turn.user_message.id);
    let outcome = turn::join(turn.outcome).await?;
    let (message, status) = finished(outcome)?;
    let (prompt, completion) = completions::usage(&state.db, ws, user_message).await?;
    Ok(Json(json!({
        "id": reply.id,
        "object": "chat.completion",
        "created": reply.created,
        "model": reply.model,
        "system_fingerprint": null,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": message.content, "refusal": null},
            "logprobs": null,
            "finish_reason": finish_reason(&message),
        }],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        "promptdev": extension(&message, status, user_message),
    }))
    .into_response())
}

/// Seconds since the Unix epoch (OpenAI's `created`).
fn now_s() -> i64 {
    app::engine::now_ms() / 1000
}

/// What every answer of one request shares.
struct Reply {
    id: String,
    model: String,
    created: i64,
}

/// The message a finished turn answers with and its `promptdev.status`. Errors: 502
/// when the LLM failed.
fn finished(outcome: TurnOutcome) -> Result<(Message, &'static str), AppError> {
    match outcome {
        TurnOutcome::Replied { reply, .. } => Ok((reply, "replied")),
        TurnOutcome::Paused { notice, .. } => Ok((notice, "paused")),
        TurnOutcome::Failed { .. } => Err(AppError::LlmFailed),
    }
}

/// `length` when the reply stopped at the persona's `max_tokens`, else `stop`.
fn finish_reason(m: &Message) -> &'static str {
    if m.truncated {
        "length"
    } else {
        "stop"
    }
}

/// The `promptdev` object of an answer.
fn extension(m: &Message, status: &str, user_message: MessageId) -> Value {
    json!({"status": status, "session_id": m.session_id, "message_id": m.id, "user_message_id": user_message.get()})
}

/// The turn as `chat.completion.chunk` events (see the module docs). A client that goes
/// away stops only its stream: the turn runs to the end.
fn streamed(turn: StreamingTurn, reply: Reply) -> Sse<impl futures::Stream<Item = Result<Event, Infallible>>> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let StreamingTurn { mut events, outcome, user_message } = turn;
    let chunk = move |delta: Value, finish: Option<&str>, extra: Option<Value>| {
        let mut c = json!({
            "id": reply.id,
            "object": "chat.completion.chunk",
            "created": reply.created,
            "model": reply.model,
            "system_fingerprint": null,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        });
        if let Some(extra) = extra {
            c["promptdev"] = extra;
        }
        Event::default().data(c.to_string())
    };
    tokio::spawn(async move {
        let _ = tx.send(chunk(json!({"role": "assistant", "content": ""}), None, None));
        let mut sent = String::new();
        while let Some(ev) = events.recv().await {
            let event = match ev {
                StreamEvent::Delta(text) => {
                    sent.push_str(&text);
                    chunk(json!({ "content": text }), None, None)
                }
                StreamEvent::Waiting { ahead } => Event::default().comment(format!("waiting: {ahead} ahead")),
            };
            let _ = tx.send(event);
        }
        let user_message = MessageId(user_message.id);
        let last = match turn::join(outcome).await.and_then(finished) {
            Ok((message, status)) => {
                // What was not streamed comes now: a pause notice, a reply that came
                // whole. A reply a guardrail replaced mid-stream cannot be taken back:
                // the last chunk's `promptdev.content` is the text stored.
                if let Some(rest) = message.content.strip_prefix(sent.as_str()).filter(|r| !r.is_empty()) {
                    let _ = tx.send(chunk(json!({ "content": rest }), None, None));
                }
                let mut extra = extension(&message, status, user_message);
                extra["content"] = json!(message.content);
                chunk(json!({}), Some(finish_reason(&message)), Some(extra))
            }
            Err(e) => {
                let (_, error) = OpenAiError(e).parts();
                Event::default().data(json!({ "error": error }).to_string())
            }
        };
        let _ = tx.send(last);
        let _ = tx.send(Event::default().data("[DONE]"));
    });
    let stream = futures::StreamExt::map(tokio_stream::wrappers::UnboundedReceiverStream::new(rx), Ok);
    Sse::new(stream).keep_alive(KeepAlive::default())
}
