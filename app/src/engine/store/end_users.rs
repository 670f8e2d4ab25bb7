//! `end_users`: the people who chat, by the external id the chat or an API client names.

use super::{sender, Corrupt};
use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, WorkspaceId};
use crate::engine::now_ms;
use crate::error::AppResult;
use crate::types::EndUserSummary;

/// The user's row id, created on first contact.
pub async fn ensure(db: &Db, ws: WorkspaceId, external_id: &str) -> AppResult<EndUserId> {
    sqlx::query(
        "INSERT INTO end_users (workspace_id, external_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id, external_id) DO NOTHING",
    )
    .bind(ws)
    .bind(external_id)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(sqlx::query_scalar("SELECT id FROM end_users WHERE workspace_id = $1 AND external_id = $2")
        .bind(ws)
        .bind(external_id)
        .fetch_one(&db.pool)
        .await?)
}

/// The user's row id, if they ever chatted in this workspace.
pub async fn find(db: &Db, ws: WorkspaceId, external_id: &str) -> AppResult<Option<EndUserId>> {
    Ok(sqlx::query_scalar("SELECT id FROM end_users WHERE workspace_id = $1 AND external_id = $2")
        .bind(ws)
        .bind(external_id)
        .fetch_optional(&db.pool)
        .await?)
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    external_id: String,
    message_count: i64,
    last_at: Option<i64>,
    halted: i64,
    last_content: Option<String>,
    last_sender: Option<String>,
}

impl TryFrom<SummaryRow> for EndUserSummary {
    type Error = Corrupt;
    fn try_from(r: SummaryRow) -> Result<Self, Corrupt> {
        Ok(EndUserSummary {
            user_id: r.external_id,
            message_count: r.message_count,
            last_message_at: r.last_at,
            halted: r.halted != 0,
            last_message: r.last_content,
            last_sender: r.last_sender.as_deref().map(sender).transpose()?,
        })
    }
}

/// Up to `limit` users, most recently active first, with message count, halt state and
/// their newest message whole (the caller shortens it).
pub async fn summaries(db: &Db, ws: WorkspaceId, limit: i64) -> AppResult<Vec<EndUserSummary>> {
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT u.external_id, COUNT(m.id) AS message_count, MAX(m.created_at) AS last_at, COALESCE(MAX(s.halted), 0) AS halted, \
         (SELECT l.content FROM messages l WHERE l.end_user_id = u.id ORDER BY l.id DESC LIMIT 1) AS last_content, \
         (SELECT l.sender FROM messages l WHERE l.end_user_id = u.id ORDER BY l.id DESC LIMIT 1) AS last_sender \
         FROM end_users u LEFT JOIN messages m ON m.end_user_id = u.id LEFT JOIN user_state s ON s.end_user_id = u.id \
         WHERE u.workspace_id = $1 GROUP BY u.id, u.external_id ORDER BY COALESCE(MAX(m.created_at), 0) DESC, u.id DESC LIMIT $2",
    )
    .bind(ws)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(super::convert(rows)?)
}
