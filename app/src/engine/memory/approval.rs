//! The approval queue of automatic memory: facts the memory job extracted for a persona in
//! `approval` mode wait as `pending` until an operator approves them (maybe edited; the
//! fact is then written to the user's memory, tagged `extraction`, with its source
//! message and the approver) or rejects them. Only approved facts reach the template.

use super::{serialise_value, write, SetBy};
use crate::engine::db::Db;
use crate::engine::ids::{MessageId, WorkspaceId};
use crate::engine::store::audit;
use crate::engine::store::memory as store;
use crate::engine::AppState;
use crate::error::{AppError, AppResult};
use crate::types::{LiveEvent, MemoryCandidate, MemoryEntry};

/// Most facts one listing returns.
pub const MAX_LISTED: i64 = 500;

/// The workspace's pending facts, oldest first; `user_id`: only this end user's.
/// Errors: `NotFound` (user).
pub async fn pending(db: &Db, ws: WorkspaceId, user_id: Option<&str>) -> AppResult<Vec<MemoryCandidate>> {
    let user = match user_id {
        Some(u) => Some(crate::engine::chat::find_end_user(db, ws, u).await?),
        None => None,
    };
    store::candidates(db, ws, "pending", user, MAX_LISTED).await
}

/// Fact `id` of the workspace, in any state. Errors: `NotFound`.
pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> AppResult<MemoryCandidate> {
    Ok(store::candidate(db, ws, id).await?.ok_or_else(|| AppError::not_found("pending memory"))?.1)
}

/// A pending fact of the workspace. Errors: `NotFound`, `Conflict` (decided already).
async fn pending_one(db: &Db, ws: WorkspaceId, id: i64) -> AppResult<(crate::engine::ids::EndUserId, MemoryCandidate)> {
    let (eu, c) = store::candidate(db, ws, id).await?.ok_or_else(|| AppError::not_found("pending memory"))?;
    if c.status != "pending" {
        return Err(AppError::Conflict { message: format!("this fact was {} already", c.status) });
    }
    Ok((eu, c))
}

/// Approves pending fact `id` — with `edited` as its value when given — and writes it to
/// the user's memory (source `extraction`, set by `actor`). Errors: `NotFound`,
/// `Conflict` (decided already), `Invalid` (value over 16 KiB). Publishes
/// [`LiveEvent::Memory`] (other operators' open pages follow).
pub async fn approve(
    state: &AppState,
    ws: WorkspaceId,
    id: i64,
    edited: Option<&serde_json::Value>,
    actor: &str,
) -> AppResult<MemoryEntry> {
    let db = &state.db;
    let (eu, c) = pending_one(db, ws, id).await?;
    let value = edited.cloned().unwrap_or_else(|| c.value.clone());
    serialise_value(&value)?;
    if !store::decide(db, ws, id, "approved", actor).await? {
        return Err(AppError::Conflict { message: "this fact was decided already".into() });
    }
    let by = SetBy::extraction(MessageId(c.source_message_id), Some(actor));
    let entry = write(db, ws, (eu, &c.user_id), &c.key, &value, by).await?;
    state.events.publish(ws, LiveEvent::Memory { user_id: c.user_id });
    Ok(entry)
}

/// Rejects pending fact `id` (it never reaches the memory), audited as `memory_reject`.
/// Errors: `NotFound`, `Conflict` (decided already). Publishes [`LiveEvent::Memory`].
pub async fn reject(state: &AppState, ws: WorkspaceId, id: i64, actor: &str) -> AppResult<()> {
    let db = &state.db;
    let (_, c) = pending_one(db, ws, id).await?;
    if !store::decide(db, ws, id, "rejected", actor).await? {
        return Err(AppError::Conflict { message: "this fact was decided already".into() });
    }
    let before = serde_json::to_value(&c).map_err(|e| crate::engine::internal("candidate json", e))?;
    audit::record_change(db, ws, actor, "memory_reject", &c.user_id, Some(&before), None).await?;
    state.events.publish(ws, LiveEvent::Memory { user_id: c.user_id });
    Ok(())
}
