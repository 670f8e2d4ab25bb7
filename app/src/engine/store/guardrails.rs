//! `guardrails` (rule sets; `workspace_id` NULL = preset), `guardrail_hits`, and the
//! `guardrail_id` columns of `templates` (a persona's set) and `chat_sessions` (a chat's
//! own choice). Also the read of recent messages a backtest runs over.

use super::{convert, corrupt, json, Corrupt};
use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, MessageId, PersonaId, SessionId, WorkspaceId};
use crate::engine::now_ms;
use crate::error::AppResult;
use crate::types::{Guardrail, GuardrailHit, GuardrailRule};

/// A rule set: `guardrails.id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, sqlx::Type)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct GuardrailId(pub i64);

impl GuardrailId {
    /// The raw key, for wire types and logs.
    pub fn get(self) -> i64 {
        self.0
    }
}

const SELECT: &str =
    "SELECT id, workspace_id, name, description, rules, is_active, created_by, created_at, updated_at \
                      FROM guardrails";

#[derive(sqlx::FromRow)]
struct GuardrailRow {
    id: i64,
    workspace_id: Option<i64>,
    name: String,
    description: Option<String>,
    rules: String,
    is_active: i64,
    created_by: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<GuardrailRow> for Guardrail {
    type Error = Corrupt;
    fn try_from(r: GuardrailRow) -> Result<Self, Corrupt> {
        let rules: Vec<GuardrailRule> = json("guardrails.rules", &r.rules)?;
        let is_active = match r.is_active {
            0 => false,
            1 => true,
            other => return Err(corrupt("guardrails.is_active", format!("flag is {other}"))),
        };
        Ok(Guardrail {
            id: r.id,
            name: r.name,
            description: r.description,
            rules,
            is_system: r.workspace_id.is_none(),
            is_active,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The presets and the workspace's own sets, presets first, then by name.
pub async fn list(db: &Db, ws: WorkspaceId) -> AppResult<Vec<Guardrail>> {
    let rows: Vec<GuardrailRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE workspace_id IS NULL OR workspace_id = $1 ORDER BY (CASE WHEN workspace_id IS NULL THEN 0 ELSE 1 END), name"
    ))
    .bind(ws)
    .fetch_all(&db.pool)
    .await?;
    Ok(convert(rows)?)
}

/// The set named `name`: the workspace's own, else a preset.
pub async fn by_name(db: &Db, ws: WorkspaceId, name: &str) -> AppResult<Option<Guardrail>> {
    let row: Option<GuardrailRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE name = $1 AND (workspace_id = $2 OR workspace_id IS NULL) \
         ORDER BY (CASE WHEN workspace_id IS NULL THEN 1 ELSE 0 END) LIMIT 1"
    ))
    .bind(name)
    .bind(ws)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(Guardrail::try_from).transpose()?)
}

/// Set `id` if it is the workspace's or a preset.
pub async fn by_id(db: &Db, ws: WorkspaceId, id: GuardrailId) -> AppResult<Option<Guardrail>> {
    let row: Option<GuardrailRow> =
        sqlx::query_as(&format!("{SELECT} WHERE id = $1 AND (workspace_id = $2 OR workspace_id IS NULL)"))
            .bind(id)
            .bind(ws)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(Guardrail::try_from).transpose()?)
}

/// Inserts a workspace's set; returns its id. Errors: the unique violation of a taken name.
pub async fn insert(
    db: &Db,
    ws: WorkspaceId,
    name: &str,
    description: Option<&str>,
    rules: &[GuardrailRule],
    created_by: &str,
) -> Result<GuardrailId, sqlx::Error> {
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO guardrails (workspace_id, name, description, rules, is_active, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $6, $6) RETURNING id",
    )
    .bind(ws)
    .bind(name)
    .bind(description)
    .bind(super::to_json(&rules)?)
    .bind(created_by)
    .bind(now)
    .fetch_one(&db.pool)
    .await?;
    Ok(GuardrailId(id))
}

