//! The chat's building blocks: input parsing, personas offered, end users and sessions,
//! stored messages, the history a template sees, rendering the prompt, the LLM call and
//! the request log. The turn itself (order, queueing, tasks) is in [`super::turn`].

use super::db::Db;
use super::llm::{CompletionRequest, LlmError};
use super::{now_ms, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{
    ChatHistory, ChatMessage, ChatPersona, DeclaredVariable, LiveEvent, Message, ModelSettings, PersonaKind, Sender,
};
use serde_json::json;
use sqlx::Row;

/// Longest message an end user may send, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Longest end-user id, in characters.
pub const MAX_USER_ID_CHARS: usize = 128;

/// An end user's id as the chat UI or an API client names it: 1–128 characters, no
/// control characters. Errors: `Invalid` (field `user_id`).
pub fn parse_user_id(id: &str) -> AppResult<String> {
    let id = id.trim();
    if id.is_empty() || id.chars().count() > MAX_USER_ID_CHARS || id.chars().any(char::is_control) {
        return Err(AppError::invalid("user_id", format!("a user id is 1 to {MAX_USER_ID_CHARS} characters")));
    }
    Ok(id.to_string())
}

/// A chat message's text: not blank, at most [`MAX_MESSAGE_CHARS`]. Errors: `Invalid` (field `message`).
pub fn parse_message(text: &str) -> AppResult<String> {
    if text.trim().is_empty() {
        return Err(AppError::invalid("message", "write a message first"));
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid("message", format!("a message is at most {MAX_MESSAGE_CHARS} characters")));
    }
    Ok(text.trim_end().to_string())
}

/// The workspace `/chat` serves: the one with `slug`, else the configured one, else the
/// first created. Errors: `NotFound` if there is none.
pub async fn chat_workspace(state: &AppState, slug: Option<&str>) -> AppResult<i64> {
    let slug = slug.or(state.config.chat_workspace.as_deref());
    let id: Option<i64> = match slug {
        Some(s) => {
            sqlx::query_scalar("SELECT id FROM workspaces WHERE slug = $1")
                .bind(s)
                .fetch_optional(&state.db.pool)
                .await?
        }
        None => {
            sqlx::query_scalar("SELECT id FROM workspaces ORDER BY id LIMIT 1").fetch_optional(&state.db.pool).await?
        }
    };
    id.ok_or_else(|| AppError::not_found("workspace"))
}

/// `templates t` is published: `production` points at one of its versions.
const PUBLISHED: &str = "EXISTS (SELECT 1 FROM template_labels l WHERE l.template_id = t.id AND l.name = 'production')";

/// Personas end users can pick: published, active, not deleted, oldest first (the seeded
/// default comes first). Drafts (no `production` label) are not offered.
pub async fn personas(db: &Db, workspace_id: i64) -> AppResult<Vec<ChatPersona>> {
    let rows = sqlx::query(&format!(
        "SELECT t.id, t.name FROM templates t WHERE t.workspace_id = $1 AND t.is_active = 1 AND t.deleted_at IS NULL \
         AND {PUBLISHED} ORDER BY t.id"
    ))
    .bind(workspace_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Ok(ChatPersona { id: r.try_get("id")?, name: r.try_get("name")? }))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// How a turn or a chat view names its persona.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PersonaChoice {
    /// By id (the chat page, `persona_id`).
    Id(i64),
    /// By name (the original API's `template_name`).
    Name(String),
    /// The first persona the chat page offers.
    First,
}

