//! Assigning a persona, a label or a pinned version to one end user (a test, a rescue):
//! the pipeline answers that user with the assigned version instead of `production`,
//! and their new chats that name no persona use the assigned persona.

use super::chat::{find_end_user, PersonaChoice};
use super::db::Db;
use super::ids::{EndUserId, PersonaId, WorkspaceId};
use super::store::assignments::{self as store, NewAssignment};
use super::store::{audit, end_users, messages::SessionRef};
use super::{now_ms, personas, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{Assignment, AssignmentRequest, VersionInfo};

/// The user's assignment, if any. Errors: `NotFound` (user not in this workspace).
pub async fn assignment(db: &Db, ws: WorkspaceId, user_id: &str) -> AppResult<Option<Assignment>> {
    let eu = find_end_user(db, ws, user_id).await?;
    store::get(db, ws, eu).await
}

/// Assigns (replacing any earlier assignment) a persona, label and/or pinned version to
/// the user; audited as `assign` (before → after). Errors: `Invalid` (nothing to
/// assign, bad label, a version without its persona, a label the persona does not
/// have), `NotFound` (user; persona or version of another workspace or none).
pub async fn assign(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    by: &str,
    req: &AssignmentRequest,
) -> AppResult<Assignment> {
    let eu = find_end_user(&state.db, ws, user_id).await?;
    let label = req.label.as_deref().map(str::trim).filter(|l| !l.is_empty()).map(personas::parse_label).transpose()?;
    if req.persona_id.is_none() && label.is_none() && req.version.is_none() {
        return Err(AppError::invalid("persona_id", "assign a persona, a label or a version"));
    }
    let persona = req.persona_id.map(PersonaId);
    if let Some(p) = persona {
        personas::summary(&state.db, ws, p).await?;
    }
    match (persona, req.version) {
        (None, Some(_)) => return Err(AppError::invalid("version", "a pinned version needs its persona")),
        (Some(p), Some(n)) => {
            personas::version(&state.db, ws, p, n).await?;
        }
        _ => {}
    }
    if let (Some(p), Some(l), None) = (persona, label.as_deref(), req.version) {
        if let Err(AppError::NotFound { .. }) = personas::resolve_label(&state.db, ws, p, l).await {
            return Err(AppError::invalid("label", format!("this persona has no label \"{l}\"")));
        }
    }
    let before = store::get(&state.db, ws, eu).await?;
    let new = NewAssignment { persona_id: persona, label: label.as_deref(), version: req.version };
    store::set(&state.db, ws, eu, &new, by, now_ms()).await?;
    let after = store::get(&state.db, ws, eu).await?.ok_or_else(|| AppError::not_found("assignment"))?;
    audit_change(state, ws, by, "assign", user_id, before.as_ref(), Some(&after)).await?;
    Ok(after)
}

/// Removes the user's assignment (they get `production` again); audited as
/// `unassign`. Errors: `NotFound` (user, or nothing assigned).
pub async fn unassign(state: &AppState, ws: WorkspaceId, user_id: &str, by: &str) -> AppResult<()> {
    let eu = find_end_user(&state.db, ws, user_id).await?;
    let before = store::get(&state.db, ws, eu).await?.ok_or_else(|| AppError::not_found("assignment"))?;
    store::delete(&state.db, ws, eu).await?;
    audit_change(state, ws, by, "unassign", user_id, Some(&before), None).await
}

async fn audit_change(
    state: &AppState,
    ws: WorkspaceId,
    by: &str,
    action: &str,
    user_id: &str,
    before: Option<&Assignment>,
    after: Option<&Assignment>,
) -> AppResult<()> {
    let to_json =
        |a: &Assignment| serde_json::json!({"persona_id": a.persona_id, "label": a.label, "version": a.version});
    let (before, after) = (before.map(to_json), after.map(to_json));
    audit::record_change(&state.db, ws, by, action, user_id, before.as_ref(), after.as_ref()).await
}

/// The version that answers a turn in `at` when the user has an assignment for the
/// chat's persona: the pinned version, else the assigned label's version. None: no
/// assignment applies (or what it names is gone — logged), `production` answers.
pub async fn assigned_version(db: &Db, at: &SessionRef) -> AppResult<Option<VersionInfo>> {
    let Some(a) = store::get(db, at.workspace_id, at.end_user_id).await? else { return Ok(None) };
    if a.persona_id.is_some_and(|p| p != at.persona_id.get()) {
        return Ok(None);
    }
    let found = match (a.version, a.label.as_deref()) {
        (Some(n), _) => personas::version(db, at.workspace_id, at.persona_id, n).await,
        (None, Some(l)) => personas::resolve_label(db, at.workspace_id, at.persona_id, l).await,
        (None, None) => return Ok(None),
    };
    match found {
        Ok(v) => Ok(Some(v)),
        Err(AppError::NotFound { .. }) => {
            tracing::warn!(persona_id = %at.persona_id, "assigned label or version is gone; production answers");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The persona a new chat of `user_id` uses: `choice`, or — when it names none
/// ([`PersonaChoice::First`]) — the persona assigned to the user, if any.
pub async fn persona_choice(
    db: &Db,
    ws: WorkspaceId,
    user_id: &str,
    choice: PersonaChoice,
) -> AppResult<PersonaChoice> {
    if choice != PersonaChoice::First {
        return Ok(choice);
    }
    let Some(eu): Option<EndUserId> = end_users::find(db, ws, user_id).await? else { return Ok(choice) };
    Ok(match store::get(db, ws, eu).await?.and_then(|a| a.persona_id) {
        Some(p) => PersonaChoice::Id(PersonaId(p)),
        None => choice,
    })
}
