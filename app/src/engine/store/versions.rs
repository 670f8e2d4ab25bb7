//! `template_versions`, `template_labels` and `label_moves`: the immutable, numbered
//! versions of a persona, the labels pointing at them, and every label move.

use super::personas::kind;
use super::{json, to_json, Corrupt};
use crate::engine::db::Db;
use crate::engine::ids::{PersonaId, WorkspaceId};
use crate::engine::now_ms;
use crate::error::AppResult;
use crate::types::{Label, LabelMove, VersionDraft, VersionInfo, PRODUCTION};

/// Inserts version `n` of a persona (in the caller's transaction) and bumps the
/// persona's `updated_at`. `checksum`: sha256 of the content, hex. Errors: a unique
/// violation when `n` exists (someone saved at the same moment).
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut sqlx::AnyConnection,
    ws: WorkspaceId,
    persona: PersonaId,
    n: i64,
    draft: &VersionDraft,
    checksum: &str,
    note: &str,
    author: &str,
    created_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO template_versions (workspace_id, template_id, version, content, checksum, note, author, created_at, \
         kind, settings, variables) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(ws)
    .bind(persona)
    .bind(n)
    .bind(&draft.content)
    .bind(checksum)
    .bind(note)
    .bind(author)
    .bind(created_at)
    .bind(draft.kind.as_str())
    .bind(to_json(&draft.settings)?)
    .bind(to_json(&draft.variables)?)
    .execute(&mut *conn)
    .await?;
    super::personas::touch(conn, ws, persona).await
}

const COLUMNS: &str =
    "v.version, v.content, v.checksum, v.note, v.author, v.created_at, v.kind, v.settings, v.variables";

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    content: String,
    checksum: String,
    note: String,
    author: String,
    created_at: i64,
    kind: String,
    settings: String,
    variables: String,
}

impl TryFrom<VersionRow> for VersionInfo {
    type Error = Corrupt;
    fn try_from(r: VersionRow) -> Result<Self, Corrupt> {
        Ok(VersionInfo {
            version: r.version,
            content: r.content,
            checksum: r.checksum,
            note: r.note,
            author: r.author,
            created_at: r.created_at,
            kind: kind(&r.kind)?,
            settings: json("template_versions.settings", &r.settings)?,
            variables: json("template_versions.variables", &r.variables)?,
        })
    }
}

/// Every version of a persona, newest first.
pub async fn all(db: &Db, ws: WorkspaceId, persona: PersonaId) -> AppResult<Vec<VersionInfo>> {
    let rows: Vec<VersionRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM template_versions v WHERE v.template_id = $1 AND v.workspace_id = $2 ORDER BY v.version DESC"
    ))
    .bind(persona)
    .bind(ws)
    .fetch_all(&db.pool)
    .await?;
    Ok(super::convert(rows)?)
}

/// Version `n` of a (not deleted) persona.
pub async fn get(db: &Db, ws: WorkspaceId, persona: PersonaId, n: i64) -> AppResult<Option<VersionInfo>> {
    let row: Option<VersionRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM template_versions v JOIN templates t ON t.id = v.template_id \
         WHERE v.template_id = $1 AND v.workspace_id = $2 AND v.version = $3 AND t.deleted_at IS NULL"
    ))
    .bind(persona)
    .bind(ws)
    .bind(n)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(VersionInfo::try_from).transpose()?)
}

#[derive(sqlx::FromRow)]
struct NamedVersionRow {
    name: String,
    #[sqlx(flatten)]
    version: VersionRow,
}

/// The newest version of a (not deleted) persona and the persona's name.
pub async fn latest(db: &Db, ws: WorkspaceId, persona: PersonaId) -> AppResult<Option<(String, VersionInfo)>> {
    let row: Option<NamedVersionRow> = sqlx::query_as(&format!(
        "SELECT t.name, {COLUMNS} FROM templates t JOIN template_versions v ON v.template_id = t.id \
         WHERE t.id = $1 AND t.workspace_id = $2 AND t.deleted_at IS NULL ORDER BY v.version DESC LIMIT 1"
    ))
    .bind(persona)
    .bind(ws)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| Ok::<_, Corrupt>((r.name, r.version.try_into()?))).transpose()?)
}