/// The persona a chat names and whether it is active. Drafts (no `production` label) are
/// not chattable and answer `NotFound` like unknown or deleted ones.
pub async fn chat_persona(db: &Db, workspace_id: i64, choice: &PersonaChoice) -> AppResult<(ChatPersona, bool)> {
    let base = format!(
        "SELECT t.id, t.name, t.is_active FROM templates t WHERE t.workspace_id = $1 AND t.deleted_at IS NULL AND {PUBLISHED}"
    );
    let filter = match choice {
        PersonaChoice::Id(_) => "AND t.id = $2",
        PersonaChoice::Name(_) => "AND t.name = $2",
        PersonaChoice::First => "AND t.is_active = 1 ORDER BY t.id LIMIT 1",
    };
    let sql = format!("{base} {filter}");
    let q = sqlx::query(&sql).bind(workspace_id);
    let q = match choice {
        PersonaChoice::Id(id) => q.bind(*id),
        PersonaChoice::Name(name) => q.bind(name.as_str()),
        PersonaChoice::First => q,
    };
    match q.fetch_optional(&db.pool).await? {
        Some(r) => {
            Ok((ChatPersona { id: r.try_get("id")?, name: r.try_get("name")? }, r.try_get::<i64, _>("is_active")? != 0))
        }
        None => Err(AppError::not_found("persona")),
    }
}

/// The end user's row id, created on first contact.
pub async fn ensure_end_user(db: &Db, workspace_id: i64, user_id: &str) -> AppResult<i64> {
    sqlx::query("INSERT INTO end_users (workspace_id, external_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (workspace_id, external_id) DO NOTHING")
        .bind(workspace_id)
        .bind(user_id)
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    Ok(sqlx::query_scalar("SELECT id FROM end_users WHERE workspace_id = $1 AND external_id = $2")
        .bind(workspace_id)
        .bind(user_id)
        .fetch_one(&db.pool)
        .await?)
}

/// The end user's row id. Errors: `NotFound` if they never chatted in this workspace.
pub async fn find_end_user(db: &Db, workspace_id: i64, user_id: &str) -> AppResult<i64> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM end_users WHERE workspace_id = $1 AND external_id = $2")
        .bind(workspace_id)
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await?;
    id.ok_or_else(|| AppError::not_found("user"))
}

