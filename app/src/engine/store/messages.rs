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
    /// On an assistant reply: generation was stopped or failed after its first token.
    pub incomplete: bool,
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
         template_version, truncated, incomplete) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
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
    .bind(meta.incomplete as i64)
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
        incomplete: meta.incomplete,
        alternates: 1,
        alternate: 1,
        html: crate::engine::markdown::to_html(sender, content),
        author: None,
        edited: false,
    })
}

/// Stores a message an operator wrote (`author`: their email; `edited`: a draft they
/// changed) at `now` (ms). The returned message carries the author (operators' views);
/// what the end user gets must go through [`for_user`].
pub async fn insert_authored(
    db: &Db,
    at: &SessionRef,
    sender: Sender,
    content: &str,
    author: &str,
    edited: bool,
    now: i64,
) -> AppResult<Message> {
    let mut message = insert(db, at, sender, content, MessageMeta::default(), now).await?;
    sqlx::query("UPDATE messages SET author = $1, edited = $2 WHERE id = $3 AND workspace_id = $4")
        .bind(author)
        .bind(edited as i64)
        .bind(message.id)
        .bind(at.workspace_id)
        .execute(&db.pool)
        .await?;
    message.author = Some(author.to_string());
    message.edited = edited;
    Ok(message)
}

/// The message as the end user may see it: without the operator who wrote it.
pub fn for_user(mut m: Message) -> Message {
    m.author = None;
    m.edited = false;
    m
}

/// The one message `SELECT`: messages joined to their session's persona.
const SELECT: &str = "SELECT m.id, m.session_id, t.name AS persona_name, m.sender, m.content, m.created_at, \
     m.template_version, m.truncated, m.incomplete, m.alternates, m.alternate, m.author, m.edited FROM messages m JOIN chat_sessions s ON s.id = m.session_id \
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
    incomplete: i64,
    alternates: i64,
    alternate: i64,
    author: Option<String>,
    edited: i64,
}

impl TryFrom<MessageRow> for Message {
    type Error = Corrupt;
    fn try_from(r: MessageRow) -> Result<Self, Corrupt> {
        let sender = sender(&r.sender)?;
        Ok(Message {
            id: r.id,
            session_id: r.session_id,
            persona_name: r.persona_name,
            sender,
            html: crate::engine::markdown::to_html(sender, &r.content),
            content: r.content,
            created_at: r.created_at,
            persona_version: r.template_version,
            truncated: r.truncated != 0,
            incomplete: r.incomplete != 0,
            alternates: r.alternates,
            alternate: r.alternate,
            author: r.author,
            edited: r.edited != 0,
        })
    }
}

/// One message of the workspace, if it exists (as the end user sees it: [`for_user`]).
pub async fn get(db: &Db, ws: WorkspaceId, id: MessageId) -> AppResult<Option<Message>> {
    let row: Option<MessageRow> = sqlx::query_as(&format!("{SELECT} WHERE m.id = $1 AND m.workspace_id = $2"))
        .bind(id)
        .bind(ws)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(Message::try_from).transpose()?.map(for_user))
}

/// The messages of one session, oldest first, as the end user sees them ([`for_user`]).
pub async fn of_session(db: &Db, ws: WorkspaceId, session: SessionId) -> AppResult<Vec<Message>> {
    let rows: Vec<MessageRow> =
        sqlx::query_as(&format!("{SELECT} WHERE m.session_id = $1 AND m.workspace_id = $2 ORDER BY m.id"))
            .bind(session)
            .bind(ws)
            .fetch_all(&db.pool)
            .await?;
    Ok(super::convert::<_, Message>(rows)?.into_iter().map(for_user).collect())
}

/// The newest `limit` messages of a user across all their sessions, oldest first, with
/// their operator authors (operators' views only).
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

/// How many conversational messages (user, assistant, operator) the turn for user
/// message `before` could see: the ones [`history_window`] chooses from.
pub async fn history_len(db: &Db, ws: WorkspaceId, session: SessionId, before: MessageId) -> AppResult<u32> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND session_id = $2 \
         AND sender IN ('user', 'assistant', 'operator') AND (id < $3 OR reply_to < $3)",
    )
    .bind(ws)
    .bind(session)
    .bind(before)
    .fetch_one(&db.pool)
    .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Which messages the turn for user message `$3` sees (`$1` workspace, `$2` session):
/// conversational senders only, stored before `$3` or answering an earlier message, and
/// neither a message an input guardrail blocked nor the rule's reply that stood in for
/// it — the persona never reads blocked text. The summary's outline uses the same set.
pub(super) const SEEN: &str = "workspace_id = $1 AND session_id = $2 AND sender IN ('user', 'assistant', 'operator') \
     AND (id < $3 OR reply_to < $3) AND COALESCE(turn_status, '') <> 'blocked' \
     AND NOT EXISTS (SELECT 1 FROM messages b WHERE b.id = messages.reply_to AND b.turn_status = 'blocked')";

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
        &format!("SELECT sender, content, created_at FROM messages WHERE {SEEN} ORDER BY COALESCE(reply_to, id) DESC, id DESC LIMIT $4"),
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

