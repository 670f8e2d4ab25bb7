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
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::openapi::ErrorBody;
use app::engine::chat_sessions::{self, Archived, Owner};
use app::engine::ids::{PersonaId, SessionId, WorkspaceId};
use app::engine::{chat, personas, AppState};
use app::error::AppError;
use app::types::{ChatSummary, Message, Sender};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `/chat/sessions`, `/chat/sessions/{id}` (+ `/archive`, `/unarchive`, `/messages`),
/// `/chat/history`, `/chat/history/{user_id}`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, rename, remove))
        .routes(routes!(archive))
        .routes(routes!(unarchive))
        .routes(routes!(session_messages))
        .routes(routes!(history))
        .routes(routes!(clear_history))
}

/// Who and where, as a query names them: the end user (operators) and the workspace slug.
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
struct Who {
    /// The end user an operator acts for (ignored for a browser or an end user).
    #[serde(default)]
    user_id: Option<String>,
    /// Workspace slug (also `w`); an operator's must be their own.
    #[serde(default, alias = "w")]
    workspace: Option<String>,
}

/// A chat: [`ChatSummary`] plus the original's names.
#[derive(Serialize, ToSchema)]
struct ChatJson {
    #[serde(flatten)]
    chat: ChatSummary,
    /// = `id`.
    session_id: i64,
    /// = `persona_name`.
    template_name: String,
}

/// A message: [`Message`] plus the original's `role`.
#[derive(Serialize, ToSchema)]
struct MessageJson {
    #[serde(flatten)]
    message: Message,
    /// `user`, `assistant` (operator messages too) or `system` (notices).
    role: &'static str,
}

/// `GET /chat/sessions`'s answer.
#[derive(Serialize, ToSchema)]
struct ChatList {
    user_id: String,
    count: usize,
    sessions: Vec<ChatJson>,
}

/// `DELETE /chat/sessions/{id}`'s answer.
#[derive(Serialize, ToSchema)]
struct ChatDeleted {
    id: i64,
    /// = `id`.
    session_id: i64,
    /// Always true.
    deleted: bool,
    /// Messages deleted.
    deleted_count: i64,
}

/// `GET /chat/sessions/{id}/messages`'s answer.
#[derive(Serialize, ToSchema)]
struct ChatMessages {
    session_id: i64,
    /// Oldest first.
    messages: Vec<MessageJson>,
    total_count: usize,
}

/// `GET /chat/history`'s answer.
#[derive(Serialize, ToSchema)]
struct History {
    user_id: String,
    /// Oldest first.
    messages: Vec<MessageJson>,
    /// Messages in all, beyond this page too.
    total_count: i64,
}

