//! `workspaces` settings columns: what an operator can switch per workspace.

use crate::engine::db::Db;
use crate::engine::ids::WorkspaceId;
use crate::error::{AppError, AppResult};

/// Whether the workspace lets browsers known only by their chat cookie chat. Errors:
/// `NotFound` for an unknown workspace; `Internal` for a stored value other than 0/1.
pub async fn anonymous_chat(db: &Db, ws: WorkspaceId) -> AppResult<bool> {
    let v: Option<i64> = sqlx::query_scalar("SELECT anonymous_chat FROM workspaces WHERE id = $1")
        .bind(ws)
        .fetch_optional(&db.pool)
        .await?;
    match v {
        None => Err(AppError::not_found("workspace")),
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        Some(other) => Err(super::corrupt("workspaces.anonymous_chat", format!("flag is {other}")).into()),
    }
}

/// Turns anonymous chat on or off.
pub async fn set_anonymous_chat(db: &Db, ws: WorkspaceId, on: bool) -> AppResult<()> {
    sqlx::query("UPDATE workspaces SET anonymous_chat = $1 WHERE id = $2")
        .bind(on as i64)
        .bind(ws)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The workspace's slug and webhook URL (None: no webhook); None for an unknown workspace.
pub async fn webhook(db: &Db, ws: WorkspaceId) -> AppResult<Option<(String, Option<String>)>> {
    Ok(sqlx::query_as("SELECT slug, webhook_url FROM workspaces WHERE id = $1")
        .bind(ws)
        .fetch_optional(&db.pool)
        .await?)
}

/// Sets (or, with None, removes) the workspace's webhook URL, as already checked.
pub async fn set_webhook_url(db: &Db, ws: WorkspaceId, url: Option<&str>) -> AppResult<()> {
    sqlx::query("UPDATE workspaces SET webhook_url = $1 WHERE id = $2").bind(url).bind(ws).execute(&db.pool).await?;
    Ok(())
}

/// Days `ws`'s request log keeps its texts (None: for ever).
pub async fn request_body_days(db: &Db, ws: WorkspaceId) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT request_body_days FROM workspaces WHERE id = $1")
        .bind(ws)
        .fetch_one(&db.pool)
        .await?)
}

/// Sets [`request_body_days`].
pub async fn set_request_body_days(db: &Db, ws: WorkspaceId, days: Option<i64>) -> AppResult<()> {
    sqlx::query("UPDATE workspaces SET request_body_days = $1 WHERE id = $2")
        .bind(days)
        .bind(ws)
        .execute(&db.pool)
        .await?;
    Ok(())
}
