//! `chat_sessions`: the chats of an end user, one persona each, and the queries that find
//! a session's turns to run.

use super::messages::SessionRef;
use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, MessageId, PersonaId, SessionId, WorkspaceId};
use crate::engine::now_ms;
use crate::error::AppResult;
use crate::types::{excerpt, ChatSessionSummary, ChatSummary, CHAT_PREVIEW_CHARS, DERIVED_TITLE_CHARS, UNTITLED_CHAT};

/// The user's latest chat with this persona that is not archived — the one most
/// recently active —, if any (on the pool or in a transaction).
pub async fn latest<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    ws: WorkspaceId,
    end_user: EndUserId,
    persona: PersonaId,
) -> AppResult<Option<SessionId>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM chat_sessions WHERE workspace_id = $1 AND end_user_id = $2 AND template_id = $3 \
         AND archived_at IS NULL ORDER BY updated_at DESC, id DESC LIMIT 1",
    )
    .bind(ws)
    .bind(end_user)
    .bind(persona)
    .fetch_optional(db)
    .await?)
}

/// Creates a session (on the pool or in a transaction).
pub async fn insert<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    ws: WorkspaceId,
    end_user: EndUserId,
    persona: PersonaId,
) -> AppResult<SessionId> {
    Ok(sqlx::query_scalar(
        "INSERT INTO chat_sessions (workspace_id, end_user_id, template_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(ws)
    .bind(end_user)
    .bind(persona)
    .bind(now_ms())
    .fetch_one(db)
    .await?)
}

/// The columns of a session row a [`SessionRef`] is made of.
#[derive(sqlx::FromRow)]
struct RefRow {
    workspace_id: WorkspaceId,
    session_id: SessionId,
    end_user_id: EndUserId,
    template_id: PersonaId,
    name: String,
    external_id: String,
}

impl From<RefRow> for SessionRef {
    fn from(r: RefRow) -> Self {
        SessionRef {
            workspace_id: r.workspace_id,
            user_id: r.external_id,
            end_user_id: r.end_user_id,
            session_id: r.session_id,
            persona_id: r.template_id,
            persona_name: r.name,
        }
    }
}

/// The columns of [`RefRow`] over `chat_sessions s`, `templates t`, `end_users u`.
const REF_COLUMNS: &str = "s.workspace_id, s.id AS session_id, s.end_user_id, s.template_id, t.name, u.external_id";
const REF_JOINS: &str =
    "FROM chat_sessions s JOIN end_users u ON u.id = s.end_user_id JOIN templates t ON t.id = s.template_id";

/// Session `session` if it is `user_id`'s (and its persona is not deleted).
pub async fn of_user(db: &Db, ws: WorkspaceId, user_id: &str, session: SessionId) -> AppResult<Option<SessionRef>> {
    let row: Option<RefRow> = sqlx::query_as(&format!(
        "SELECT {REF_COLUMNS} {REF_JOINS} WHERE s.workspace_id = $1 AND s.id = $2 AND u.external_id = $3 \
         AND t.deleted_at IS NULL"
    ))
    .bind(ws)
    .bind(session)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(Into::into))
}

/// The user's session `session`, or (None) their most recently created one.
pub async fn of_user_or_latest(
    db: &Db,
    ws: WorkspaceId,
    end_user: EndUserId,
    session: Option<SessionId>,
) -> AppResult<Option<SessionRef>> {
    let row: Option<RefRow> = sqlx::query_as(&format!(
        "SELECT {REF_COLUMNS} {REF_JOINS} WHERE s.workspace_id = $1 AND s.end_user_id = $2 \
         AND ($3 IS NULL OR s.id = $3) ORDER BY s.id DESC LIMIT 1"
    ))
    .bind(ws)
    .bind(end_user)
    .bind(session)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(Into::into))
}

#[derive(sqlx::FromRow)]
struct LastUserRow {
    #[sqlx(flatten)]
    at: RefRow,
    last_user: Option<MessageId>,
}

