//! `chat_sessions`: the chats of an end user, one persona each, and the queries that find
//! a session's turns to run.

use super::messages::SessionRef;
use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, MessageId, PersonaId, SessionId, WorkspaceId};
use crate::engine::now_ms;
use crate::error::AppResult;
use crate::types::ChatSessionSummary;

/// The user's latest session with this persona, if any (on the pool or in a transaction).
pub async fn latest<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    ws: WorkspaceId,
    end_user: EndUserId,
    persona: PersonaId,
) -> AppResult<Option<SessionId>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM chat_sessions WHERE workspace_id = $1 AND end_user_id = $2 AND template_id = $3 \
         ORDER BY id DESC LIMIT 1",
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
        "INSERT INTO chat_sessions (workspace_id, end_user_id, template_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
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
