//! `messages`: what was said in a chat session, by whom, and the turn bookkeeping on it
//! (a user message's `turn_status`, the message a reply answers, the version that wrote it).

use super::{sender, Corrupt};
use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, MessageId, PersonaId, SessionId, WorkspaceId};
use crate::error::AppResult;
use crate::types::{Message, Sender};

/// Where a message goes: one chat session of one end user.
#[derive(Clone, Debug)]
pub struct SessionRef {
    pub workspace_id: WorkspaceId,
    /// The end user's id as the chat or the API names it.
    pub user_id: String,
    pub end_user_id: EndUserId,
    pub session_id: SessionId,
    pub persona_id: PersonaId,
    pub persona_name: String,
}

/// What is stored besides sender and text: the turn bookkeeping of `engine::turn`.
#[derive(Clone, Copy, Debug, Default)]
pub struct MessageMeta {
    /// On a user message: `pending` until its turn ends.
    pub turn_status: Option<&'static str>,
    /// On a reply or pause notice: the user message it answers.
    pub reply_to: Option<MessageId>,
    /// On an assistant reply: the version that wrote it.
    pub persona_version: Option<i64>,
    /// On an assistant reply: it stopped at `max_tokens`.
    pub truncated: bool,
}

/// Stores a message at `now` (ms) and returns it as the wire type.
pub async fn insert(
    db: &Db,
    at: &SessionRef,
    sender: Sender,
    content: &str,
    meta: MessageMeta,
    now: i64,
) -> AppResult<Message> {
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
    .fetch_one(&db.pool)
    .await?;
    Ok(Message {
        id,
        session_id: at.session_id.get(),
        persona_name: at.persona_name.clone(),
        sender,
        content: content.to_string(),
        created_at: now,
        persona_version: meta.persona_version,
        truncated: meta.truncated,
    })
}

/// The one message `SELECT`: messages joined to their session's persona.
const SELECT: &str = "SELECT m.id, m.session_id, t.name AS persona_name, m.sender, m.content, m.created_at, \
     m.template_version, m.truncated FROM messages m JOIN chat_sessions s ON s.id = m.session_id \
     JOIN templates t ON t.id = s.template_id";

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    session_id: i64,
    persona_name: String,
    sender: String,
    content: String,
    created_at: i64,
    template_version: Option<i64>,
    truncated: i64,
}

impl TryFrom<MessageRow> for Message {
    type Error = Corrupt;
    fn try_from(r: MessageRow) -> Result<Self, Corrupt> {
        Ok(Message {
            id: r.id,
            session_id: r.session_id,
            persona_name: r.persona_name,
            sender: sender(&r.sender)?,
            content: r.content,
            created_at: r.created_at,
            persona_version: r.template_version,
            truncated: r.truncated != 0,
        })
    }
}

/// One message of the workspace, if it exists.
pub async fn get(db: &Db, ws: WorkspaceId, id: MessageId) -> AppResult<Option<Message>> {
    let row: Option<MessageRow> = sqlx::query_as(&format!("{SELECT} WHERE m.id = $1 AND m.workspace_id = $2"))
        .bind(id)
        .bind(ws)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(Message::try_from).transpose()?)
}

/// The messages of one session, oldest first.
pub async fn of_session(db: &Db, ws: WorkspaceId, session: SessionId) -> AppResult<Vec<Message>> {
    let rows: Vec<MessageRow> =
        sqlx::query_as(&format!("{SELECT} WHERE m.session_id = $1 AND m.workspace_id = $2 ORDER BY m.id"))
            .bind(session)
            .bind(ws)
            .fetch_all(&db.pool)
            .await?;
    Ok(super::convert(rows)?)
}

