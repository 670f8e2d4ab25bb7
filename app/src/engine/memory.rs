//! What the persona remembers about each end user: key → JSON value, read by every turn
//! (`memory` in the template) and edited by operators.

use super::chat::find_end_user;
use super::db::Db;
use super::ids::{EndUserId, WorkspaceId};
use super::store::memory as store;
use crate::error::{AppError, AppResult};
use crate::types::MemoryEntry;

/// Longest memory key, in characters.
pub const MAX_MEMORY_KEY_CHARS: usize = 64;
/// Largest memory value, serialised JSON, in bytes (16 KiB).
pub const MAX_MEMORY_VALUE_BYTES: usize = 16 * 1024;

/// A memory key: 1–64 characters of letters, digits, `_`, `-`, `.`. Errors: `Invalid` (field `key`).
pub fn parse_memory_key(key: &str) -> AppResult<String> {
    let key = key.trim();
    if key.is_empty()
        || key.chars().count() > MAX_MEMORY_KEY_CHARS
        || !key.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(AppError::invalid(
            "key",
            format!("a key is 1 to {MAX_MEMORY_KEY_CHARS} letters, digits, _ - or ."),
        ));
    }
    Ok(key.to_string())
}

/// The user's memory, by key.
pub async fn memory(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<Vec<MemoryEntry>> {
    store::list(db, ws, end_user).await
}

/// The user's memory as the template's `memory` object.
pub async fn memory_map(
    db: &Db,
    ws: WorkspaceId,
    end_user: EndUserId,
) -> AppResult<serde_json::Map<String, serde_json::Value>> {
    Ok(store::list(db, ws, end_user).await?.into_iter().map(|e| (e.key, e.value)).collect())
}

/// Sets one memory entry (JSON value, at most 16 KiB serialised). Errors: `Invalid`, `NotFound` (user).
pub async fn set_memory(
    db: &Db,
    ws: WorkspaceId,
    user_id: &str,
    key: &str,
    value: &serde_json::Value,
) -> AppResult<MemoryEntry> {
    let key = parse_memory_key(key)?;
    let raw = serde_json::to_string(value).map_err(|e| super::internal("memory json", e))?;
    if raw.len() > MAX_MEMORY_VALUE_BYTES {
        return Err(AppError::invalid("value", "a memory value is at most 16 KiB"));
    }
    let eu = find_end_user(db, ws, user_id).await?;
    store::upsert(db, ws, eu, &key, &raw).await?;
    Ok(MemoryEntry { key, value: value.clone() })
}

/// The row id of a memory entry (the original API's `memory_id`; stable across updates).
/// Errors: `NotFound` (user or key).
pub async fn memory_id(db: &Db, ws: WorkspaceId, user_id: &str, key: &str) -> AppResult<i64> {
    let eu = find_end_user(db, ws, user_id).await?;
    store::id_of(db, ws, eu, key).await?.ok_or_else(|| AppError::not_found("memory key"))
}

/// Deletes one memory entry. Errors: `NotFound` (user or key).
pub async fn delete_memory(db: &Db, ws: WorkspaceId, user_id: &str, key: &str) -> AppResult<()> {
    let eu = find_end_user(db, ws, user_id).await?;
    if !store::delete(db, ws, eu, key).await? {
        return Err(AppError::not_found("memory key"));
    }
    Ok(())
}