/// The user's latest chat session with this persona, if any.
pub(crate) async fn latest_session(
    db: &Db,
    workspace_id: i64,
    end_user_id: i64,
    persona_id: i64,
) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM chat_sessions WHERE workspace_id = $1 AND end_user_id = $2 AND template_id = $3 ORDER BY id DESC LIMIT 1",
    )
    .bind(workspace_id)
    .bind(end_user_id)
    .bind(persona_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// Where a message goes: one chat session of one end user.
#[derive(Clone, Debug)]
pub struct SessionRef {
    pub workspace_id: i64,
    /// The end user's id as the chat or the API names it.
    pub user_id: String,
    pub end_user_id: i64,
    pub session_id: i64,
    pub persona_id: i64,
    pub persona_name: String,
}

/// What is stored besides sender and text: the turn bookkeeping of [`super::turn`].
#[derive(Clone, Copy, Debug, Default)]
pub struct MessageMeta {
    /// On a user message: `pending` until its turn ends.
    pub turn_status: Option<&'static str>,
    /// On a reply or pause notice: the user message it answers.
    pub reply_to: Option<i64>,
    /// On an assistant reply: the version that wrote it.
    pub persona_version: Option<i64>,
    /// On an assistant reply: it stopped at `max_tokens`.
    pub truncated: bool,
}

/// Stores a message in the session and publishes it to everyone watching.
pub async fn store_message(state: &AppState, at: &SessionRef, sender: Sender, content: &str) -> AppResult<Message> {
    store_message_with(state, at, sender, content, MessageMeta::default()).await
}

/// [`store_message`] with the turn bookkeeping.
pub async fn store_message_with(
    state: &AppState,
    at: &SessionRef,
    sender: Sender,
    content: &str,
    meta: MessageMeta,
) -> AppResult<Message> {
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO messages (workspace_id, session_id, end_user_id, sender, content, created_at, turn_status, reply_to, \
         template_version, truncated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(at.workspace_id)
    .bind(at.session_id)
    .bind(at.end_user_id)
    .bind(sender.as_str())
    .bind(content)
    .bind(now)
    .bind(meta.turn_status)
    .bind(meta.reply_to)
    .bind(meta.persona_version)
    .bind(meta.truncated as i64)
    .fetch_one(&state.db.pool)
    .await?;
    let message = Message {
        id,
        session_id: at.session_id,
        persona_name: at.persona_name.clone(),
        sender,
        content: content.to_string(),
        created_at: now,
        persona_version: meta.persona_version,
        truncated: meta.truncated,
    };
    state.events.publish(at.workspace_id, LiveEvent::Message { user_id: at.user_id.clone(), message: message.clone() });
    Ok(message)
}

/// The columns [`message_from_row`] reads, for a query over `messages m` joined to
/// `chat_sessions s` and `templates t`.
pub(crate) const MESSAGE_COLUMNS: &str =
    "m.id, m.session_id, t.name AS persona_name, m.sender, m.content, m.created_at, \
     m.template_version, m.truncated";

/// A message row (see [`MESSAGE_COLUMNS`]). Errors: a sender the schema does not know
/// is corrupt data, not a default.
pub(crate) fn message_from_row(r: &sqlx::any::AnyRow) -> Result<Message, sqlx::Error> {
    let sender: String = r.try_get("sender")?;
    Ok(Message {
        id: r.try_get("id")?,
        session_id: r.try_get("session_id")?,
        persona_name: r.try_get("persona_name")?,
        sender: Sender::parse(&sender)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown message sender {sender:?}").into()))?,
        content: r.try_get("content")?,
        created_at: r.try_get("created_at")?,
        persona_version: r.try_get("template_version")?,
        truncated: r.try_get::<i64, _>("truncated")? != 0,
    })
}

/// The messages of one session, oldest first.
pub(crate) async fn session_messages(db: &Db, workspace_id: i64, session_id: i64) -> AppResult<Vec<Message>> {
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN chat_sessions s ON s.id = m.session_id \
         JOIN templates t ON t.id = s.template_id WHERE m.session_id = $1 AND m.workspace_id = $2 ORDER BY m.id"
    ))
    .bind(session_id)
    .bind(workspace_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(message_from_row).collect::<Result<_, _>>()?)
}

/// One stored message of the workspace by id. Errors: `NotFound`.
pub(crate) async fn message(db: &Db, workspace_id: i64, id: i64) -> AppResult<Message> {
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN chat_sessions s ON s.id = m.session_id \
         JOIN templates t ON t.id = s.template_id WHERE m.id = $1 AND m.workspace_id = $2"
    ))
    .bind(id)
    .bind(workspace_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(|| AppError::not_found("message"))?;
    Ok(message_from_row(&row)?)
}

/// Messages stored in a session so far (every sender).
pub async fn session_message_count(db: &Db, workspace_id: i64, session_id: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND session_id = $2")
        .bind(workspace_id)
        .bind(session_id)
        .fetch_one(&db.pool)
        .await?)
}