/// Each session of `user_id` (persona not deleted) with its newest user message, if any.
pub async fn with_last_user_message(
    db: &Db,
    ws: WorkspaceId,
    user_id: &str,
) -> AppResult<Vec<(SessionRef, Option<MessageId>)>> {
    let rows: Vec<LastUserRow> = sqlx::query_as(&format!(
        "SELECT {REF_COLUMNS}, (SELECT MAX(m.id) FROM messages m WHERE m.session_id = s.id AND m.sender = 'user') \
         AS last_user {REF_JOINS} WHERE s.workspace_id = $1 AND u.external_id = $2 AND t.deleted_at IS NULL"
    ))
    .bind(ws)
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.at.into(), r.last_user)).collect())
}

#[derive(sqlx::FromRow)]
struct PendingRow {
    #[sqlx(flatten)]
    at: RefRow,
    last_pending: MessageId,
}

/// Every session (all workspaces) with a user message still `status`, and the newest such message.
pub async fn with_status(db: &Db, status: &str) -> AppResult<Vec<(SessionRef, MessageId)>> {
    let rows: Vec<PendingRow> = sqlx::query_as(&format!(
        "SELECT {REF_COLUMNS}, MAX(m.id) AS last_pending FROM messages m \
         JOIN chat_sessions s ON s.id = m.session_id JOIN templates t ON t.id = s.template_id \
         JOIN end_users u ON u.id = s.end_user_id WHERE m.turn_status = $1 \
         GROUP BY s.workspace_id, s.id, s.end_user_id, s.template_id, t.name, u.external_id"
    ))
    .bind(status)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.at.into(), r.last_pending)).collect())
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    template_id: i64,
    name: String,
    created_at: i64,
    message_count: i64,
    last_at: Option<i64>,
}

impl From<SummaryRow> for ChatSessionSummary {
    fn from(r: SummaryRow) -> Self {
        ChatSessionSummary {
            id: r.id,
            persona_id: r.template_id,
            persona_name: r.name,
            message_count: r.message_count,
            created_at: r.created_at,
            last_message_at: r.last_at,
        }
    }
}

/// The user's sessions, most recently active first.
pub async fn summaries(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<Vec<ChatSessionSummary>> {
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT s.id, s.template_id, t.name, s.created_at, COUNT(m.id) AS message_count, MAX(m.created_at) AS last_at \
         FROM chat_sessions s JOIN templates t ON t.id = s.template_id LEFT JOIN messages m ON m.session_id = s.id \
         WHERE s.workspace_id = $1 AND s.end_user_id = $2 GROUP BY s.id, s.template_id, t.name, s.created_at \
         ORDER BY COALESCE(MAX(m.created_at), s.created_at) DESC, s.id DESC",
    )
    .bind(ws)
    .bind(end_user)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Records activity in a session at `at` (ms): the chat list's order.
pub async fn touch(db: &Db, ws: WorkspaceId, session: SessionId, at: i64) -> AppResult<()> {
    sqlx::query("UPDATE chat_sessions SET updated_at = $1 WHERE id = $2 AND workspace_id = $3 AND updated_at < $1")
        .bind(at)
        .bind(session)
        .bind(ws)
        .execute(&db.pool)
        .await?;
    // The user's last activity, which orders the live wall.
    super::wall::touch_user(db, ws, session, at).await
}

/// Which chats a list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Archived {
    /// Only chats not archived.
    Without,
    /// Only archived chats.
    Only,
    /// Both.
    Included,
}

impl Archived {
    fn condition(self) -> &'static str {
        match self {
            Archived::Without => "AND s.archived_at IS NULL",
            Archived::Only => "AND s.archived_at IS NOT NULL",
            Archived::Included => "",
        }
    }
}

