//! `user_memory`: what the persona remembers about an end user, key → JSON value.

use super::{corrupt, Corrupt};
use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, WorkspaceId};
use crate::engine::now_ms;
use crate::error::AppResult;
use crate::types::MemoryEntry;

#[derive(sqlx::FromRow)]
struct MemoryRow {
    key: String,
    value: String,
}

impl TryFrom<MemoryRow> for MemoryEntry {
    type Error = Corrupt;
    fn try_from(r: MemoryRow) -> Result<Self, Corrupt> {
        let value =
            serde_json::from_str(&r.value).map_err(|e| corrupt("user_memory.value", format!("{}: {e}", r.key)))?;
        Ok(MemoryEntry { key: r.key, value })
    }
}

/// The user's entries, by key.
pub async fn list(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<Vec<MemoryEntry>> {
    let rows: Vec<MemoryRow> =
        sqlx::query_as("SELECT key, value FROM user_memory WHERE workspace_id = $1 AND end_user_id = $2 ORDER BY key")
            .bind(ws)
            .bind(end_user)
            .fetch_all(&db.pool)
            .await?;
    Ok(super::convert(rows)?)
}

/// Sets `key` to `raw` (serialised JSON), creating or replacing it.
pub async fn upsert(db: &Db, ws: WorkspaceId, end_user: EndUserId, key: &str, raw: &str) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO user_memory (workspace_id, end_user_id, key, value, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (end_user_id, key) DO UPDATE SET value = $4, updated_at = $5",
    )
    .bind(ws)
    .bind(end_user)
    .bind(key)
    .bind(raw)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The row id of `key` (stable across updates), if set.
pub async fn id_of(db: &Db, ws: WorkspaceId, end_user: EndUserId, key: &str) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM user_memory WHERE workspace_id = $1 AND end_user_id = $2 AND key = $3")
        .bind(ws)
        .bind(end_user)
        .bind(key)
        .fetch_optional(&db.pool)
        .await?)
}

/// Deletes `key`. Returns false when it was not set.
pub async fn delete(db: &Db, ws: WorkspaceId, end_user: EndUserId, key: &str) -> AppResult<bool> {
    let done = sqlx::query("DELETE FROM user_memory WHERE workspace_id = $1 AND end_user_id = $2 AND key = $3")
        .bind(ws)
        .bind(end_user)
        .bind(key)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