/// `DELETE /chat/history/{user_id}`'s answer.
#[derive(Serialize, ToSchema)]
struct HistoryCleared {
    user_id: String,
    /// Messages deleted.
    deleted_count: i64,
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
fn chat_json(c: ChatSummary) -> ChatJson {
    ChatJson { session_id: c.id, template_name: c.persona_name.clone(), chat: c }
}

/// A message in the original's shape (see the module docs).
fn message_json(m: Message) -> MessageJson {
    let role = match m.sender {
        Sender::User => "user",
        Sender::Assistant | Sender::Operator => "assistant",
        Sender::Notice => "system",
    };
    MessageJson { message: m, role }
}

fn messages_json(ms: Vec<Message>) -> Vec<MessageJson> {
    ms.into_iter().map(message_json).collect()
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
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// The end user (operators: required).
    #[serde(default)]
    user_id: Option<String>,
    /// Workspace slug (also `w`).
    #[serde(default, alias = "w")]
    workspace: Option<String>,
    /// Only chats with this persona.
    #[serde(default)]
    #[param(value_type = Option<i64>)]
    persona_id: Option<PersonaId>,
    /// Only chats with this persona, by name.
    #[serde(default)]
    template_name: Option<String>,
    /// true: only archived chats; false: only the others.
    #[serde(default)]
    archived: Option<bool>,
    /// The original's switch: archived chats too.
    #[serde(default)]
    include_archived: bool,
}

/// The user's chats, most recently active first.
///
/// `{"user_id", "count", "sessions": [chat…]}`. Filters: `persona_id` or `template_name`
/// (unknown: 404), `archived=true|false`, or `include_archived=true`; default: the chats
/// not archived. Operators name the user (`user_id`; 422 without).
#[utoipa::path(
    get,
    path = "/chat/sessions",
    tag = "chat",
    params(ListQuery),
    responses(
        (status = 200, body = ChatList),
        (status = 404, description = "No such persona or workspace", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: ChatCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ChatList>, ApiError> {
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
    let sessions: Vec<ChatJson> = chats.into_iter().map(chat_json).collect();
    Ok(Json(ChatList { user_id: user, count: sessions.len(), sessions }))
}

#[derive(Deserialize, Default, ToSchema)]
struct CreateBody {
    /// The end user an operator creates the chat for.
    #[serde(default)]
    user_id: Option<String>,
    /// The persona by name; default: the first persona `/chat` offers.
    #[serde(default)]
    template_name: Option<String>,
    /// The persona by id.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    persona_id: Option<PersonaId>,
    /// 1–100 characters; default: named by its first message.
    #[serde(default)]
    title: Option<String>,
    /// Workspace slug.
    #[serde(default)]
    workspace: Option<String>,
}

/// Starts a new, empty chat.
///
/// JSON body optional; `user_id` may also be in the query, as the original's
/// `?user_id=`: a new empty chat with `template_name` or `persona_id` (default: the first
/// persona `/chat` offers), optionally titled. 201 with the chat; 404 for an unknown
/// persona, 409 when it is inactive, 422 for a bad title.
#[utoipa::path(
    post,
    path = "/chat/sessions",
    tag = "chat",
    params(Who),
    request_body(content = Option<CreateBody>, description = "Optional"),
    responses(
        (status = 201, description = "The new chat", body = ChatJson),
        (status = 404, description = "No such persona or workspace", body = ErrorBody),
        (status = 409, description = "The persona is inactive", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    caller: ChatCaller,
    ApiQuery(who): ApiQuery<Who>,
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
    Ok((StatusCode::CREATED, Json(chat_json(created))).into_response())
}

/// One chat.
///
/// 404 when it is not the caller's to see.
#[utoipa::path(
    get,
    path = "/chat/sessions/{id}",
    tag = "chat",
    params(("id" = i64, Path, description = "The chat session"), Who),
    responses((status = 200, body = ChatJson), (status = 404, description = "Not the caller's chat", body = ErrorBody))
)]
async fn read(
    State(state): State<AppState>,
    caller: ChatCaller,
    ApiPath(id): ApiPath<SessionId>,
    ApiQuery(who): ApiQuery<Who>,
) -> Result<Json<ChatJson>, ApiError> {
    let (ws, user) = owner_scope(&caller, &state, &who).await?;
    Ok(Json(chat_json(chat_sessions::get(&state, ws, owner(&user), id).await?)))
}

#[derive(Deserialize, ToSchema)]
struct RenameBody {
    /// The new title (1–100 characters); null or absent: called by its first message again.
    title: Option<String>,
    /// The end user an operator acts for.
    #[serde(default)]
    user_id: Option<String>,
}

/// Renames a chat.
///
/// `{"title"}`: renames the chat and answers it. 422 for a bad title, 404 when it is not
/// the caller's.
#[utoipa::path(
    put,
    path = "/chat/sessions/{id}",
    tag = "chat",
    params(("id" = i64, Path, description = "The chat session"), Who),
    request_body = RenameBody,
    responses((status = 200, body = ChatJson), (status = 404, description = "Not the caller's chat", body = ErrorBody))
)]
async fn rename(
    State(state): State<AppState>,
    caller: ChatCaller,
    ApiPath(id): ApiPath<SessionId>,
    ApiQuery(mut who): ApiQuery<Who>,
    ApiJson(b): ApiJson<RenameBody>,
) -> Result<Json<ChatJson>, ApiError> {
    who.user_id = b.user_id.or(who.user_id);
    let (ws, user) = owner_scope(&caller, &state, &who).await?;
    let renamed = chat_sessions::rename(&state, ws, owner(&user), id, b.title.as_deref()).await?;
    Ok(Json(chat_json(renamed)))
}

/// Archives a chat.
///
/// Answers the chat (`archived`: true).
#[utoipa::path(
    post,
    path = "/chat/sessions/{id}/archive",
    tag = "chat",
    params(("id" = i64, Path, description = "The chat session"), Who),
    responses((status = 200, body = ChatJson), (status = 404, description = "Not the caller's chat", body = ErrorBody))
)]
async fn archive(
    State(state): State<AppState>,
    caller: ChatCaller,
    ApiPath(id): ApiPath<SessionId>,
    ApiQuery(who): ApiQuery<Who>,
) -> Result<Json<ChatJson>, ApiError> {
    let (ws, user) = owner_scope(&caller, &state, &who).await?;
    Ok(Json(chat_json(chat_sessions::archive(&state, ws, owner(&user), id).await?)))
}

/// Takes a chat out of the archive.
///
/// Answers the chat.
#[utoipa::path(
    post,
    path = "/chat/sessions/{id}/unarchive",
    tag = "chat",
    params(("id" = i64, Path, description = "The chat session"), Who),
    responses((status = 200, body = ChatJson), (status = 404, description = "Not the caller's chat", body = ErrorBody))
)]
async fn unarchive(
    State(state): State<AppState>,
    caller: ChatCaller,
    ApiPath(id): ApiPath<SessionId>,
    ApiQuery(who): ApiQuery<Who>,
) -> Result<Json<ChatJson>, ApiError> {
    let (ws, user) = owner_scope(&caller, &state, &who).await?;
    Ok(Json(chat_json(chat_sessions::unarchive(&state, ws, owner(&user), id).await?)))
}

