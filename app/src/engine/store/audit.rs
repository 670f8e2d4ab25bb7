//! `audit_log`: who did what to which target, append-only.

use crate::engine::db::Db;
use crate::engine::ids::WorkspaceId;
use crate::engine::now_ms;
use crate::error::AppResult;

/// Appends one entry. `action` is a fixed verb (`halt`, `persona_delete`, …), `target`
/// the user or persona id it concerns, `detail` free text (a reason, a name).
pub async fn record(db: &Db, ws: WorkspaceId, actor: &str, action: &str, target: &str, detail: &str) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (workspace_id, actor, action, target, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ws)
    .bind(actor)
    .bind(action)
    .bind(target)
    .bind(detail)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}
