//! An end user's chats over REST (issue 9, "Several chats"), the original's paths:
//! `/chat/sessions…` and `/chat/history…`. The caller ([`ChatCaller`]) decides whose
//! chats: a browser its own (the `pd_uid` cookie), an operator any user's of their own
//! workspace (`user_id` in the query or body). A chat id of someone else, or of another
//! workspace, is 404 — never their data.
//!
//! A chat is sent as [`ChatSummary`] plus the original's names `session_id` (= `id`) and
//! `template_name` (= `persona_name`); a message as [`Message`] plus the original's `role`
//! (`user`, `assistant` — operator messages too —, or `system` for notices). Times are ms
//! since the epoch.

use super::caller::ChatCaller;
use super::error::ApiError;
use super::extract::ApiJson;
use app::engine::chat_sessions::{self, Archived, Owner};
use app::engine::ids::{PersonaId, SessionId, WorkspaceId};
use app::engine::{chat, personas, AppState};
use app::error::AppError;
use app::types::{ChatSummary, Message, Sender};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// `/chat/sessions`, `/chat/sessions/{id}` (+ `/archive`, `/unarchive`, `/messages`),
/// `/chat/history`, `/chat/history/{user_id}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chat/sessions", get(list).post(create))
        .route("/chat/sessions/{id}", get(read).put(rename).delete(remove))
        .route("/chat/sessions/{id}/archive", post(archive))
        .route("/chat/sessions/{id}/unarchive", post(unarchive))
        .route("/chat/sessions/{id}/messages", get(session_messages))
        .route("/chat/history", get(history))
        .route("/chat/history/{user_id}", axum::routing::delete(clear_history))
}

/// Who and where, as a query names them: the end user (operators) and the workspace slug.
#[derive(Deserialize, Default)]
struct Who {
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default, alias = "w")]
    workspace: Option<String>,
}

/// The workspace and whose chats an id route may touch: a browser only its own; an
/// operator the named user's, or (no `user_id`) any user's of their workspace.
async fn owner_scope(
    caller: &ChatCaller,
    state: &AppState,
    who: &Who,
) -> Result<(WorkspaceId, Option<String>), ApiError> {
    if let (Some(op), None) = (caller.operator(), &who.user_id) {
        let ws = op.workspace();
        if let Some(slug) = who.workspace.as_deref() {
            if chat::chat_workspace(state, Some(slug)).await? != ws {
                return Err(AppError::not_found("workspace").into());
            }
        }
        return Ok((ws, None));
    }
    let (ws, user) = caller.acts_for(state, who.workspace.as_deref(), who.user_id.as_deref()).await?;
    Ok((ws, Some(user)))
}

fn owner(user: &Option<String>) -> Owner<'_> {
    match user {
        Some(u) => Owner::User(u),
        None => Owner::Workspace,
    }
}

/// A chat in the original's shape (see the module docs).
fn chat_json(c: &ChatSummary) -> Result<Value, ApiError> {
    let mut v = serde_json::to_value(c).map_err(|e| app::engine::internal("chat json", e))?;
    v["session_id"] = json!(c.id);
    v["template_name"] = json!(c.persona_name);
    Ok(v)
}

/// A message in the original's shape (see the module docs).
fn message_json(m: &Message) -> Result<Value, ApiError> {
    let mut v = serde_json::to_value(m).map_err(|e| app::engine::internal("message json", e))?;
    v["role"] = json!(match m.sender {
        Sender::User => "user",
        Sender::Assistant | Sender::Operator => "assistant",
        Sender::Notice => "system",
    });
    Ok(v)
}

fn messages_json(ms: &[Message]) -> Result<Vec<Value>, ApiError> {
    ms.iter().map(message_json).collect()
}

/// A persona by the original's `template_name` or by id (`persona_id` wins).
fn persona_choice(
    persona_id: Option<PersonaId>,
    template_name: Option<&str>,
) -> Result<Option<chat::PersonaChoice>, ApiError> {
    Ok(match (persona_id, template_name) {
        (Some(id), _) => Some(chat::PersonaChoice::Id(id)),
        (None, Some(name)) => Some(chat::PersonaChoice::Name(personas::parse_name(name).map_err(|e| match e {
            AppError::Invalid { message, .. } => AppError::invalid("template_name", message),
            other => other,
        })?)),
        (None, None) => None,
    })
}