/// Whether an operator has halted this user.
pub async fn is_halted(db: &Db, workspace_id: i64, end_user_id: i64) -> AppResult<bool> {
    let halted: Option<i64> =
        sqlx::query_scalar("SELECT halted FROM user_state WHERE end_user_id = $1 AND workspace_id = $2")
            .bind(end_user_id)
            .bind(workspace_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(halted.unwrap_or(0) != 0)
}

/// The chat as the user sees it when opening a persona: all messages of the session.
/// `persona_id` None opens the persona the user last wrote to (if it is still offered),
/// else the first one offered. A read: a visitor who never writes leaves no user or
/// session behind. Errors: `Invalid` (user id), `NotFound` (persona unknown, deleted or a draft).
pub async fn history(
    state: &AppState,
    workspace_id: i64,
    user_id: &str,
    persona_id: Option<i64>,
) -> AppResult<ChatHistory> {
    let user_id = parse_user_id(user_id)?;
    let end_user_id = match find_end_user(&state.db, workspace_id, &user_id).await {
        Ok(id) => Some(id),
        Err(AppError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let choice = match (persona_id, end_user_id) {
        (Some(id), _) => PersonaChoice::Id(id),
        (None, Some(uid)) => match last_persona(&state.db, workspace_id, uid).await? {
            Some(id) => PersonaChoice::Id(id),
            None => PersonaChoice::First,
        },
        (None, None) => PersonaChoice::First,
    };
    let (persona, available) = chat_persona(&state.db, workspace_id, &choice).await?;
    let Some(end_user_id) = end_user_id else {
        return Ok(ChatHistory { session_id: None, persona, messages: Vec::new(), paused: false, available });
    };
    let session_id = latest_session(&state.db, workspace_id, end_user_id, persona.id).await?;
    let messages = match session_id {
        Some(sid) => session_messages(&state.db, workspace_id, sid).await?,
        None => Vec::new(),
    };
    let paused = is_halted(&state.db, workspace_id, end_user_id).await?;
    Ok(ChatHistory { session_id, persona, messages, paused, available })
}

/// The persona of the user's most recent message that the chat still offers (published,
/// active, not deleted).
async fn last_persona(db: &Db, workspace_id: i64, end_user_id: i64) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT t.id FROM messages m JOIN chat_sessions s ON s.id = m.session_id JOIN templates t ON t.id = s.template_id \
         WHERE m.workspace_id = $1 AND m.end_user_id = $2 AND m.sender = 'user' AND t.is_active = 1 \
         AND t.deleted_at IS NULL AND {PUBLISHED} ORDER BY m.id DESC LIMIT 1"
    ))
    .bind(workspace_id)
    .bind(end_user_id)
    .fetch_optional(&db.pool)
    .await?)
}

pub(crate) async fn memory_map(
    db: &Db,
    workspace_id: i64,
    end_user_id: i64,
) -> AppResult<serde_json::Map<String, serde_json::Value>> {
    let entries = super::monitor::memory(db, workspace_id, end_user_id).await?;
    Ok(entries.into_iter().map(|e| (e.key, e.value)).collect())
}

/// The last `window` conversational messages (user, assistant, operator) the turn for
/// user message `before_id` sees, in conversation order, oldest first: messages stored
/// before it, and replies to earlier messages even when stored after it (messages sent
/// at once are queued; each sees the earlier ones answered). A reply is placed right
/// after the message it answers.
pub(crate) async fn history_window(
    db: &Db,
    workspace_id: i64,
    session_id: i64,
    before_id: i64,
    window: u32,
) -> AppResult<Vec<(Sender, String, i64)>> {
    let rows = sqlx::query(
        "SELECT sender, content, created_at FROM messages WHERE workspace_id = $1 AND session_id = $2 \
         AND sender IN ('user', 'assistant', 'operator') AND (id < $3 OR reply_to < $3) \
         ORDER BY COALESCE(reply_to, id) DESC, id DESC LIMIT $4",
    )
    .bind(workspace_id)
    .bind(session_id)
    .bind(before_id)
    .bind(window as i64)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows.iter().rev() {
        let sender: String = r.try_get("sender")?;
        let sender = Sender::parse(&sender)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown message sender {sender:?}").into()))?;
        out.push((sender, r.try_get("content")?, r.try_get("created_at")?));
    }
    Ok(out)
}

/// The LLM role for a stored sender: operator injections speak for the persona.
pub(crate) fn llm_role(sender: Sender) -> &'static str {
    match sender {
        Sender::User => "user",
        _ => "assistant",
    }
}

