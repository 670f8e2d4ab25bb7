//! `audit_log`: who did what to which target, when, and what changed (before → after as
//! JSON), append-only.

use super::{json, to_json, Corrupt};
use crate::engine::db::Db;
use crate::engine::ids::WorkspaceId;
use crate::engine::now_ms;
use crate::error::AppResult;
use crate::types::{AuditEntry, AuditFilter};

/// Appends one entry that is not a change of state. `action` is a fixed verb (`halt`,
/// `persona_delete`, …), `target` the user or persona id it concerns, `detail` free text
/// (a reason, a name).
pub async fn record(db: &Db, ws: WorkspaceId, actor: &str, action: &str, target: &str, detail: &str) -> AppResult<()> {
    insert(db, ws, actor, action, target, detail, None, None).await
}

/// Appends one change: `before` → `after` as JSON (None: created / deleted). `action`
/// names the kind of change (`memory_set`, `guardrail_update`, `inject_note`, …).
pub async fn record_change(
    db: &Db,
    ws: WorkspaceId,
    actor: &str,
    action: &str,
    target: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> AppResult<()> {
    insert(db, ws, actor, action, target, "", before, after).await
}

/// [`record_change`] with a `detail` too (a halt's reason).
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    db: &Db,
    ws: WorkspaceId,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (workspace_id, actor, action, target, detail, before_json, after_json, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(ws)
    .bind(actor)
    .bind(action)
    .bind(target)
    .bind(detail)
    .bind(before.map(to_json).transpose()?)
    .bind(after.map(to_json).transpose()?)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    actor: String,
    action: String,
    target: String,
    detail: String,
    before_json: Option<String>,
    after_json: Option<String>,
    created_at: i64,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = Corrupt;
    fn try_from(r: AuditRow) -> Result<Self, Corrupt> {
        Ok(AuditEntry {
            id: r.id,
            actor: r.actor,
            action: r.action,
            target: r.target,
            detail: r.detail,
            before: r.before_json.as_deref().map(|j| json("audit_log.before_json", j)).transpose()?,
            after: r.after_json.as_deref().map(|j| json("audit_log.after_json", j)).transpose()?,
            created_at: r.created_at,
        })
    }
}

/// The filter's WHERE clause: `$1` the workspace, then action, actor, target, since,
/// until (a NULL parameter matches everything).
const WHERE: &str = "WHERE workspace_id = $1 AND ($2 IS NULL OR action = $2) AND ($3 IS NULL OR actor = $3) \
     AND ($4 IS NULL OR target = $4) AND ($5 IS NULL OR created_at >= $5) AND ($6 IS NULL OR created_at < $6)";

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A page of the entries matching `f`, newest first (`limit`, `offset` as given), and
/// how many match in all.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<AuditEntry>, i64)> {
    let rows: Vec<AuditRow> = sqlx::query_as(&format!(
        "SELECT id, actor, action, target, detail, before_json, after_json, created_at FROM audit_log {WHERE} \
         ORDER BY created_at DESC, id DESC LIMIT $7 OFFSET $8"
    ))
    .bind(ws)
    .bind(nonempty(&f.action))
    .bind(nonempty(&f.actor))
    .bind(nonempty(&f.target))
    .bind(f.since)
    .bind(f.until)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM audit_log {WHERE}"))
        .bind(ws)
        .bind(nonempty(&f.action))
        .bind(nonempty(&f.actor))
        .bind(nonempty(&f.target))
        .bind(f.since)
        .bind(f.until)
        .fetch_one(&db.pool)
        .await?;
    Ok((super::convert(rows)?, total))
}

/// The distinct actions in the workspace's log, alphabetically.
pub async fn actions(db: &Db, ws: WorkspaceId) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT DISTINCT action FROM audit_log WHERE workspace_id = $1 ORDER BY action")
        .bind(ws)
        .fetch_all(&db.pool)
        .await?)
}
