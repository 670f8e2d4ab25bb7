//! What the persona remembers about each end user: key → JSON value, read by every turn
//! (`memory` in the template), with provenance (who or what set it, when, from which
//! message). Operators edit it; the memory job ([`extraction`]) adds facts, at once or
//! through the approval queue ([`approval`]). Every change is audited (`memory_set`,
//! `memory_delete`, `memory_reject`; before → after).

pub mod approval;
pub mod extraction;
pub(crate) mod job_llm;

use crate::engine::chat::find_end_user;
use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, MessageId, PersonaId, WorkspaceId};
use crate::engine::store::audit;
use crate::engine::store::memory::{self as store, Provenance};
use crate::error::{AppError, AppResult};
use crate::types::{ExtractionMode, MemoryEntry, MemorySource, PersonaMemorySettings};

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

/// Who or what sets a memory entry (see [`MemorySource`]).
#[derive(Clone, Copy, Debug)]
pub struct SetBy<'a> {
    pub source: MemorySource,
    /// The operator's email; for `extraction`, the approver (None: written without approval).
    pub actor: Option<&'a str>,
    /// The user message an extracted fact came from.
    pub source_message_id: Option<MessageId>,
}

impl<'a> SetBy<'a> {
    /// An operator in the dashboard.
    pub fn operator(email: &'a str) -> Self {
        SetBy { source: MemorySource::Operator, actor: Some(email), source_message_id: None }
    }

    /// A REST API call with `email`'s session.
    pub fn api(email: &'a str) -> Self {
        SetBy { source: MemorySource::Api, actor: Some(email), source_message_id: None }
    }

    /// The memory job, from user message `from`, approved by `approver` (if any).
    pub fn extraction(from: MessageId, approver: Option<&'a str>) -> Self {
        SetBy { source: MemorySource::Extraction, actor: approver, source_message_id: Some(from) }
    }

    /// The audit log's actor: the email, else `extraction`.
    pub fn audit_actor(&self) -> &'a str {
        self.actor.unwrap_or("extraction")
    }
}

/// An entry as the audit log records it (key, value and provenance).
fn audited(e: &MemoryEntry) -> serde_json::Value {
    serde_json::to_value(e).unwrap_or(serde_json::Value::Null)
}