// The query structs repeat `Who`'s fields: under `serde(flatten)` a query's numbers and
// booleans would not parse (every value is buffered as a string).
#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default, alias = "w")]
    workspace: Option<String>,
    #[serde(default)]
    persona_id: Option<PersonaId>,
    #[serde(default)]
    template_name: Option<String>,
    /// true: only archived chats; false: only the others.
    #[serde(default)]
    archived: Option<bool>,
    /// The original's switch: archived chats too.
    #[serde(default)]
    include_archived: bool,
}

/// `GET /chat/sessions`: the user's chats, most recently active first —
/// `{"user_id", "count", "sessions": [chat…]}`. Filters: `persona_id` or `template_name`
/// (unknown: 404), `archived=true|false`, or `include_archived=true`; default: the chats
/// not archived. Operators name the user (`user_id`; 422 without).
async fn list(
    State(state): State<AppState>,
    caller: ChatCaller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let (ws, user) = caller.acts_for(&state, q.workspace.as_deref(), q.user_id.as_deref()).await?;
    let persona = match persona_choice(q.persona_id, q.template_name.as_deref())? {
        Some(choice) => Some(PersonaId(chat::chat_persona(&state.db, ws, &choice).await?.0.id)),
        None => None,
    };
    let archived = match (q.archived, q.include_archived) {
        (Some(true), _) => Archived::Only,
        (Some(false), _) => Archived::Without,
        (None, true) => Archived::Included,
        (None, false) => Archived::Without,
    };
    let chats = chat_sessions::list(&state, ws, &user, persona, archived).await?;
    let sessions = chats.iter().map(chat_json).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "user_id": user, "count": sessions.len(), "sessions": sessions })))
}

#[derive(Deserialize, Default)]
struct CreateBody {
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    template_name: Option<String>,
    #[serde(default)]
    persona_id: Option<PersonaId>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    workspace: Option<String>,
}

/// `POST /chat/sessions` (JSON body optional; `user_id` may also be in the query, as the
/// original's `?user_id=`): a new empty chat with `template_name` or `persona_id`
/// (default: the first persona `/chat` offers), optionally titled. 201 with the chat;
/// 404 for an unknown persona, 409 when it is inactive, 422 for a bad title.
async fn create(
    State(state): State<AppState>,
    caller: ChatCaller,
    Query(who): Query<Who>,
    raw: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let body: CreateBody = if raw.iter().all(u8::is_ascii_whitespace) {
        CreateBody::default()
    } else {
        serde_json::from_slice(&raw)
            .map_err(|e| AppError::Invalid { field: None, message: format!("the request body is not valid: {e}") })?
    };
    let user_id = body.user_id.as_deref().or(who.user_id.as_deref());
    let slug = body.workspace.as_deref().or(who.workspace.as_deref());
    let (ws, user) = caller.acts_for(&state, slug, user_id).await?;
    let title = body.title.as_deref().map(chat_sessions::parse_title).transpose()?;
    let choice = persona_choice(body.persona_id, body.template_name.as_deref())?.unwrap_or(chat::PersonaChoice::First);
    let mut created = chat_sessions::create(&state, ws, &user, &choice).await?;
    if let Some(title) = title {
        let id = SessionId(created.id);
        created = chat_sessions::rename(&state, ws, Owner::User(&user), id, Some(&title)).await?;
    }
    Ok((StatusCode::CREATED, Json(chat_json(&created)?)).into_response())
}

/// `GET /chat/sessions/{id}`: one chat. 404 when it is not the caller's to see.
async fn read(
    State(state): State<AppState>,
    caller: ChatCaller,
    Path(id): Path<SessionId>,
    Query(who): Query<Who>,
) -> Result<Json<Value>, ApiError> {
    let (ws, user) = owner_scope(&caller, &state, &who).await?;
    Ok(Json(chat_json(&chat_sessions::get(&state, ws, owner(&user), id).await?)?))
}

#[derive(Deserialize)]
struct RenameBody {
    /// The new title (1–100 characters); null or absent: called by its first message again.
    title: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
}

/// `PUT /chat/sessions/{id}` `{"title"}`: renames the chat and answers it. 422 for a bad
/// title, 404 when it is not the caller's.
async fn rename(
    State(state): State<AppState>,
    caller: ChatCaller,
    Path(id): Path<SessionId>,
    Query(mut who): Query<Who>,
    ApiJson(b): ApiJson<RenameBody>,
) -> Result<Json<Value>, ApiError> {
    who.user_id = b.user_id.or(who.user_id);
    let (ws, user) = owner_scope(&caller, &state, &who).await?;
    let renamed = chat_sessions::rename(&state, ws, owner(&user), id, b.title.as_deref()).await?;
    Ok(Json(chat_json(&renamed)?))
}