/// One row of `llm_requests`: what was sent, what came back, and where it came from.
pub(crate) struct RequestLog<'a> {
    pub workspace_id: i64,
    pub end_user_id: Option<i64>,
    pub session_id: Option<i64>,
    pub template_id: Option<i64>,
    pub template_version: Option<i64>,
    /// `chat`, `playground` or `draft`.
    pub source: &'a str,
    pub provider: String,
    pub model: String,
    pub messages: &'a [ChatMessage],
    pub response: Option<&'a str>,
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
    pub latency_ms: i64,
    /// `ok`, `error` or `render_error`.
    pub status: &'a str,
    pub error: Option<String>,
}

impl<'a> RequestLog<'a> {
    /// A row for a call with `settings` from `source`, status `ok`, nothing sent yet.
    pub fn new(state: &AppState, workspace_id: i64, source: &'a str, settings: &ModelSettings) -> Self {
        Self {
            workspace_id,
            end_user_id: None,
            session_id: None,
            template_id: None,
            template_version: None,
            source,
            provider: state.llm.kind().to_string(),
            model: state.llm.model_for(Some(settings.model.trim()).filter(|m| !m.is_empty())),
            messages: &[],
            response: None,
            prompt_tokens: None,
            completion_tokens: None,
            latency_ms: 0,
            status: "ok",
            error: None,
        }
    }
}

pub(crate) async fn log_request(state: &AppState, log: RequestLog<'_>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO llm_requests (workspace_id, end_user_id, session_id, template_id, template_version, provider, model, messages, \
         response, prompt_tokens, completion_tokens, latency_ms, status, error, created_at, source) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(log.workspace_id)
    .bind(log.end_user_id)
    .bind(log.session_id)
    .bind(log.template_id)
    .bind(log.template_version)
    .bind(log.provider)
    .bind(log.model)
    .bind(serde_json::to_string(log.messages).unwrap_or_default())
    .bind(log.response.map(str::to_string))
    .bind(log.prompt_tokens.map(i64::from))
    .bind(log.completion_tokens.map(i64::from))
    .bind(log.latency_ms)
    .bind(log.status)
    .bind(log.error)
    .bind(now_ms())
    .bind(log.source)
    .execute(&state.db.pool)
    .await?;
    Ok(())
}

/// What a template sees, besides declared variables.
pub struct TurnInput<'a> {
    pub user_id: &'a str,
    pub current_message: &'a str,
    /// (sender, content, ms) oldest first, without the current message.
    pub history: &'a [(Sender, String, i64)],
    pub memory: &'a serde_json::Map<String, serde_json::Value>,
}

/// Renders `version`'s template for one turn and returns exactly what the LLM gets.
/// Context: `user_id`, `current_message`, `history` (role, sender, content, at), `memory`,
/// `now`, and every declared variable (its default, or the value in `values`).
/// `chat` kind: [system = rendered, history…, user = current message]; `text` kind:
/// [user = rendered] (the template carries the history itself).
/// Errors: `Template` (syntax, undefined variable, fuel) with its line.
pub fn build_messages(
    kind: PersonaKind,
    content: &str,
    declared: &[DeclaredVariable],
    values: &serde_json::Map<String, serde_json::Value>,
    input: &TurnInput<'_>,
) -> AppResult<Vec<ChatMessage>> {
    let mut ctx = serde_json::Map::new();
    for d in declared {
        ctx.insert(d.name.clone(), values.get(&d.name).cloned().unwrap_or_else(|| d.default.clone()));
    }
    ctx.insert("user_id".into(), json!(input.user_id));
    ctx.insert("current_message".into(), json!(input.current_message));
    ctx.insert(
        "history".into(),
        json!(input
            .history
            .iter()
            .map(|(s, c, at)| json!({"role": llm_role(*s), "sender": s.as_str(), "content": c, "at": at}))
            .collect::<Vec<_>>()),
    );
    ctx.insert("memory".into(), serde_json::Value::Object(input.memory.clone()));
    ctx.insert("now".into(), json!(chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string()));
    let rendered = super::render::render(content, &serde_json::Value::Object(ctx))?;
    Ok(match kind {
        PersonaKind::Chat => {
            let mut messages = Vec::with_capacity(input.history.len() + 2);
            messages.push(ChatMessage::new("system", rendered));
            messages.extend(input.history.iter().map(|(s, c, _)| ChatMessage::new(llm_role(*s), c.clone())));
            messages.push(ChatMessage::new("user", input.current_message));
            messages
        }
        PersonaKind::Text => vec![ChatMessage::new("user", rendered)],
    })
}