/// What the chat list needs of one session. Message texts are read cut to
/// [`EXCERPT_SOURCE_CHARS`]: the wire type shortens them further.
#[derive(sqlx::FromRow)]
struct ChatRow {
    id: SessionId,
    template_id: PersonaId,
    name: String,
    external_id: String,
    title: Option<String>,
    archived_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    message_count: i64,
    last_at: Option<i64>,
    first_user: Option<String>,
    last_content: Option<String>,
}

/// More than any excerpt shows; long messages are not read whole for a list.
const EXCERPT_SOURCE_CHARS: usize = 400;

impl From<ChatRow> for ChatSummary {
    fn from(r: ChatRow) -> Self {
        let (title, titled) = match (r.title, r.first_user) {
            (Some(t), _) => (t, true),
            (None, Some(first)) => (excerpt(&first, DERIVED_TITLE_CHARS), false),
            (None, None) => (UNTITLED_CHAT.to_string(), false),
        };
        ChatSummary {
            id: r.id.get(),
            user_id: r.external_id,
            title,
            titled,
            persona_id: r.template_id.get(),
            persona_name: r.name,
            message_count: r.message_count,
            last_message_at: r.last_at,
            preview: r.last_content.map(|c| excerpt(&c, CHAT_PREVIEW_CHARS)),
            archived: r.archived_at.is_some(),
            archived_at: r.archived_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The `SELECT … FROM` of [`ChatRow`] over `chat_sessions s`, `templates t`, `end_users u`.
fn chat_select() -> String {
    format!(
        "SELECT s.id, s.template_id, t.name, u.external_id, s.title, s.archived_at, s.created_at, s.updated_at, \
         (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id) AS message_count, \
         (SELECT MAX(m.created_at) FROM messages m WHERE m.session_id = s.id) AS last_at, \
         (SELECT SUBSTR(m.content, 1, {n}) FROM messages m WHERE m.session_id = s.id AND m.sender = 'user' \
          ORDER BY m.id LIMIT 1) AS first_user, \
         (SELECT SUBSTR(m.content, 1, {n}) FROM messages m WHERE m.session_id = s.id \
          AND m.sender IN ('user', 'assistant', 'operator') ORDER BY m.id DESC LIMIT 1) AS last_content \
         {REF_JOINS}",
        n = EXCERPT_SOURCE_CHARS
    )
}

/// The user's chats (with `persona`, or with every persona), persona not deleted, most
/// recently active first.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    end_user: EndUserId,
    persona: Option<PersonaId>,
    archived: Archived,
) -> AppResult<Vec<ChatSummary>> {
    let rows: Vec<ChatRow> = sqlx::query_as(&format!(
        "{} WHERE s.workspace_id = $1 AND s.end_user_id = $2 AND ($3 IS NULL OR s.template_id = $3) \
         AND t.deleted_at IS NULL {} ORDER BY s.updated_at DESC, s.id DESC",
        chat_select(),
        archived.condition()
    ))
    .bind(ws)
    .bind(end_user)
    .bind(persona)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Chat `session` of the workspace (persona not deleted), if it is `end_user`'s — None =
/// whoever's it is (for operators, who may act for every user of their workspace).
pub async fn get(
    db: &Db,
    ws: WorkspaceId,
    end_user: Option<EndUserId>,
    session: SessionId,
) -> AppResult<Option<ChatSummary>> {
    let row: Option<ChatRow> = sqlx::query_as(&format!(
        "{} WHERE s.workspace_id = $1 AND s.id = $2 AND ($3 IS NULL OR s.end_user_id = $3) AND t.deleted_at IS NULL",
        chat_select()
    ))
    .bind(ws)
    .bind(session)
    .bind(end_user)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(Into::into))
}

/// Sets (Some) or clears (None: derived again) a chat's title.
pub async fn set_title(db: &Db, ws: WorkspaceId, session: SessionId, title: Option<&str>) -> AppResult<()> {
    sqlx::query("UPDATE chat_sessions SET title = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(title)
        .bind(session)
        .bind(ws)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Archives a chat at `at` (ms), or (None) takes it out of the archive. Archiving an
/// archived chat keeps its first time.
pub async fn set_archived(db: &Db, ws: WorkspaceId, session: SessionId, at: Option<i64>) -> AppResult<()> {
    sqlx::query(
        "UPDATE chat_sessions SET archived_at = CASE WHEN $1 IS NULL THEN NULL ELSE COALESCE(archived_at, $1) END \
         WHERE id = $2 AND workspace_id = $3",
    )
    .bind(at)
    .bind(session)
    .bind(ws)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Deletes sessions and everything stored in them, in one transaction: the versions of
/// their regenerated replies, their messages, and the sessions; their `llm_requests` rows
/// stay (the request log) without the session. `sessions` is a subquery over
/// `chat_sessions` with `$1` = the workspace and `$2` = its one parameter. Returns how
/// many messages were deleted.
async fn delete_where(db: &Db, ws: WorkspaceId, sessions: &str, key: i64) -> AppResult<i64> {
    let users: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT DISTINCT end_user_id FROM chat_sessions WHERE workspace_id = $1 AND id IN ({sessions})"
    ))
    .bind(ws)
    .bind(key)
    .fetch_all(&db.pool)
    .await?;
    let mut tx = db.pool.begin().await?;
    sqlx::query(&format!(
        "DELETE FROM message_alternates WHERE workspace_id = $1 AND message_id IN \
         (SELECT id FROM messages WHERE workspace_id = $1 AND session_id IN ({sessions}))"
    ))
    .bind(ws)
    .bind(key)
    .execute(&mut *tx)
    .await?;
    sqlx::query(&format!(
        "UPDATE llm_requests SET session_id = NULL WHERE workspace_id = $1 AND session_id IN ({sessions})"
    ))
    .bind(ws)
    .bind(key)
    .execute(&mut *tx)
    .await?;
    let deleted = sqlx::query(&format!("DELETE FROM messages WHERE workspace_id = $1 AND session_id IN ({sessions})"))
        .bind(ws)
        .bind(key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query(&format!("DELETE FROM chat_sessions WHERE workspace_id = $1 AND id IN ({sessions})"))
        .bind(ws)
        .bind(key)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if !users.is_empty() {
        // Typed integers only: safe to inline.
        let ids = users.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        super::wall::refresh(&db.pool, ws, &ids).await?;
    }
    Ok(deleted as i64)
}

/// Deletes one chat of the workspace with its messages (see [`delete_where`]). Returns
/// how many messages went with it.
pub async fn delete(db: &Db, ws: WorkspaceId, session: SessionId) -> AppResult<i64> {
    delete_where(db, ws, "SELECT id FROM chat_sessions WHERE workspace_id = $1 AND id = $2", session.get()).await
}

/// Deletes every chat of an end user with their messages (see [`delete_where`]). Returns
/// how many messages went with them.
pub async fn delete_of_user(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<i64> {
    delete_where(db, ws, "SELECT id FROM chat_sessions WHERE workspace_id = $1 AND end_user_id = $2", end_user.get())
        .await
}

/// Pins the chat to version `n` of its persona (None: unpinned, the user's assignment or
/// production answers), as an OpenAI-compatible request naming `persona@v3` does.
pub async fn set_pinned_version(db: &Db, ws: WorkspaceId, session: SessionId, n: Option<i64>) -> AppResult<()> {
    sqlx::query("UPDATE chat_sessions SET pinned_version = $1 WHERE workspace_id = $2 AND id = $3")
        .bind(n)
        .bind(ws)
        .bind(session)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The version the chat is pinned to, if any.
pub async fn pinned_version(db: &Db, ws: WorkspaceId, session: SessionId) -> AppResult<Option<i64>> {
    let pinned: Option<Option<i64>> =
        sqlx::query_scalar("SELECT pinned_version FROM chat_sessions WHERE workspace_id = $1 AND id = $2")
            .bind(ws)
            .bind(session)
            .fetch_optional(&db.pool)
            .await?;
    Ok(pinned.flatten())
}