/// Writes every field of the workspace's set `g` (never a preset). Errors: the unique
/// violation of a taken name.
pub async fn update(db: &Db, ws: WorkspaceId, g: &Guardrail) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE guardrails SET name = $1, description = $2, rules = $3, is_active = $4, updated_at = $5 \
         WHERE id = $6 AND workspace_id = $7",
    )
    .bind(&g.name)
    .bind(&g.description)
    .bind(super::to_json(&g.rules)?)
    .bind(g.is_active as i64)
    .bind(now_ms())
    .bind(g.id)
    .bind(ws)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Deletes the workspace's set `id` (never a preset); chats that chose it fall back to
/// their persona's set. The caller checks that no persona uses it.
pub async fn delete(db: &Db, ws: WorkspaceId, id: GuardrailId) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("UPDATE chat_sessions SET guardrail_id = NULL WHERE workspace_id = $1 AND guardrail_id = $2")
        .bind(ws)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM guardrails WHERE id = $1 AND workspace_id = $2")
        .bind(id)
        .bind(ws)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The workspace's personas (not deleted) that use set `id`: (id, name), by name.
pub async fn personas_using(db: &Db, ws: WorkspaceId, id: GuardrailId) -> AppResult<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, name FROM templates WHERE workspace_id = $1 AND guardrail_id = $2 AND deleted_at IS NULL ORDER BY name",
    )
    .bind(ws)
    .bind(id)
    .fetch_all(&db.pool)
    .await?)
}

/// Every persona of the workspace (not deleted) with the id of the set it uses.
pub async fn persona_choices(db: &Db, ws: WorkspaceId) -> AppResult<Vec<(i64, String, Option<i64>)>> {
    Ok(sqlx::query_as(
        "SELECT id, name, guardrail_id FROM templates WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY name",
    )
    .bind(ws)
    .fetch_all(&db.pool)
    .await?)
}

/// Makes exactly `personas` (of the workspace) use set `id`: others that used it use
/// none afterwards. Returns how many of `personas` exist in the workspace (the caller
/// compares to tell an unknown id).
pub async fn set_personas(db: &Db, ws: WorkspaceId, id: GuardrailId, personas: &[PersonaId]) -> AppResult<usize> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("UPDATE templates SET guardrail_id = NULL WHERE workspace_id = $1 AND guardrail_id = $2")
        .bind(ws)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let mut found = 0;
    for p in personas {
        let done = sqlx::query(
            "UPDATE templates SET guardrail_id = $1 WHERE workspace_id = $2 AND id = $3 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(ws)
        .bind(p)
        .execute(&mut *tx)
        .await?;
        found += done.rows_affected() as usize;
    }
    if found == personas.len() {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(found)
}

/// The set a turn in `session` uses: the chat's own choice, else its persona's.
pub async fn for_session(db: &Db, ws: WorkspaceId, session: SessionId) -> AppResult<Option<GuardrailId>> {
    let id: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT COALESCE(s.guardrail_id, t.guardrail_id) FROM chat_sessions s JOIN templates t ON t.id = s.template_id \
         WHERE s.id = $1 AND s.workspace_id = $2",
    )
    .bind(session)
    .bind(ws)
    .fetch_optional(&db.pool)
    .await?;
    Ok(id.flatten().map(GuardrailId))
}