/// The version `label` points to, of a (not deleted) persona.
pub async fn by_label(db: &Db, ws: WorkspaceId, persona: PersonaId, label: &str) -> AppResult<Option<VersionInfo>> {
    let row: Option<VersionRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM template_labels l JOIN templates t ON t.id = l.template_id \
         JOIN template_versions v ON v.template_id = l.template_id AND v.version = l.version \
         WHERE l.template_id = $1 AND l.workspace_id = $2 AND l.name = $3 AND t.deleted_at IS NULL"
    ))
    .bind(persona)
    .bind(ws)
    .bind(label)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(VersionInfo::try_from).transpose()?)
}

#[derive(sqlx::FromRow)]
struct LabelRow {
    name: String,
    version: i64,
    updated_by: String,
    updated_at: i64,
}

/// Labels of a persona, `production` first, then by name.
pub async fn labels(db: &Db, ws: WorkspaceId, persona: PersonaId) -> AppResult<Vec<Label>> {
    let rows: Vec<LabelRow> = sqlx::query_as(&format!(
        "SELECT name, version, updated_by, updated_at FROM template_labels WHERE template_id = $1 AND workspace_id = $2 \
         ORDER BY CASE WHEN name = '{PRODUCTION}' THEN 0 ELSE 1 END, name"
    ))
    .bind(persona)
    .bind(ws)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Label { name: r.name, version: r.version, updated_by: r.updated_by, updated_at: r.updated_at })
        .collect())
}

#[derive(sqlx::FromRow)]
struct MoveRow {
    label: String,
    from_version: Option<i64>,
    to_version: Option<i64>,
    actor: String,
    created_at: i64,
}

/// Every label move of a persona, newest first.
pub async fn label_moves(db: &Db, ws: WorkspaceId, persona: PersonaId) -> AppResult<Vec<LabelMove>> {
    let rows: Vec<MoveRow> = sqlx::query_as(
        "SELECT label, from_version, to_version, actor, created_at FROM label_moves \
         WHERE template_id = $1 AND workspace_id = $2 ORDER BY id DESC",
    )
    .bind(persona)
    .bind(ws)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| LabelMove {
            label: r.label,
            from_version: r.from_version,
            to_version: r.to_version,
            actor: r.actor,
            created_at: r.created_at,
        })
        .collect())
}

/// The version `label` points to now (in the caller's transaction).
pub async fn label_version(
    conn: &mut sqlx::AnyConnection,
    ws: WorkspaceId,
    persona: PersonaId,
    label: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT version FROM template_labels WHERE template_id = $1 AND name = $2 AND workspace_id = $3")
        .bind(persona)
        .bind(label)
        .bind(ws)
        .fetch_optional(conn)
        .await
}

/// Records a label move `from` → `to` (None = removed).
async fn record_move(
    conn: &mut sqlx::AnyConnection,
    ws: WorkspaceId,
    persona: PersonaId,
    label: &str,
    from: Option<i64>,
    to: Option<i64>,
    actor: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO label_moves (workspace_id, template_id, label, from_version, to_version, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(ws)
    .bind(persona)
    .bind(label)
    .bind(from)
    .bind(to)
    .bind(actor)
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// Points `label` at `version` (in the caller's transaction) and records the move;
/// nothing when it already points there. Returns the version it pointed to before.
pub async fn set_label(
    conn: &mut sqlx::AnyConnection,
    ws: WorkspaceId,
    persona: PersonaId,
    label: &str,
    version: i64,
    actor: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let before = label_version(conn, ws, persona, label).await?;
    if before == Some(version) {
        return Ok(before);
    }
    sqlx::query(
        "INSERT INTO template_labels (workspace_id, template_id, name, version, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (template_id, name) \
         DO UPDATE SET version = excluded.version, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(ws)
    .bind(persona)
    .bind(label)
    .bind(version)
    .bind(actor)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    record_move(conn, ws, persona, label, before, Some(version), actor).await?;
    Ok(before)
}

/// Removes `label` (in the caller's transaction) and records it. Returns the version it
/// pointed to, None when there was no such label (nothing changed).
pub async fn remove_label(
    conn: &mut sqlx::AnyConnection,
    ws: WorkspaceId,
    persona: PersonaId,
    label: &str,
    actor: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let Some(before) = label_version(conn, ws, persona, label).await? else {
        return Ok(None);
    };
    sqlx::query("DELETE FROM template_labels WHERE template_id = $1 AND name = $2 AND workspace_id = $3")
        .bind(persona)
        .bind(label)
        .bind(ws)
        .execute(&mut *conn)
        .await?;
    record_move(conn, ws, persona, label, Some(before), None, actor).await?;
    Ok(Some(before))
}
