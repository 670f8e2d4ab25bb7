//! Labels: named pointers at versions (`production` is the one chat uses). Every move is
//! recorded.

use super::{parse_label, summary, version, PRODUCTION};
use crate::engine::db::Db;
use crate::engine::ids::{PersonaId, WorkspaceId};
use crate::engine::store::versions;
use crate::error::{AppError, AppResult};
use crate::types::{Label, LabelMove};

/// Labels of a persona, `production` first, then by name.
pub async fn labels(db: &Db, ws: WorkspaceId, id: PersonaId) -> AppResult<Vec<Label>> {
    versions::labels(db, ws, id).await
}

/// Every label move of a persona, newest first.
pub async fn label_moves(db: &Db, ws: WorkspaceId, id: PersonaId) -> AppResult<Vec<LabelMove>> {
    versions::label_moves(db, ws, id).await
}

/// Points `label` at version `n` (creating the label), recording who moved it from where.
/// Promoting a version = moving `production`; so is rolling production back.
/// Errors: `Invalid` (label name), `NotFound` (persona or version).
pub async fn move_label(db: &Db, ws: WorkspaceId, id: PersonaId, label: &str, n: i64, actor: &str) -> AppResult<Label> {
    let label = parse_label(label)?;
    version(db, ws, id, n).await?;
    let mut tx = db.pool.begin().await?;
    versions::set_label(&mut tx, ws, id, &label, n, actor).await?;
    tx.commit().await?;
    labels(db, ws, id)
        .await?
        .into_iter()
        .find(|l| l.name == label)
        .ok_or_else(|| AppError::not_found(format!("label {label}")))
}

/// Removes a label and records it. `production` cannot be removed (chat needs it).
/// Errors: `Invalid` (production or a bad name), `NotFound`.
pub async fn remove_label(db: &Db, ws: WorkspaceId, id: PersonaId, label: &str, actor: &str) -> AppResult<()> {
    let label = parse_label(label)?;
    if label == PRODUCTION {
        return Err(AppError::invalid("label", "production cannot be removed; move it to another version instead"));
    }
    summary(db, ws, id).await?;
    let mut tx = db.pool.begin().await?;
    let removed = versions::remove_label(&mut tx, ws, id, &label, actor).await?;
    if removed.is_none() {
        tx.rollback().await?;
        return Err(AppError::not_found(format!("label {label}")));
    }
    tx.commit().await?;
    Ok(())
}