/// The user's memory, by key, with provenance.
pub async fn memory(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<Vec<MemoryEntry>> {
    store::list(db, ws, end_user).await
}

/// The user's memory as the template's `memory` object: only entries in effect (facts
/// waiting for approval are not memory yet).
pub async fn memory_map(
    db: &Db,
    ws: WorkspaceId,
    end_user: EndUserId,
) -> AppResult<serde_json::Map<String, serde_json::Value>> {
    Ok(store::list(db, ws, end_user).await?.into_iter().map(|e| (e.key, e.value)).collect())
}

/// The serialised value, checked against [`MAX_MEMORY_VALUE_BYTES`]. Errors: `Invalid` (value).
pub(crate) fn serialise_value(value: &serde_json::Value) -> AppResult<String> {
    let raw = serde_json::to_string(value).map_err(|e| crate::engine::internal("memory json", e))?;
    if raw.len() > MAX_MEMORY_VALUE_BYTES {
        return Err(AppError::invalid("value", "a memory value is at most 16 KiB"));
    }
    Ok(raw)
}

/// Sets one memory entry of end user `eu` (external id `user_id`, for the audit log) and
/// audits the change. `key` must be parsed already. Returns the entry as stored.
pub(crate) async fn write(
    db: &Db,
    ws: WorkspaceId,
    (eu, user_id): (EndUserId, &str),
    key: &str,
    value: &serde_json::Value,
    by: SetBy<'_>,
) -> AppResult<MemoryEntry> {
    let raw = serialise_value(value)?;
    let before = store::get(db, ws, eu, key).await?;
    let p = Provenance { source: by.source, set_by: by.actor, source_message_id: by.source_message_id };
    store::upsert(db, ws, eu, key, &raw, &p).await?;
    let after = store::get(db, ws, eu, key).await?.ok_or_else(|| AppError::not_found("memory key"))?;
    audit::record_change(
        db,
        ws,
        by.audit_actor(),
        "memory_set",
        user_id,
        before.as_ref().map(audited).as_ref(),
        Some(&audited(&after)),
    )
    .await?;
    Ok(after)
}

/// Sets one memory entry (JSON value, at most 16 KiB serialised) with its provenance and
/// audits it. Errors: `Invalid` (key, value), `NotFound` (user).
pub async fn set_memory(
    db: &Db,
    ws: WorkspaceId,
    user_id: &str,
    key: &str,
    value: &serde_json::Value,
    by: SetBy<'_>,
) -> AppResult<MemoryEntry> {
    let key = parse_memory_key(key)?;
    serialise_value(value)?;
    let eu = find_end_user(db, ws, user_id).await?;
    write(db, ws, (eu, user_id), &key, value, by).await
}

/// The row id of a memory entry (the original API's `memory_id`; stable across updates).
/// Errors: `NotFound` (user or key).
pub async fn memory_id(db: &Db, ws: WorkspaceId, user_id: &str, key: &str) -> AppResult<i64> {
    let eu = find_end_user(db, ws, user_id).await?;
    store::id_of(db, ws, eu, key).await?.ok_or_else(|| AppError::not_found("memory key"))
}

/// Deletes one memory entry, audited with `actor` (the operator's email). Errors:
/// `NotFound` (user or key).
pub async fn delete_memory(db: &Db, ws: WorkspaceId, user_id: &str, key: &str, actor: &str) -> AppResult<()> {
    let eu = find_end_user(db, ws, user_id).await?;
    let before = store::get(db, ws, eu, key).await?;
    if !store::delete(db, ws, eu, key).await? {
        return Err(AppError::not_found("memory key"));
    }
    audit::record_change(db, ws, actor, "memory_delete", user_id, before.as_ref().map(audited).as_ref(), None).await
}

/// The persona's automatic-memory mode. Errors: `NotFound` (persona).
pub async fn extraction_mode(db: &Db, ws: WorkspaceId, persona: PersonaId) -> AppResult<ExtractionMode> {
    store::extraction_mode(db, ws, persona).await?.ok_or_else(|| AppError::not_found("persona"))
}

/// Sets the persona's automatic-memory mode, audited (`memory_extraction`). Errors: `NotFound` (persona).
pub async fn set_extraction_mode(
    db: &Db,
    ws: WorkspaceId,
    persona: PersonaId,
    mode: ExtractionMode,
    actor: &str,
) -> AppResult<()> {
    let before = extraction_mode(db, ws, persona).await?;
    if !store::set_extraction_mode(db, ws, persona, mode).await? {
        return Err(AppError::not_found("persona"));
    }
    audit::record_change(
        db,
        ws,
        actor,
        "memory_extraction",
        &persona.to_string(),
        Some(&serde_json::json!(before.as_str())),
        Some(&serde_json::json!(mode.as_str())),
    )
    .await
}

/// Every persona of the workspace (not deleted) with its automatic-memory and sentiment switches, by name.
pub async fn persona_settings(db: &Db, ws: WorkspaceId) -> AppResult<Vec<PersonaMemorySettings>> {
    store::persona_settings(db, ws).await
}

/// One persona's switches. Errors: `NotFound` (persona not in the workspace, or deleted).
pub async fn persona_setting(db: &Db, ws: WorkspaceId, persona: PersonaId) -> AppResult<PersonaMemorySettings> {
    store::persona_settings(db, ws)
        .await?
        .into_iter()
        .find(|p| p.persona_id == persona.get())
        .ok_or_else(|| AppError::not_found("persona"))
}