/// Stores a chat's own choice of set (the request's `guardrail_config`).
pub async fn set_for_session(db: &Db, ws: WorkspaceId, session: SessionId, id: GuardrailId) -> AppResult<()> {
    sqlx::query("UPDATE chat_sessions SET guardrail_id = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(id)
        .bind(session)
        .bind(ws)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// A hit to store (see [`GuardrailHit`]).
pub struct NewHit<'a> {
    pub message_id: MessageId,
    pub session_id: SessionId,
    pub guardrail: &'a str,
    pub rule: &'a str,
    pub kind: &'a str,
    pub action: &'a str,
    pub excerpt: &'a str,
}

/// Stores one hit at now; returns it.
pub async fn insert_hit(db: &Db, ws: WorkspaceId, h: &NewHit<'_>) -> AppResult<GuardrailHit> {
    crate::engine::telemetry::guardrail_hit(h.action);
    let at = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO guardrail_hits (workspace_id, message_id, session_id, guardrail, rule, kind, action, excerpt, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(ws)
    .bind(h.message_id)
    .bind(h.session_id)
    .bind(h.guardrail)
    .bind(h.rule)
    .bind(h.kind)
    .bind(h.action)
    .bind(h.excerpt)
    .bind(at)
    .fetch_one(&db.pool)
    .await?;
    Ok(GuardrailHit {
        id,
        message_id: h.message_id.get(),
        session_id: h.session_id.get(),
        guardrail: h.guardrail.to_string(),
        rule: h.rule.to_string(),
        kind: h.kind.to_string(),
        action: h.action.to_string(),
        excerpt: h.excerpt.to_string(),
        at,
    })
}

/// Whether message `id` has a hit with `action` (e.g. it halted the conversation before).
pub async fn has_hit(db: &Db, ws: WorkspaceId, id: MessageId, action: &str) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM guardrail_hits WHERE workspace_id = $1 AND message_id = $2 AND action = $3",
    )
    .bind(ws)
    .bind(id)
    .bind(action)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

#[derive(sqlx::FromRow)]
struct HitRow {
    id: i64,
    message_id: i64,
    session_id: i64,
    guardrail: String,
    rule: String,
    kind: String,
    action: String,
    excerpt: String,
    created_at: i64,
}

/// The hits on an end user's messages, oldest first (at most `limit`, the newest).
pub async fn hits_of_user(db: &Db, ws: WorkspaceId, end_user: EndUserId, limit: i64) -> AppResult<Vec<GuardrailHit>> {
    let rows: Vec<HitRow> = sqlx::query_as(
        "SELECT h.id, h.message_id, h.session_id, h.guardrail, h.rule, h.kind, h.action, h.excerpt, h.created_at \
         FROM guardrail_hits h JOIN messages m ON m.id = h.message_id AND m.workspace_id = h.workspace_id \
         WHERE h.workspace_id = $1 AND m.end_user_id = $2 ORDER BY h.id DESC LIMIT $3",
    )
    .bind(ws)
    .bind(end_user)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut hits: Vec<GuardrailHit> = rows
        .into_iter()
        .map(|r| GuardrailHit {
            id: r.id,
            message_id: r.message_id,
            session_id: r.session_id,
            guardrail: r.guardrail,
            rule: r.rule,
            kind: r.kind,
            action: r.action,
            excerpt: r.excerpt,
            at: r.created_at,
        })
        .collect();
    hits.reverse();
    Ok(hits)
}

/// A stored message a backtest checks.
#[derive(sqlx::FromRow)]
pub struct ScannedMessage {
    pub id: i64,
    pub user_id: String,
    pub session_id: i64,
    pub sender: String,
    pub content: String,
    pub created_at: i64,
}

/// The workspace's user messages and assistant replies since `since` (ms), newest first,
/// at most `limit`.
pub async fn messages_since(db: &Db, ws: WorkspaceId, since: i64, limit: i64) -> AppResult<Vec<ScannedMessage>> {
    Ok(sqlx::query_as(
        "SELECT m.id, u.external_id AS user_id, m.session_id, m.sender, m.content, m.created_at \
         FROM messages m JOIN end_users u ON u.id = m.end_user_id \
         WHERE m.workspace_id = $1 AND m.created_at >= $2 AND m.sender IN ('user', 'assistant') \
         ORDER BY m.id DESC LIMIT $3",
    )
    .bind(ws)
    .bind(since)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}