/// Deletes a chat and its messages.
///
/// `{"id", "session_id", "deleted": true, "deleted_count"}` (messages deleted).
#[utoipa::path(
    delete,
    path = "/chat/sessions/{id}",
    tag = "chat",
    params(("id" = i64, Path, description = "The chat session"), Who),
    responses((status = 200, body = ChatDeleted), (status = 404, description = "Not the caller's chat", body = ErrorBody))
)]
async fn remove(
    State(state): State<AppState>,
    caller: ChatCaller,
    ApiPath(id): ApiPath<SessionId>,
    ApiQuery(who): ApiQuery<Who>,
) -> Result<Json<ChatDeleted>, ApiError> {
    let (ws, user) = owner_scope(&caller, &state, &who).await?;
    let deleted = chat_sessions::delete(&state, ws, owner(&user), id).await?;
    Ok(Json(ChatDeleted { id: id.0, session_id: id.0, deleted: true, deleted_count: deleted }))
}

/// A chat's messages, oldest first.
///
/// `{"session_id", "messages": [message…], "total_count"}`.
#[utoipa::path(
    get,
    path = "/chat/sessions/{id}/messages",
    tag = "chat",
    params(("id" = i64, Path, description = "The chat session"), Who),
    responses((status = 200, body = ChatMessages), (status = 404, description = "Not the caller's chat", body = ErrorBody))
)]
async fn session_messages(
    State(state): State<AppState>,
    caller: ChatCaller,
    ApiPath(id): ApiPath<SessionId>,
    ApiQuery(who): ApiQuery<Who>,
) -> Result<Json<ChatMessages>, ApiError> {
    let (ws, user) = owner_scope(&caller, &state, &who).await?;
    let messages = chat_sessions::messages(&state, ws, owner(&user), id).await?;
    let total_count = messages.len();
    Ok(Json(ChatMessages { session_id: id.0, messages: messages_json(messages), total_count }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    /// The end user (operators: required).
    #[serde(default)]
    user_id: Option<String>,
    /// Workspace slug (also `w`).
    #[serde(default, alias = "w")]
    workspace: Option<String>,
    /// Messages per page, at least 1; default: all.
    #[serde(default)]
    limit: Option<i64>,
    /// Messages to skip, at least 0.
    #[serde(default)]
    offset: i64,
    /// Only this chat's messages.
    #[serde(default)]
    #[param(value_type = Option<i64>)]
    session_id: Option<SessionId>,
}

/// The user's messages across their chats (the original's).
///
/// Or of `session_id`, oldest first, `limit` (≥ 1) from `offset` (≥ 0) —
/// `{"user_id", "messages": [message…], "total_count"}`.
#[utoipa::path(
    get,
    path = "/chat/history",
    tag = "chat",
    params(HistoryQuery),
    responses((status = 200, body = History), (status = 404, description = "No such chat or workspace", body = ErrorBody))
)]
async fn history(
    State(state): State<AppState>,
    caller: ChatCaller,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<History>, ApiError> {
    if q.limit.is_some_and(|l| l < 1) {
        return Err(AppError::invalid("limit", "limit is at least 1").into());
    }
    if q.offset < 0 {
        return Err(AppError::invalid("offset", "offset is at least 0").into());
    }
    let (ws, user) = caller.acts_for(&state, q.workspace.as_deref(), q.user_id.as_deref()).await?;
    let (messages, total) = chat_sessions::history(&state, ws, &user, q.session_id, q.limit, q.offset).await?;
    Ok(Json(History { user_id: user, messages: messages_json(messages), total_count: total }))
}

/// Deletes all of a user's chats and messages.
///
/// Operators only (403 for an end user; an API key needs `manage`): deletes all the
/// user's chats and messages in the operator's workspace — `{"user_id", "deleted_count"}`.
#[utoipa::path(
    delete,
    path = "/chat/history/{user_id}",
    tag = "chat",
    params(("user_id" = String, Path, description = "The end user")),
    responses((status = 200, body = HistoryCleared))
)]
async fn clear_history(
    State(state): State<AppState>,
    caller: ChatCaller,
    ApiPath(user_id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let Some(op) = caller.operator() else {
        return Err(AppError::forbidden("only an operator may clear a user's history").into());
    };
    if let ChatCaller::Key(key) = &caller {
        key.require(app::types::ApiScope::Manage)?;
    }
    let user_id = chat::parse_user_id(&user_id)?;
    let deleted = chat_sessions::clear_history(&state, op.workspace(), &user_id).await?;
    Ok(Json(HistoryCleared { user_id, deleted_count: deleted }).into_response())
}