/// `POST /chat/sessions/{id}/archive`: archives the chat and answers it (`archived`: true).
async fn archive(
    State(state): State<AppState>,
    caller: ChatCaller,
    Path(id): Path<SessionId>,
    Query(who): Query<Who>,
) -> Result<Json<Value>, ApiError> {
    let (ws, user) = owner_scope(&caller, &state, &who).await?;
    Ok(Json(chat_json(&chat_sessions::archive(&state, ws, owner(&user), id).await?)?))
}

/// `POST /chat/sessions/{id}/unarchive`: takes the chat out of the archive and answers it.
async fn unarchive(
    State(state): State<AppState>,
    caller: ChatCaller,
    Path(id): Path<SessionId>,
    Query(who): Query<Who>,
) -> Result<Json<Value>, ApiError> {
    let (ws, user) = owner_scope(&caller, &state, &who).await?;
    Ok(Json(chat_json(&chat_sessions::unarchive(&state, ws, owner(&user), id).await?)?))
}

/// `DELETE /chat/sessions/{id}`: deletes the chat and its messages —
/// `{"id", "session_id", "deleted": true, "deleted_count"}` (messages deleted).
async fn remove(
    State(state): State<AppState>,
    caller: ChatCaller,
    Path(id): Path<SessionId>,
    Query(who): Query<Who>,
) -> Result<Json<Value>, ApiError> {
    let (ws, user) = owner_scope(&caller, &state, &who).await?;
    let deleted = chat_sessions::delete(&state, ws, owner(&user), id).await?;
    Ok(Json(json!({ "id": id, "session_id": id, "deleted": true, "deleted_count": deleted })))
}

/// `GET /chat/sessions/{id}/messages`: `{"session_id", "messages": [message…], "total_count"}`,
/// oldest first.
async fn session_messages(
    State(state): State<AppState>,
    caller: ChatCaller,
    Path(id): Path<SessionId>,
    Query(who): Query<Who>,
) -> Result<Json<Value>, ApiError> {
    let (ws, user) = owner_scope(&caller, &state, &who).await?;
    let messages = chat_sessions::messages(&state, ws, owner(&user), id).await?;
    Ok(Json(json!({ "session_id": id, "messages": messages_json(&messages)?, "total_count": messages.len() })))
}

#[derive(Deserialize)]
struct HistoryQuery {
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default, alias = "w")]
    workspace: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    offset: i64,
    /// Only this chat's messages.
    #[serde(default)]
    session_id: Option<SessionId>,
}

/// `GET /chat/history` (the original's): the user's messages across their chats (or of
/// `session_id`), oldest first, `limit` (≥ 1) from `offset` (≥ 0) —
/// `{"user_id", "messages": [message…], "total_count"}`.
async fn history(
    State(state): State<AppState>,
    caller: ChatCaller,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Value>, ApiError> {
    if q.limit.is_some_and(|l| l < 1) {
        return Err(AppError::invalid("limit", "limit is at least 1").into());
    }
    if q.offset < 0 {
        return Err(AppError::invalid("offset", "offset is at least 0").into());
    }
    let (ws, user) = caller.acts_for(&state, q.workspace.as_deref(), q.user_id.as_deref()).await?;
    let (messages, total) = chat_sessions::history(&state, ws, &user, q.session_id, q.limit, q.offset).await?;
    Ok(Json(json!({ "user_id": user, "messages": messages_json(&messages)?, "total_count": total })))
}

/// `DELETE /chat/history/{user_id}` (operators only: 403 for an end user): deletes all
/// the user's chats and messages in the operator's workspace — `{"user_id", "deleted_count"}`.
async fn clear_history(
    State(state): State<AppState>,
    caller: ChatCaller,
    Path(user_id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(op) = caller.operator() else {
        return Err(AppError::forbidden("only an operator may clear a user's history").into());
    };
    if let ChatCaller::Key(key) = &caller {
        key.require(app::types::ApiScope::Manage)?;
    }
    let user_id = chat::parse_user_id(&user_id)?;
    let deleted = chat_sessions::clear_history(&state, op.workspace(), &user_id).await?;
    Ok(Json(json!({ "user_id": user_id, "deleted_count": deleted })).into_response())
}
