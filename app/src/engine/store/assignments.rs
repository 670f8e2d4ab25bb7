//! `assignments`: a persona, label or pinned version assigned to one end user.

use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, PersonaId, WorkspaceId};
use crate::error::AppResult;
use crate::types::Assignment;

#[derive(sqlx::FromRow)]
struct AssignmentRow {
    persona_id: Option<i64>,
    persona_name: Option<String>,
    label: Option<String>,
    version: Option<i64>,
    assigned_by: String,
    updated_at: i64,
}

/// The user's assignment, if any (the persona's name joined in).
pub async fn get(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<Option<Assignment>> {
    let row: Option<AssignmentRow> = sqlx::query_as(
        "SELECT a.persona_id, t.name AS persona_name, a.label, a.version, a.assigned_by, a.updated_at \
         FROM assignments a LEFT JOIN templates t ON t.id = a.persona_id AND t.workspace_id = a.workspace_id \
         WHERE a.workspace_id = $1 AND a.end_user_id = $2",
    )
    .bind(ws)
    .bind(end_user)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| Assignment {
        persona_id: r.persona_id,
        persona_name: r.persona_name,
        label: r.label,
        version: r.version,
        assigned_by: r.assigned_by,
        updated_at: r.updated_at,
    }))
}

/// What to assign (already validated).
pub struct NewAssignment<'a> {
    pub persona_id: Option<PersonaId>,
    pub label: Option<&'a str>,
    pub version: Option<i64>,
}

/// Sets (replaces) the user's assignment at `now` (ms).
pub async fn set(
    db: &Db,
    ws: WorkspaceId,
    end_user: EndUserId,
    a: &NewAssignment<'_>,
    by: &str,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO assignments (end_user_id, workspace_id, persona_id, label, version, assigned_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (end_user_id) DO UPDATE SET \
         persona_id = $3, label = $4, version = $5, assigned_by = $6, updated_at = $7",
    )
    .bind(end_user)
    .bind(ws)
    .bind(a.persona_id)
    .bind(a.label)
    .bind(a.version)
    .bind(by)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Removes the user's assignment; false when there was none.
pub async fn delete(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<bool> {
    let done = sqlx::query("DELETE FROM assignments WHERE workspace_id = $1 AND end_user_id = $2")
        .bind(ws)
        .bind(end_user)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
