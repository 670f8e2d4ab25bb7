//! `user_memory` (what the persona remembers about an end user, key → JSON value, with
//! provenance), `memory_candidates` (extracted facts waiting for approval) and the
//! persona's `templates.memory_extraction` switch.

use super::{corrupt, Corrupt};
use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, MessageId, PersonaId, SessionId, WorkspaceId};
use crate::engine::now_ms;
use crate::error::AppResult;
use crate::types::{ExtractionMode, MemoryCandidate, MemoryEntry, MemorySource};

#[derive(sqlx::FromRow)]
struct MemoryRow {
    key: String,
    value: String,
    source: String,
    set_by: Option<String>,
    source_message_id: Option<i64>,
    updated_at: i64,
}

impl TryFrom<MemoryRow> for MemoryEntry {
    type Error = Corrupt;
    fn try_from(r: MemoryRow) -> Result<Self, Corrupt> {
        let value =
            serde_json::from_str(&r.value).map_err(|e| corrupt("user_memory.value", format!("{}: {e}", r.key)))?;
        let source = MemorySource::parse(&r.source)
            .ok_or_else(|| corrupt("user_memory.source", format!("{}: {:?}", r.key, r.source)))?;
        Ok(MemoryEntry {
            key: r.key,
            value,
            source,
            set_by: r.set_by,
            source_message_id: r.source_message_id,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str = "key, value, source, set_by, source_message_id, updated_at";

/// The user's entries, by key.
pub async fn list(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<Vec<MemoryEntry>> {
    let rows: Vec<MemoryRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM user_memory WHERE workspace_id = $1 AND end_user_id = $2 ORDER BY key"
    ))
    .bind(ws)
    .bind(end_user)
    .fetch_all(&db.pool)
    .await?;
    Ok(super::convert(rows)?)
}

/// One entry, if set.
pub async fn get(db: &Db, ws: WorkspaceId, end_user: EndUserId, key: &str) -> AppResult<Option<MemoryEntry>> {
    let row: Option<MemoryRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM user_memory WHERE workspace_id = $1 AND end_user_id = $2 AND key = $3"
    ))
    .bind(ws)
    .bind(end_user)
    .bind(key)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(MemoryEntry::try_from).transpose()?)
}

/// Where a write comes from.
pub struct Provenance<'a> {
    pub source: MemorySource,
    pub set_by: Option<&'a str>,
    pub source_message_id: Option<MessageId>,
}

/// Sets `key` to `raw` (serialised JSON) with its provenance, creating or replacing it.
pub async fn upsert(
    db: &Db,
    ws: WorkspaceId,
    end_user: EndUserId,
    key: &str,
    raw: &str,
    p: &Provenance<'_>,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO user_memory (workspace_id, end_user_id, key, value, updated_at, source, set_by, source_message_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (end_user_id, key) DO UPDATE SET value = $4, updated_at = $5, source = $6, set_by = $7, \
         source_message_id = $8",
    )
    .bind(ws)
    .bind(end_user)
    .bind(key)
    .bind(raw)
    .bind(now_ms())
    .bind(p.source.as_str())
    .bind(p.set_by)
    .bind(p.source_message_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The row id of `key` (stable across updates), if set.
pub async fn id_of(db: &Db, ws: WorkspaceId, end_user: EndUserId, key: &str) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM user_memory WHERE workspace_id = $1 AND end_user_id = $2 AND key = $3")
        .bind(ws)
        .bind(end_user)
        .bind(key)
        .fetch_optional(&db.pool)
        .await?)
}

/// Deletes `key`. Returns false when it was not set.
pub async fn delete(db: &Db, ws: WorkspaceId, end_user: EndUserId, key: &str) -> AppResult<bool> {
    let done = sqlx::query("DELETE FROM user_memory WHERE workspace_id = $1 AND end_user_id = $2 AND key = $3")
        .bind(ws)
        .bind(end_user)
        .bind(key)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The persona's automatic-memory mode; None when the persona is not in the workspace.
pub async fn extraction_mode(db: &Db, ws: WorkspaceId, persona: PersonaId) -> AppResult<Option<ExtractionMode>> {
    let raw: Option<String> =
        sqlx::query_scalar("SELECT memory_extraction FROM templates WHERE workspace_id = $1 AND id = $2")
            .bind(ws)
            .bind(persona)
            .fetch_optional(&db.pool)
            .await?;
    raw.map(|r| ExtractionMode::parse(&r).ok_or_else(|| corrupt("templates.memory_extraction", r).into())).transpose()
}

/// Sets the persona's automatic-memory mode. Returns false when the persona is not in the workspace.
pub async fn set_extraction_mode(
    db: &Db,
    ws: WorkspaceId,
    persona: PersonaId,
    mode: ExtractionMode,
) -> AppResult<bool> {
    let done = sqlx::query("UPDATE templates SET memory_extraction = $3 WHERE workspace_id = $1 AND id = $2")
        .bind(ws)
        .bind(persona)
        .bind(mode.as_str())
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A fact to queue.
pub struct NewCandidate<'a> {
    pub end_user_id: EndUserId,
    pub session_id: SessionId,
    pub source_message_id: MessageId,
    pub key: &'a str,
    /// Serialised JSON.
    pub raw: &'a str,
}

/// Queues a fact as `pending`. Nothing is added when this message already gave a fact
/// with this key (a job run again); returns whether a row was added.
pub async fn insert_candidate(db: &Db, ws: WorkspaceId, c: &NewCandidate<'_>) -> AppResult<bool> {
    let done = sqlx::query(
        "INSERT INTO memory_candidates (workspace_id, end_user_id, session_id, source_message_id, key, value, status, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) ON CONFLICT (source_message_id, key) DO NOTHING",
    )
    .bind(ws)
    .bind(c.end_user_id)
    .bind(c.session_id)
    .bind(c.source_message_id)
    .bind(c.key)
    .bind(c.raw)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether the job extracted this fact (key and serialised value) for the user before, in
/// any state: pending (not queued twice), approved or rejected (not asked again).
pub async fn candidate_known(db: &Db, ws: WorkspaceId, end_user: EndUserId, key: &str, raw: &str) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memory_candidates WHERE workspace_id = $1 AND end_user_id = $2 AND key = $3 AND value = $4",
    )
    .bind(ws)
    .bind(end_user)
    .bind(key)
    .bind(raw)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: i64,
    end_user_id: EndUserId,
    external_id: String,
    session_id: Option<i64>,
    source_message_id: i64,
    source_message: Option<String>,
    key: String,
    value: String,
    status: String,
    created_at: i64,
    decided_by: Option<String>,
    decided_at: Option<i64>,
}