/// The newest assistant reply of the session and the user message it answers, if any.
pub async fn last_reply(db: &Db, ws: WorkspaceId, session: SessionId) -> AppResult<Option<(MessageId, MessageId)>> {
    let row: Option<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, reply_to FROM messages WHERE workspace_id = $1 AND session_id = $2 AND sender = 'assistant' \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(ws)
    .bind(session)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.and_then(|(id, to)| Some((MessageId(id), MessageId(to?)))))
}

/// One version of a regenerated reply, as [`add_alternate`] stores it.
pub struct Alternate<'a> {
    pub content: &'a str,
    pub persona_version: Option<i64>,
    pub truncated: bool,
    pub incomplete: bool,
}

/// Adds a version to assistant reply `reply` and makes it the chosen one: the first time,
/// the reply's current text is kept as version 1. Returns the new version's number.
pub async fn add_alternate(db: &Db, ws: WorkspaceId, reply: &Message, new: Alternate<'_>, now: i64) -> AppResult<i64> {
    let mut tx = db.pool.begin().await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM message_alternates WHERE message_id = $1")
        .bind(reply.id)
        .fetch_one(&mut *tx)
        .await?;
    if count == 0 {
        sqlx::query(
            "INSERT INTO message_alternates (workspace_id, message_id, position, content, template_version, truncated, \
             incomplete, created_at) VALUES ($1, $2, 1, $3, $4, $5, $6, $7)",
        )
        .bind(ws)
        .bind(reply.id)
        .bind(&reply.content)
        .bind(reply.persona_version)
        .bind(reply.truncated as i64)
        .bind(reply.incomplete as i64)
        .bind(reply.created_at)
        .execute(&mut *tx)
        .await?;
    }
    let position = count.max(1) + 1;
    sqlx::query(
        "INSERT INTO message_alternates (workspace_id, message_id, position, content, template_version, truncated, \
         incomplete, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(ws)
    .bind(reply.id)
    .bind(position)
    .bind(new.content)
    .bind(new.persona_version)
    .bind(new.truncated as i64)
    .bind(new.incomplete as i64)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    choose_in(&mut tx, ws, MessageId(reply.id), position).await?;
    tx.commit().await?;
    Ok(position)
}

/// Makes version `position` of a regenerated reply the one in `content` (what lists show
/// and later turns see). Returns false when the message has no such version.
pub async fn choose_alternate(db: &Db, ws: WorkspaceId, id: MessageId, position: i64) -> AppResult<bool> {
    let mut tx = db.pool.begin().await?;
    let done = choose_in(&mut tx, ws, id, position).await?;
    tx.commit().await?;
    Ok(done)
}

async fn choose_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ws: WorkspaceId,
    id: MessageId,
    position: i64,
) -> AppResult<bool> {
    let row: Option<(String, Option<i64>, i64, i64)> = sqlx::query_as(
        "SELECT content, template_version, truncated, incomplete FROM message_alternates \
         WHERE workspace_id = $1 AND message_id = $2 AND position = $3",
    )
    .bind(ws)
    .bind(id)
    .bind(position)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((content, version, truncated, incomplete)) = row else { return Ok(false) };
    sqlx::query(
        "UPDATE messages SET content = $1, template_version = $2, truncated = $3, incomplete = $4, alternate = $5, \
         alternates = (SELECT COUNT(*) FROM message_alternates WHERE message_id = $6) \
         WHERE id = $6 AND workspace_id = $7",
    )
    .bind(content)
    .bind(version)
    .bind(truncated)
    .bind(incomplete)
    .bind(position)
    .bind(id)
    .bind(ws)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// A page of a user's messages — of all their sessions, or of `session` —, oldest first,
/// as the end user sees them ([`for_user`]).
pub async fn of_user_page(
    db: &Db,
    ws: WorkspaceId,
    end_user: EndUserId,
    session: Option<SessionId>,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<Message>> {
    let rows: Vec<MessageRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE m.workspace_id = $1 AND m.end_user_id = $2 AND ($3 IS NULL OR m.session_id = $3) \
         ORDER BY m.id LIMIT $4 OFFSET $5"
    ))
    .bind(ws)
    .bind(end_user)
    .bind(session)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    Ok(super::convert::<_, Message>(rows)?.into_iter().map(for_user).collect())
}

/// How many messages a user has — in all their sessions, or in `session`.
pub async fn count_of_user(
    db: &Db,
    ws: WorkspaceId,
    end_user: EndUserId,
    session: Option<SessionId>,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND end_user_id = $2 AND ($3 IS NULL OR session_id = $3)",
    )
    .bind(ws)
    .bind(end_user)
    .bind(session)
    .fetch_one(&db.pool)
    .await?)
}
