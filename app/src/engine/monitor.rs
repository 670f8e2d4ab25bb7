//! Operators watching and steering conversations: the user list, a conversation,
//! halt / resume / inject, and the per-user memory.

use super::chat::{find_end_user, message_from_row, parse_message, store_message, SessionRef, MESSAGE_COLUMNS};
use super::db::Db;
use super::{now_ms, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{
    ChatSessionSummary, Conversation, EndUserSummary, LiveEvent, MemoryEntry, Message, Sender, UserState,
    LAST_MESSAGE_PREVIEW_CHARS,
};
use sqlx::Row;

/// Most users listed at once (most recently active first).
pub const USER_LIST_LIMIT: i64 = 500;
/// Most messages a conversation view loads (the newest).
pub const CONVERSATION_LIMIT: i64 = 500;
/// Longest halt reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest memory key, in characters.
pub const MAX_MEMORY_KEY_CHARS: usize = 64;

/// End users of the workspace with message counts, last activity, status and a preview
/// of their newest message (at most [`LAST_MESSAGE_PREVIEW_CHARS`] characters, `…` when cut).
pub async fn list_users(db: &Db, workspace_id: i64) -> AppResult<Vec<EndUserSummary>> {
    let rows = sqlx::query(
        "SELECT u.external_id, COUNT(m.id) AS message_count, MAX(m.created_at) AS last_at, COALESCE(MAX(s.halted), 0) AS halted, \
         (SELECT l.content FROM messages l WHERE l.end_user_id = u.id ORDER BY l.id DESC LIMIT 1) AS last_content, \
         (SELECT l.sender FROM messages l WHERE l.end_user_id = u.id ORDER BY l.id DESC LIMIT 1) AS last_sender \
         FROM end_users u LEFT JOIN messages m ON m.end_user_id = u.id LEFT JOIN user_state s ON s.end_user_id = u.id \
         WHERE u.workspace_id = $1 GROUP BY u.id, u.external_id ORDER BY COALESCE(MAX(m.created_at), 0) DESC, u.id DESC LIMIT $2",
    )
    .bind(workspace_id)
    .bind(USER_LIST_LIMIT)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let last_sender = match r.try_get::<Option<String>, _>("last_sender")? {
                Some(s) => Some(
                    Sender::parse(&s)
                        .ok_or_else(|| sqlx::Error::Decode(format!("unknown message sender {s:?}").into()))?,
                ),
                None => None,
            };
            Ok(EndUserSummary {
                user_id: r.try_get("external_id")?,
                message_count: r.try_get("message_count")?,
                last_message_at: r.try_get("last_at")?,
                halted: r.try_get::<i64, _>("halted")? != 0,
                last_message: r.try_get::<Option<String>, _>("last_content")?.map(|c| preview(&c)),
                last_sender,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// The first [`LAST_MESSAGE_PREVIEW_CHARS`] characters of `text` on one line, `…` when cut.
pub fn preview(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= LAST_MESSAGE_PREVIEW_CHARS {
        return flat;
    }
    let mut cut: String = flat.chars().take(LAST_MESSAGE_PREVIEW_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// The user's chat sessions, most recently active first.
pub async fn sessions(db: &Db, workspace_id: i64, end_user_id: i64) -> AppResult<Vec<ChatSessionSummary>> {
    let rows = sqlx::query(
        "SELECT s.id, s.template_id, t.name, s.created_at, COUNT(m.id) AS message_count, MAX(m.created_at) AS last_at \
         FROM chat_sessions s JOIN templates t ON t.id = s.template_id LEFT JOIN messages m ON m.session_id = s.id \
         WHERE s.workspace_id = $1 AND s.end_user_id = $2 GROUP BY s.id, s.template_id, t.name, s.created_at \
         ORDER BY COALESCE(MAX(m.created_at), s.created_at) DESC, s.id DESC",
    )
    .bind(workspace_id)
    .bind(end_user_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(ChatSessionSummary {
                id: r.try_get("id")?,
                persona_id: r.try_get("template_id")?,
                persona_name: r.try_get("name")?,
                message_count: r.try_get("message_count")?,
                created_at: r.try_get("created_at")?,
                last_message_at: r.try_get("last_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Halt state of a user.
pub async fn user_state(db: &Db, workspace_id: i64, end_user_id: i64) -> AppResult<UserState> {
    let row = sqlx::query(
        "SELECT halted, reason, halted_by, halted_at FROM user_state WHERE end_user_id = $1 AND workspace_id = $2",
    )
    .bind(end_user_id)
    .bind(workspace_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) if r.try_get::<i64, _>("halted")? != 0 => UserState {
            halted: true,
            reason: r.try_get("reason")?,
            halted_by: r.try_get("halted_by")?,
            halted_at: r.try_get("halted_at")?,
        },
        _ => UserState { halted: false, reason: None, halted_by: None, halted_at: None },
    })
}

/// A user's whole conversation (all personas, newest 500 messages), state and memory.
/// Errors: `NotFound` if the user is not in this workspace.
pub async fn conversation(db: &Db, workspace_id: i64, user_id: &str) -> AppResult<Conversation> {
    let end_user_id = find_end_user(db, workspace_id, user_id).await?;
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m \
         JOIN chat_sessions s ON s.id = m.session_id JOIN templates t ON t.id = s.template_id \
         WHERE m.workspace_id = $1 AND m.end_user_id = $2 ORDER BY m.id DESC LIMIT $3"
    ))
    .bind(workspace_id)
    .bind(end_user_id)
    .bind(CONVERSATION_LIMIT)
    .fetch_all(&db.pool)
    .await?;
    let mut messages: Vec<Message> = rows.iter().map(message_from_row).collect::<Result<_, _>>()?;
    messages.reverse();
    Ok(Conversation {
        user_id: user_id.to_string(),
        state: user_state(db, workspace_id, end_user_id).await?,
        messages,
        memory: memory(db, workspace_id, end_user_id).await?,
        sessions: sessions(db, workspace_id, end_user_id).await?,
    })
}

pub(crate) async fn audit(
    db: &Db,
    workspace_id: i64,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> AppResult<()> {
    sqlx::query("INSERT INTO audit_log (workspace_id, actor, action, target, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(workspace_id)
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(detail)
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    Ok(())
}

async fn set_halted(
    state: &AppState,
    workspace_id: i64,
    user_id: &str,
    by: &str,
    reason: Option<&str>,
) -> AppResult<UserState> {
    let end_user_id = find_end_user(&state.db, workspace_id, user_id).await?;
    let halted = reason.is_some() as i64;
    let (by_col, at_col) = if reason.is_some() { (Some(by), Some(now_ms())) } else { (None, None) };
    sqlx::query(
        "INSERT INTO user_state (end_user_id, workspace_id, halted, reason, halted_by, halted_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (end_user_id) DO UPDATE SET halted = $3, reason = $4, halted_by = $5, halted_at = $6",
    )
    .bind(end_user_id)
    .bind(workspace_id)
    .bind(halted)
    .bind(reason)
    .bind(by_col)
    .bind(at_col)
    .execute(&state.db.pool)
    .await?;
    audit(
        &state.db,
        workspace_id,
        by,
        if halted == 1 { "halt" } else { "resume" },
        user_id,
        reason.unwrap_or_default(),
    )
    .await?;
    let st = user_state(&state.db, workspace_id, end_user_id).await?;
    state.events.publish(workspace_id, LiveEvent::State { user_id: user_id.to_string(), state: st.clone() });
    Ok(st)
}

/// Halts a user's conversation: their messages are stored, answered with the pause
/// notice, and no LLM is called until [`resume`]. Errors: `Invalid` (reason missing or
/// longer than 500 characters), `NotFound` (user).
pub async fn halt(state: &AppState, workspace_id: i64, user_id: &str, by: &str, reason: &str) -> AppResult<UserState> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid("reason", "say why the conversation is halted"));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::invalid("reason", format!("a reason is at most {MAX_REASON_CHARS} characters")));
    }
    set_halted(state, workspace_id, user_id, by, Some(reason)).await
}

/// Resumes a halted conversation. Errors: `NotFound` (user).
pub async fn resume(state: &AppState, workspace_id: i64, user_id: &str, by: &str) -> AppResult<UserState> {
    set_halted(state, workspace_id, user_id, by, None).await
}

/// Stores an operator's message in one of the user's chat sessions (`session_id`; None =
/// the most recently created one); the user and every operator watching see it at once.
/// Errors: `Invalid` (message), `NotFound` (user, the session is not theirs, or the user
/// has no chat yet).
pub async fn inject(
    state: &AppState,
    workspace_id: i64,
    user_id: &str,
    by: &str,
    text: &str,
    session_id: Option<i64>,
) -> AppResult<Message> {
    let text = parse_message(text)?;
    let end_user_id = find_end_user(&state.db, workspace_id, user_id).await?;
    let row = sqlx::query(
        "SELECT s.id, t.name, s.template_id FROM chat_sessions s JOIN templates t ON t.id = s.template_id \
         WHERE s.workspace_id = $1 AND s.end_user_id = $2 AND ($3 IS NULL OR s.id = $3) ORDER BY s.id DESC LIMIT 1",
    )
    .bind(workspace_id)
    .bind(end_user_id)
    .bind(session_id)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(|| AppError::not_found("chat session"))?;
    let (session_id, persona_name, persona_id): (i64, String, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    audit(&state.db, workspace_id, by, "inject", user_id, &text).await?;
    let at =
        SessionRef { workspace_id, user_id: user_id.to_string(), end_user_id, session_id, persona_id, persona_name };
    store_message(state, &at, Sender::Operator, &text).await
}

/// The user's memory, by key.
pub async fn memory(db: &Db, workspace_id: i64, end_user_id: i64) -> AppResult<Vec<MemoryEntry>> {
    let rows =
        sqlx::query("SELECT key, value FROM user_memory WHERE workspace_id = $1 AND end_user_id = $2 ORDER BY key")
            .bind(workspace_id)
            .bind(end_user_id)
            .fetch_all(&db.pool)
            .await?;
    rows.iter()
        .map(|r| {
            let raw: String = r.try_get("value")?;
            Ok(MemoryEntry {
                key: r.try_get("key")?,
                value: serde_json::from_str(&raw).unwrap_or(serde_json::Value::String(raw)),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// A memory key: 1–64 characters of letters, digits, `_`, `-`, `.`. Errors: `Invalid` (field `key`).
pub fn parse_memory_key(key: &str) -> AppResult<String> {
    let key = key.trim();
    if key.is_empty()
        || key.chars().count() > MAX_MEMORY_KEY_CHARS
        || !key.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(AppError::invalid(
            "key",
            format!("a key is 1 to {MAX_MEMORY_KEY_CHARS} letters, digits, _ - or ."),
        ));
    }
    Ok(key.to_string())
}

/// Sets one memory entry (JSON value, at most 16 KiB serialised). Errors: `Invalid`, `NotFound` (user).
pub async fn set_memory(
    db: &Db,
    workspace_id: i64,
    user_id: &str,
    key: &str,
    value: &serde_json::Value,
) -> AppResult<MemoryEntry> {
    let key = parse_memory_key(key)?;
    let raw = serde_json::to_string(value).map_err(|e| super::internal("memory json", e))?;
    if raw.len() > 16 * 1024 {
        return Err(AppError::invalid("value", "a memory value is at most 16 KiB"));
    }
    let end_user_id = find_end_user(db, workspace_id, user_id).await?;
    sqlx::query(
        "INSERT INTO user_memory (workspace_id, end_user_id, key, value, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (end_user_id, key) DO UPDATE SET value = $4, updated_at = $5",
    )
    .bind(workspace_id)
    .bind(end_user_id)
    .bind(&key)
    .bind(&raw)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(MemoryEntry { key, value: value.clone() })
}

/// The row id of a memory entry (the original API's `memory_id`; stable across updates).
/// Errors: `NotFound` (user or key).
pub async fn memory_id(db: &Db, workspace_id: i64, user_id: &str, key: &str) -> AppResult<i64> {
    let end_user_id = find_end_user(db, workspace_id, user_id).await?;
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM user_memory WHERE workspace_id = $1 AND end_user_id = $2 AND key = $3")
            .bind(workspace_id)
            .bind(end_user_id)
            .bind(key)
            .fetch_optional(&db.pool)
            .await?;
    id.ok_or_else(|| AppError::not_found("memory key"))
}

/// Deletes one memory entry. Errors: `NotFound` (user or key).
pub async fn delete_memory(db: &Db, workspace_id: i64, user_id: &str, key: &str) -> AppResult<()> {
    let end_user_id = find_end_user(db, workspace_id, user_id).await?;
    let done = sqlx::query("DELETE FROM user_memory WHERE workspace_id = $1 AND end_user_id = $2 AND key = $3")
        .bind(workspace_id)
        .bind(end_user_id)
        .bind(key)
        .execute(&db.pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found("memory key"));
    }
    Ok(())
}

/// One row of the LLM request log, newest first, as the REST API returns it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LlmRequestRow {
    pub id: i64,
    pub user_id: Option<String>,
    pub template_id: Option<i64>,
    pub template_version: Option<i64>,
    pub provider: String,
    pub model: String,
    /// The exact messages sent to the LLM.
    pub messages: Vec<crate::types::ChatMessage>,
    pub response: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub latency_ms: i64,
    /// `ok`, `error` or `render_error`.
    pub status: String,
    pub error: Option<String>,
    /// `chat` (an end user's turn), `playground` or `draft`.
    pub source: String,
    pub created_at: i64,
}

/// The newest `limit` (≤ 500) LLM requests of the workspace.
pub async fn llm_requests(db: &Db, workspace_id: i64, limit: i64) -> AppResult<Vec<LlmRequestRow>> {
    let rows = sqlx::query(
        "SELECT r.id, u.external_id, r.template_id, r.template_version, r.provider, r.model, r.messages, r.response, \
         r.prompt_tokens, r.completion_tokens, r.latency_ms, r.status, r.error, r.created_at, r.source \
         FROM llm_requests r LEFT JOIN end_users u ON u.id = r.end_user_id WHERE r.workspace_id = $1 ORDER BY r.id DESC LIMIT $2",
    )
    .bind(workspace_id)
    .bind(limit.clamp(1, 500))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let messages: String = r.try_get("messages")?;
            Ok(LlmRequestRow {
                id: r.try_get("id")?,
                user_id: r.try_get("external_id")?,
                template_id: r.try_get("template_id")?,
                template_version: r.try_get("template_version")?,
                provider: r.try_get("provider")?,
                model: r.try_get("model")?,
                messages: serde_json::from_str(&messages).unwrap_or_default(),
                response: r.try_get("response")?,
                prompt_tokens: r.try_get("prompt_tokens")?,
                completion_tokens: r.try_get("completion_tokens")?,
                latency_ms: r.try_get("latency_ms")?,
                status: r.try_get("status")?,
                error: r.try_get("error")?,
                source: r.try_get("source")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