/// The newest `limit` messages of a user across all their sessions, oldest first.
pub async fn newest_of_user(db: &Db, ws: WorkspaceId, end_user: EndUserId, limit: i64) -> AppResult<Vec<Message>> {
    let rows: Vec<MessageRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE m.workspace_id = $1 AND m.end_user_id = $2 ORDER BY m.id DESC LIMIT $3"
    ))
    .bind(ws)
    .bind(end_user)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut messages = super::convert::<_, Message>(rows)?;
    messages.reverse();
    Ok(messages)
}

/// Messages stored in a session so far (every sender).
pub async fn count_in_session(db: &Db, ws: WorkspaceId, session: SessionId) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND session_id = $2")
        .bind(ws)
        .bind(session)
        .fetch_one(&db.pool)
        .await?)
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    sender: String,
    content: String,
    created_at: i64,
}

/// One message of the history a turn sees: who said it, what, when (ms).
pub type HistoryItem = (Sender, String, i64);

/// The last `window` conversational messages (user, assistant, operator) the turn for
/// user message `before` sees, in conversation order, oldest first: messages stored
/// before it, and replies to earlier messages even when stored after it (messages sent
/// at once are queued; each sees the earlier ones answered). A reply is placed right
/// after the message it answers.
pub async fn history_window(
    db: &Db,
    ws: WorkspaceId,
    session: SessionId,
    before: MessageId,
    window: u32,
) -> AppResult<Vec<HistoryItem>> {
    let rows: Vec<HistoryRow> = sqlx::query_as(
        "SELECT sender, content, created_at FROM messages WHERE workspace_id = $1 AND session_id = $2 \
         AND sender IN ('user', 'assistant', 'operator') AND (id < $3 OR reply_to < $3) \
         ORDER BY COALESCE(reply_to, id) DESC, id DESC LIMIT $4",
    )
    .bind(ws)
    .bind(session)
    .bind(before)
    .bind(window as i64)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows.into_iter().rev() {
        out.push((sender(&r.sender)?, r.content, r.created_at));
    }
    Ok(out)
}

/// The oldest message of the session still `status` with an id ≤ `up_to`.
pub async fn next_with_status(
    db: &Db,
    ws: WorkspaceId,
    session: SessionId,
    status: &str,
    up_to: MessageId,
) -> AppResult<Option<MessageId>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM messages WHERE workspace_id = $1 AND session_id = $2 AND turn_status = $3 AND id <= $4 \
         ORDER BY id LIMIT 1",
    )
    .bind(ws)
    .bind(session)
    .bind(status)
    .bind(up_to)
    .fetch_optional(&db.pool)
    .await?)
}

/// A user message's `turn_status` (None on other senders, or when it does not exist).
pub async fn turn_status(db: &Db, ws: WorkspaceId, id: MessageId) -> AppResult<Option<String>> {
    let status: Option<Option<String>> =
        sqlx::query_scalar("SELECT turn_status FROM messages WHERE id = $1 AND workspace_id = $2")
            .bind(id)
            .bind(ws)
            .fetch_optional(&db.pool)
            .await?;
    Ok(status.flatten())
}

/// Sets a user message's `turn_status`.
pub async fn set_turn_status(db: &Db, id: MessageId, status: &str) -> AppResult<()> {
    sqlx::query("UPDATE messages SET turn_status = $1 WHERE id = $2").bind(status).bind(id).execute(&db.pool).await?;
    Ok(())
}

/// The newest message answering `id` (a reply or a pause notice), if any.
pub async fn answer_to(db: &Db, ws: WorkspaceId, id: MessageId) -> AppResult<Option<MessageId>> {
    Ok(sqlx::query_scalar("SELECT id FROM messages WHERE workspace_id = $1 AND reply_to = $2 ORDER BY id DESC LIMIT 1")
        .bind(ws)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?)
}

/// Whether an assistant reply was stored in the session after message `id`.
pub async fn assistant_after(db: &Db, session: SessionId, id: MessageId) -> AppResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM messages WHERE session_id = $1 AND id > $2 AND sender = 'assistant' LIMIT 1",
    )
    .bind(session)
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(found.is_some())
}
