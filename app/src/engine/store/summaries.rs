//! `chat_summaries`: the running summary of each chat's turns older than its history
//! window, and the outline of a chat's messages (ids and lengths, in conversation order)
//! that the token budget and the summary job read.

// Which messages a turn can see: the same set as the history window.
use super::messages::SEEN;
use super::{sender, Corrupt};
use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, MessageId, PersonaId, SessionId, WorkspaceId};
use crate::error::AppResult;
use crate::types::Sender;

/// One conversational message of a chat, as the history budget sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutlineItem {
    pub id: MessageId,
    /// Length of its text in characters.
    pub chars: u32,
}

/// The conversation order of `messages` (a reply right after the message it answers), as
/// in `messages::history_window`.
const ORDER: &str = "ORDER BY COALESCE(reply_to, id), id";

/// The conversational messages (user, assistant, operator) the turn for user message
/// `before` could see, oldest first: the same set and order `messages::history_window`
/// takes its window from. `MessageId(i64::MAX)` = the whole chat.
pub async fn outline(db: &Db, ws: WorkspaceId, session: SessionId, before: MessageId) -> AppResult<Vec<OutlineItem>> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as(&format!("SELECT id, CAST(LENGTH(content) AS BIGINT) FROM messages WHERE {SEEN} {ORDER}"))
            .bind(ws)
            .bind(session)
            .bind(before)
            .fetch_all(&db.pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, chars)| OutlineItem { id: MessageId(id), chars: u32::try_from(chars).unwrap_or(u32::MAX) })
        .collect())
}

/// `limit` messages of the whole chat's outline from position `offset` (0 = the first),
/// with sender and text, in conversation order.
pub async fn range(
    db: &Db,
    ws: WorkspaceId,
    session: SessionId,
    offset: usize,
    limit: usize,
) -> AppResult<Vec<(MessageId, Sender, String)>> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as(&format!("SELECT id, sender, content FROM messages WHERE {SEEN} {ORDER} LIMIT $4 OFFSET $5"))
            .bind(ws)
            .bind(session)
            .bind(i64::MAX)
            .bind(limit as i64)
            .bind(offset as i64)
            .fetch_all(&db.pool)
            .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, s, content) in rows {
        out.push((MessageId(id), sender(&s)?, content));
    }
    Ok(out)
}

/// Who a chat belongs to, for a job that only has its id.
#[derive(Clone, Debug)]
pub struct SessionOwner {
    pub workspace_id: WorkspaceId,
    /// The end user's id as the chat or the API names them.
    pub user_id: String,
    pub end_user_id: EndUserId,
    pub persona_id: PersonaId,
}

/// The owner of chat `session`, None when it does not exist (any more).
pub async fn owner(db: &Db, session: SessionId) -> AppResult<Option<SessionOwner>> {
    let row: Option<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT s.workspace_id, u.external_id, s.end_user_id, s.template_id FROM chat_sessions s \
         JOIN end_users u ON u.id = s.end_user_id WHERE s.id = $1",
    )
    .bind(session)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(ws, user_id, eu, t)| SessionOwner {
        workspace_id: WorkspaceId(ws),
        user_id,
        end_user_id: EndUserId(eu),
        persona_id: PersonaId(t),
    }))
}

/// A chat's stored summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSummary {
    pub content: String,
    /// The last message it covers (in conversation order).
    pub through: MessageId,
    /// How many conversational messages it covers, from the chat's first.
    pub covered: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    content: String,
    through_message_id: i64,
    covered: i64,
    updated_at: i64,
}

/// The summary of chat `session` of the workspace, if it has one.
pub async fn get(db: &Db, ws: WorkspaceId, session: SessionId) -> AppResult<Option<StoredSummary>> {
    let row: Option<SummaryRow> = sqlx::query_as(
        "SELECT content, through_message_id, covered, updated_at FROM chat_summaries \
         WHERE workspace_id = $1 AND session_id = $2",
    )
    .bind(ws)
    .bind(session)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        if r.covered < 1 {
            return Err(Corrupt { what: "chat_summaries.covered", detail: format!("{} messages", r.covered) }.into());
        }
        Ok(StoredSummary {
            content: r.content,
            through: MessageId(r.through_message_id),
            covered: r.covered,
            updated_at: r.updated_at,
        })
    })
    .transpose()
}

/// Writes `new` as the summary of `session` if the stored one is still `previous` (its
/// `through`; None = there is none yet): compare and set, so two runs of the same job
/// cannot both fold the same messages in. Returns whether it was written.
pub async fn replace(
    db: &Db,
    ws: WorkspaceId,
    session: SessionId,
    previous: Option<MessageId>,
    new: &StoredSummary,
) -> AppResult<bool> {
    let done = match previous {
        None => sqlx::query(
            "INSERT INTO chat_summaries (session_id, workspace_id, content, through_message_id, covered, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id) DO NOTHING",
        )
        .bind(session)
        .bind(ws)
        .bind(&new.content)
        .bind(new.through)
        .bind(new.covered)
        .bind(new.updated_at)
        .execute(&db.pool)
        .await?
        .rows_affected(),
        Some(previous) => sqlx::query(
            "UPDATE chat_summaries SET content = $1, through_message_id = $2, covered = $3, updated_at = $4 \
             WHERE session_id = $5 AND workspace_id = $6 AND through_message_id = $7",
        )
        .bind(&new.content)
        .bind(new.through)
        .bind(new.covered)
        .bind(new.updated_at)
        .bind(session)
        .bind(ws)
        .bind(previous)
        .execute(&db.pool)
        .await?
        .rows_affected(),
    };
    Ok(done == 1)
}
