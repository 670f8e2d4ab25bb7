//! `user_state`: whether an operator has halted an end user, why, by whom, since when.

use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, WorkspaceId};
use crate::error::AppResult;
use crate::types::UserState;

#[derive(sqlx::FromRow)]
struct StateRow {
    halted: i64,
    reason: Option<String>,
    halted_by: Option<String>,
    halted_at: Option<i64>,
}

/// The user's state; not halted when there is no row.
pub async fn get(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<UserState> {
    let row: Option<StateRow> = sqlx::query_as(
        "SELECT halted, reason, halted_by, halted_at FROM user_state WHERE end_user_id = $1 AND workspace_id = $2",
    )
    .bind(end_user)
    .bind(ws)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) if r.halted != 0 => {
            UserState { halted: true, reason: r.reason, halted_by: r.halted_by, halted_at: r.halted_at }
        }
        _ => UserState { halted: false, reason: None, halted_by: None, halted_at: None },
    })
}

/// Whether the user is halted now.
pub async fn is_halted(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<bool> {
    let halted: Option<i64> =
        sqlx::query_scalar("SELECT halted FROM user_state WHERE end_user_id = $1 AND workspace_id = $2")
            .bind(end_user)
            .bind(ws)
            .fetch_optional(&db.pool)
            .await?;
    Ok(halted.unwrap_or(0) != 0)
}

/// Halts (`halt` = Some((reason, by, at ms))) or resumes (None) the user.
pub async fn set(db: &Db, ws: WorkspaceId, end_user: EndUserId, halt: Option<(&str, &str, i64)>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO user_state (end_user_id, workspace_id, halted, reason, halted_by, halted_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (end_user_id) DO UPDATE SET halted = $3, reason = $4, halted_by = $5, halted_at = $6",
    )
    .bind(end_user)
    .bind(ws)
    .bind(halt.is_some() as i64)
    .bind(halt.map(|h| h.0))
    .bind(halt.map(|h| h.1))
    .bind(halt.map(|h| h.2))
    .execute(&db.pool)
    .await?;
    Ok(())
}
