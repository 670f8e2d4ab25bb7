//! A persona's life: active or not (offered in chat), shared or not (in other
//! workspaces' library), soft delete with a 30-day restore. Each change is audited.

use super::{summary, RESTORE_WINDOW_MS};
use crate::engine::db::Db;
use crate::engine::ids::{PersonaId, WorkspaceId};
use crate::engine::store::audit;
use crate::engine::store::personas::{self as store, Flag};
use crate::engine::{is_unique_violation, now_ms, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{DeletedPersona, LiveEvent, PersonaSummary};

async fn set_flag(db: &Db, ws: WorkspaceId, id: PersonaId, flag: Flag, on: bool) -> AppResult<()> {
    if !store::set_flag(db, ws, id, flag, on).await? {
        return Err(AppError::not_found("persona"));
    }
    Ok(())
}

/// Activates or deactivates a persona: inactive ones are not offered in chat and refuse
/// new messages; open chats are told live ([`LiveEvent::Persona`]). Recorded in the audit
/// log. Errors: `NotFound`.
pub async fn set_active(state: &AppState, ws: WorkspaceId, id: PersonaId, active: bool, actor: &str) -> AppResult<()> {
    set_flag(&state.db, ws, id, Flag::Active, active).await?;
    let action = if active { "persona_activate" } else { "persona_deactivate" };
    audit::record(&state.db, ws, actor, action, &id.to_string(), "").await?;
    state.events.publish(ws, LiveEvent::Persona { persona_id: id.get(), available: active });
    Ok(())
}

/// Shares a persona with other workspaces' library, or stops sharing. Errors: `NotFound`.
pub async fn set_shared(db: &Db, ws: WorkspaceId, id: PersonaId, shared: bool, actor: &str) -> AppResult<()> {
    set_flag(db, ws, id, Flag::Shared, shared).await?;
    let action = if shared { "persona_share" } else { "persona_unshare" };
    audit::record(db, ws, actor, action, &id.to_string(), "").await
}

/// Soft-deletes a persona once `confirm_name` equals its name. Its name is freed (kept
/// aside for a restore); it disappears from lists, chat and the library; restorable for
/// 30 days. Open chats are told live. Errors: `NotFound`, `Invalid` (field `confirm_name`).
pub async fn delete(
    state: &AppState,
    ws: WorkspaceId,
    id: PersonaId,
    confirm_name: &str,
    actor: &str,
) -> AppResult<()> {
    let db = &state.db;
    let p = summary(db, ws, id).await?;
    if confirm_name.trim() != p.name {
        return Err(AppError::invalid("confirm_name", format!("type the persona's name, “{}”, to delete it", p.name)));
    }
    // A control character cannot be part of a real name (parse_name), so this never clashes.
    let tombstone = format!("\u{1}deleted-{id}");
    store::soft_delete(db, ws, id, actor, &tombstone).await?;
    audit::record(db, ws, actor, "persona_delete", &id.to_string(), &p.name).await?;
    state.events.publish(ws, LiveEvent::Persona { persona_id: id.get(), available: false });
    Ok(())
}

/// Personas deleted within the last 30 days, newest first.
pub async fn deleted(db: &Db, ws: WorkspaceId) -> AppResult<Vec<DeletedPersona>> {
    store::deleted(db, ws, None, now_ms() - RESTORE_WINDOW_MS, RESTORE_WINDOW_MS).await
}

/// Restores a persona deleted within the last 30 days under its old name.
/// Errors: `NotFound` (not deleted, elsewhere, or too old), `Conflict` (the name was taken).
pub async fn restore(db: &Db, ws: WorkspaceId, id: PersonaId, actor: &str) -> AppResult<PersonaSummary> {
    let gone = store::deleted(db, ws, Some(id), now_ms() - RESTORE_WINDOW_MS, RESTORE_WINDOW_MS).await?.pop();
    let Some(gone) = gone else {
        return Err(AppError::not_found("deleted persona"));
    };
    store::undelete(db, ws, id).await.map_err(|e| {
        if is_unique_violation(&e) {
            AppError::Conflict {
                message: format!("a persona named “{}” exists now; rename or delete it, then restore", gone.name),
            }
        } else {
            e.into()
        }
    })?;
    audit::record(db, ws, actor, "persona_restore", &id.to_string(), &gone.name).await?;
    summary(db, ws, id).await
}