/// Calls the provider with a version's settings. Returns the result and the provider
/// kind and model used (for the request log).
pub(crate) async fn complete(
    state: &AppState,
    settings: &ModelSettings,
    messages: Vec<ChatMessage>,
) -> (Result<super::llm::Completion, LlmError>, String, String) {
    let req = CompletionRequest::with_settings(messages, settings);
    let model = state.llm.model_for(req.model.as_deref());
    let provider = state.llm.kind().to_string();
    if let Err(e) = state.llm.check_provider(&settings.provider) {
        return (Err(e), provider, model);
    }
    let result = state.llm.complete(req).await;
    let model = match &result {
        Ok(c) if !c.model.is_empty() => c.model.clone(),
        _ => model,
    };
    (result, provider, model)
}

/// The cookie that identifies an end user of `/chat` (a random UUID, kept for a year).
pub const CHAT_COOKIE: &str = "pd_uid";

/// The end user's id from the `pd_uid` cookie. Errors: `Unauthorized` when it is missing
/// or malformed (the [`chat_identity`] middleware sets it on every page load).
pub fn cookie_user_id(headers: &http::HeaderMap) -> AppResult<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == CHAT_COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| uuid::Uuid::parse_str(v).is_ok())
        .ok_or(AppError::Unauthorized)
}

/// Axum middleware: gives every browser without a valid `pd_uid` cookie a new one (on the
/// request, so this request already sees it, and on the response). HttpOnly, SameSite=Lax,
/// Secure when the config says so.
pub async fn chat_identity(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if cookie_user_id(req.headers()).is_ok() {
        return next.run(req).await;
    }
    let id = uuid::Uuid::new_v4().to_string();
    if let Ok(v) = http::HeaderValue::from_str(&format!("{CHAT_COOKIE}={id}")) {
        req.headers_mut().append(http::header::COOKIE, v);
    }
    let mut res = next.run(req).await;
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    if let Ok(v) = http::HeaderValue::from_str(&format!(
        "{CHAT_COOKIE}={id}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}"
    )) {
        res.headers_mut().append(http::header::SET_COOKIE, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_and_messages_are_validated() {
        assert_eq!(parse_user_id("  alice ").unwrap(), "alice");
        assert!(parse_user_id("").is_err());
        assert!(parse_user_id(&"x".repeat(MAX_USER_ID_CHARS + 1)).is_err());
        assert!(parse_message("   ").is_err());
        assert!(parse_message(&"x".repeat(MAX_MESSAGE_CHARS + 1)).is_err());
        assert_eq!(parse_message("hi\n").unwrap(), "hi");
    }

    #[test]
    fn the_chat_cookie_must_be_a_uuid() {
        let mut h = http::HeaderMap::new();
        assert!(cookie_user_id(&h).is_err());
        h.insert(http::header::COOKIE, "a=1; pd_uid=not-a-uuid".parse().unwrap());
        assert!(cookie_user_id(&h).is_err());
        let id = uuid::Uuid::new_v4().to_string();
        h.insert(http::header::COOKIE, format!("a=1; pd_uid={id}").parse().unwrap());
        assert_eq!(cookie_user_id(&h).unwrap(), id);
    }

    #[test]
    fn operator_injections_speak_for_the_persona() {
        assert_eq!(llm_role(Sender::User), "user");
        assert_eq!(llm_role(Sender::Assistant), "assistant");
        assert_eq!(llm_role(Sender::Operator), "assistant");
    }
}