impl TryFrom<CandidateRow> for (EndUserId, MemoryCandidate) {
    type Error = Corrupt;
    fn try_from(r: CandidateRow) -> Result<Self, Corrupt> {
        let value =
            serde_json::from_str(&r.value).map_err(|e| corrupt("memory_candidates.value", format!("{}: {e}", r.id)))?;
        Ok((
            r.end_user_id,
            MemoryCandidate {
                id: r.id,
                user_id: r.external_id,
                session_id: r.session_id,
                source_message_id: r.source_message_id,
                source_message: r.source_message,
                key: r.key,
                value,
                status: r.status,
                created_at: r.created_at,
                decided_by: r.decided_by,
                decided_at: r.decided_at,
            },
        ))
    }
}

const CANDIDATE_SELECT: &str = "SELECT c.id, c.end_user_id, u.external_id, c.session_id, c.source_message_id, \
     SUBSTR(m.content, 1, 200) AS source_message, c.key, c.value, c.status, c.created_at, c.decided_by, c.decided_at \
     FROM memory_candidates c JOIN end_users u ON u.id = c.end_user_id \
     LEFT JOIN messages m ON m.id = c.source_message_id AND m.workspace_id = c.workspace_id";

/// The workspace's facts with `status`, oldest first (at most `limit`); `user`: only this
/// end user's.
pub async fn candidates(
    db: &Db,
    ws: WorkspaceId,
    status: &str,
    user: Option<EndUserId>,
    limit: i64,
) -> AppResult<Vec<MemoryCandidate>> {
    let rows: Vec<CandidateRow> = sqlx::query_as(&format!(
        "{CANDIDATE_SELECT} WHERE c.workspace_id = $1 AND c.status = $2 AND ($3 IS NULL OR c.end_user_id = $3) \
         ORDER BY c.id LIMIT $4"
    ))
    .bind(ws)
    .bind(status)
    .bind(user)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let pairs: Vec<(EndUserId, MemoryCandidate)> = super::convert(rows)?;
    Ok(pairs.into_iter().map(|(_, c)| c).collect())
}

/// One fact of the workspace, with its end user.
pub async fn candidate(db: &Db, ws: WorkspaceId, id: i64) -> AppResult<Option<(EndUserId, MemoryCandidate)>> {
    let row: Option<CandidateRow> =
        sqlx::query_as(&format!("{CANDIDATE_SELECT} WHERE c.workspace_id = $1 AND c.id = $2"))
            .bind(ws)
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(TryInto::try_into).transpose()?)
}

/// Decides a `pending` fact: `approved` or `rejected` (the extracted value is kept as it
/// was, also when the operator edited what was written). Returns false when it is no
/// longer pending (decided meanwhile by someone else).
pub async fn decide(db: &Db, ws: WorkspaceId, id: i64, status: &str, by: &str) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE memory_candidates SET status = $3, decided_by = $4, decided_at = $5 \
         WHERE workspace_id = $1 AND id = $2 AND status = 'pending'",
    )
    .bind(ws)
    .bind(id)
    .bind(status)
    .bind(by)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    id: i64,
    name: String,
    memory_extraction: String,
    sentiment_enabled: i64,
}

/// Every persona of the workspace (not deleted) with its automatic-memory and sentiment
/// switches, by name.
pub async fn persona_settings(db: &Db, ws: WorkspaceId) -> AppResult<Vec<crate::types::PersonaMemorySettings>> {
    let rows: Vec<SettingsRow> = sqlx::query_as(
        "SELECT id, name, memory_extraction, sentiment_enabled FROM templates \
         WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY name, id",
    )
    .bind(ws)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let mode = ExtractionMode::parse(&r.memory_extraction)
                .ok_or_else(|| corrupt("templates.memory_extraction", r.memory_extraction.clone()))?;
            Ok(crate::types::PersonaMemorySettings {
                persona_id: r.id,
                name: r.name,
                memory_extraction: mode,
                sentiment_enabled: r.sentiment_enabled != 0,
            })
        })
        .collect::<Result<Vec<_>, Corrupt>>()
        .map_err(Into::into)
}
