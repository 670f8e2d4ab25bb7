//! `templates`: personas of a workspace — name, flags, clone source, soft delete — and
//! the chat-facing lookups (which personas the chat offers).

use super::{corrupt, Corrupt};
use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, PersonaId, WorkspaceId};
use crate::engine::now_ms;
use crate::error::AppResult;
use crate::types::{ChatPersona, CloneSource, DeletedPersona, PersonaKind, PersonaSummary, SharedPersona, PRODUCTION};

/// A boolean column of `templates` an operator can flip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// `is_active`: offered in chat.
    Active,
    /// `is_shared`: listed in other workspaces' library.
    Shared,
}

/// Inserts a persona row (in the caller's transaction). Errors: a unique violation when
/// the name is taken (the caller says so).
pub async fn insert(
    conn: &mut sqlx::AnyConnection,
    ws: WorkspaceId,
    name: &str,
    active: bool,
    source: Option<&CloneSource>,
) -> Result<PersonaId, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO templates (workspace_id, name, created_at, updated_at, is_active, source_template_id, source_version, \
         source_workspace, source_name) VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(ws)
    .bind(name)
    .bind(now_ms())
    .bind(active as i64)
    .bind(source.map(|s| s.persona_id))
    .bind(source.map(|s| s.version))
    .bind(source.map(|s| s.workspace.clone()))
    .bind(source.map(|s| s.name.clone()))
    .fetch_one(conn)
    .await
}

/// The (not deleted) persona called `name`.
pub async fn find_by_name(db: &Db, ws: WorkspaceId, name: &str) -> AppResult<Option<PersonaId>> {
    Ok(sqlx::query_scalar("SELECT id FROM templates WHERE workspace_id = $1 AND name = $2 AND deleted_at IS NULL")
        .bind(ws)
        .bind(name)
        .fetch_optional(&db.pool)
        .await?)
}

const SUMMARY_SELECT: &str = "SELECT t.id, t.name, t.updated_at, t.is_active, t.is_shared, \
     (SELECT MAX(v.version) FROM template_versions v WHERE v.template_id = t.id) AS latest, \
     (SELECT l.version FROM template_labels l WHERE l.template_id = t.id AND l.name = 'production') AS production \
     FROM templates t";

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    name: String,
    updated_at: i64,
    is_active: i64,
    is_shared: i64,
    latest: Option<i64>,
    production: Option<i64>,
}

impl TryFrom<SummaryRow> for PersonaSummary {
    type Error = Corrupt;
    fn try_from(r: SummaryRow) -> Result<Self, Corrupt> {
        Ok(PersonaSummary {
            id: r.id,
            name: r.name,
            // Every persona is created with version 1 in the same transaction.
            latest_version: r
                .latest
                .ok_or_else(|| corrupt("template_versions", format!("persona {} has none", r.id)))?,
            production_version: r.production,
            active: r.is_active != 0,
            shared: r.is_shared != 0,
            updated_at: r.updated_at,
        })
    }
}

/// One (not deleted) persona as the list shows it.
pub async fn summary(db: &Db, ws: WorkspaceId, id: PersonaId) -> AppResult<Option<PersonaSummary>> {
    let row: Option<SummaryRow> =
        sqlx::query_as(&format!("{SUMMARY_SELECT} WHERE t.id = $1 AND t.workspace_id = $2 AND t.deleted_at IS NULL"))
            .bind(id)
            .bind(ws)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(PersonaSummary::try_from).transpose()?)
}

/// The workspace's personas (not deleted), by name.
pub async fn list(db: &Db, ws: WorkspaceId) -> AppResult<Vec<PersonaSummary>> {
    let rows: Vec<SummaryRow> =
        sqlx::query_as(&format!("{SUMMARY_SELECT} WHERE t.workspace_id = $1 AND t.deleted_at IS NULL ORDER BY t.name"))
            .bind(ws)
            .fetch_all(&db.pool)
            .await?;
    Ok(super::convert(rows)?)
}

/// A persona's own columns, for the detail view.
pub struct PersonaRow {
    pub name: String,
    pub active: bool,
    pub shared: bool,
    pub source: Option<CloneSource>,
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    name: String,
    is_active: i64,
    is_shared: i64,
    source_template_id: Option<i64>,
    source_version: Option<i64>,
    source_workspace: Option<String>,
    source_name: Option<String>,
}

/// The (not deleted) persona's own columns.
pub async fn get(db: &Db, ws: WorkspaceId, id: PersonaId) -> AppResult<Option<PersonaRow>> {
    let row: Option<DetailRow> = sqlx::query_as(
        "SELECT name, is_active, is_shared, source_template_id, source_version, source_workspace, source_name \
         FROM templates WHERE id = $1 AND workspace_id = $2 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(ws)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| PersonaRow {
        name: r.name,
        active: r.is_active != 0,
        shared: r.is_shared != 0,
        source: match (r.source_template_id, r.source_version, r.source_workspace, r.source_name) {
            (Some(persona_id), Some(version), Some(workspace), Some(name)) => {
                Some(CloneSource { persona_id, version, workspace, name })
            }
            _ => None,
        },
    }))
}

/// Sets a flag of a (not deleted) persona. Returns false when there is no such persona.
pub async fn set_flag(db: &Db, ws: WorkspaceId, id: PersonaId, flag: Flag, on: bool) -> AppResult<bool> {
    let column = match flag {
        Flag::Active => "is_active",
        Flag::Shared => "is_shared",
    };
    let done = sqlx::query(&format!(
        "UPDATE templates SET {column} = $1 WHERE id = $2 AND workspace_id = $3 AND deleted_at IS NULL"
    ))
    .bind(on as i64)
    .bind(id)
    .bind(ws)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Bumps `updated_at` (in the caller's transaction).
pub async fn touch(conn: &mut sqlx::AnyConnection, ws: WorkspaceId, id: PersonaId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE templates SET updated_at = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(now_ms())
        .bind(id)
        .bind(ws)
        .execute(conn)
        .await?;
    Ok(())
}

/// Soft-deletes: the name moves aside (to `deleted_name`) and `tombstone` takes its place,
/// sharing stops.
pub async fn soft_delete(db: &Db, ws: WorkspaceId, id: PersonaId, actor: &str, tombstone: &str) -> AppResult<()> {
    sqlx::query(
        "UPDATE templates SET deleted_at = $1, deleted_by = $2, deleted_name = name, name = $3, is_shared = 0 \
         WHERE id = $4 AND workspace_id = $5 AND deleted_at IS NULL",
    )
    .bind(now_ms())
    .bind(actor)
    .bind(tombstone)
    .bind(id)
    .bind(ws)
    .execute(&db.pool)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct DeletedRow {
    id: i64,
    deleted_name: Option<String>,
    deleted_at: i64,
    deleted_by: Option<String>,
}

/// Personas deleted after `since` (ms), newest first: all, or only `only`. A row's
/// restore deadline is `deleted_at + window_ms`.
pub async fn deleted(
    db: &Db,
    ws: WorkspaceId,
    only: Option<PersonaId>,
    since: i64,
    window_ms: i64,
) -> AppResult<Vec<DeletedPersona>> {
    let sql = format!(
        "SELECT id, deleted_name, deleted_at, deleted_by FROM templates \
         WHERE workspace_id = $1 AND deleted_at IS NOT NULL AND deleted_at > $2 {} ORDER BY deleted_at DESC",
        if only.is_some() { "AND id = $3" } else { "" }
    );
    let mut q = sqlx::query_as::<_, DeletedRow>(&sql).bind(ws).bind(since);
    if let Some(id) = only {
        q = q.bind(id);
    }
    let rows = q.fetch_all(&db.pool).await?;
    rows.into_iter()
        .map(|r| {
            Ok(DeletedPersona {
                id: r.id,
                name: r.deleted_name.ok_or_else(|| corrupt("templates.deleted_name", format!("persona {}", r.id)))?,
                deleted_at: r.deleted_at,
                deleted_by: r.deleted_by.unwrap_or_default(),
                restorable_until: r.deleted_at + window_ms,
            })
        })
        .collect::<Result<_, Corrupt>>()
        .map_err(Into::into)
}

/// Undoes [`soft_delete`]. Errors: a unique violation when the old name was taken meanwhile.
pub async fn undelete(db: &Db, ws: WorkspaceId, id: PersonaId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE templates SET deleted_at = NULL, deleted_by = NULL, name = deleted_name, deleted_name = NULL \
         WHERE id = $1 AND workspace_id = $2",
    )
    .bind(id)
    .bind(ws)
    .execute(&db.pool)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SharedRow {
    id: i64,
    name: String,
    workspace_id: WorkspaceId,
    workspace: String,
    version: i64,
    kind: String,
    content: String,
}

/// Personas other workspaces share with `ws` (all, or only `only`), each with the
/// workspace that shares it and its production version.
pub async fn shared(db: &Db, ws: WorkspaceId, only: Option<PersonaId>) -> AppResult<Vec<(SharedPersona, WorkspaceId)>> {
    let sql = format!(
        "SELECT t.id, t.name, t.workspace_id, w.name AS workspace, v.version, v.kind, v.content FROM templates t \
         JOIN workspaces w ON w.id = t.workspace_id \
         JOIN template_labels l ON l.template_id = t.id AND l.name = '{PRODUCTION}' \
         JOIN template_versions v ON v.template_id = t.id AND v.version = l.version \
         WHERE t.is_shared = 1 AND t.deleted_at IS NULL AND t.workspace_id <> $1 {} ORDER BY t.name, w.name",
        if only.is_some() { "AND t.id = $2" } else { "" }
    );
    let mut q = sqlx::query_as::<_, SharedRow>(&sql).bind(ws);
    if let Some(id) = only {
        q = q.bind(id);
    }
    let rows = q.fetch_all(&db.pool).await?;
    rows.into_iter()
        .map(|r| {
            let shared = SharedPersona {
                id: r.id,
                name: r.name,
                workspace: r.workspace,
                version: r.version,
                kind: kind(&r.kind)?,
                content: r.content,
            };
            Ok((shared, r.workspace_id))
        })
        .collect::<Result<_, Corrupt>>()
        .map_err(Into::into)
}

/// A stored persona kind. Errors: [`Corrupt`].
pub(crate) fn kind(raw: &str) -> Result<PersonaKind, Corrupt> {
    PersonaKind::parse(raw).map_err(|_| corrupt("template_versions.kind", format!("unknown kind {raw:?}")))
}

/// `templates t` is published: `production` points at one of its versions.
const PUBLISHED: &str = "EXISTS (SELECT 1 FROM template_labels l WHERE l.template_id = t.id AND l.name = 'production')";

#[derive(sqlx::FromRow)]
struct ChatRow {
    id: i64,
    name: String,
    is_active: i64,
}

/// Personas the chat offers: published, active, not deleted, oldest first.
pub async fn offered(db: &Db, ws: WorkspaceId) -> AppResult<Vec<ChatPersona>> {
    let rows: Vec<ChatRow> = sqlx::query_as(&format!(
        "SELECT t.id, t.name, t.is_active FROM templates t WHERE t.workspace_id = $1 AND t.is_active = 1 \
         AND t.deleted_at IS NULL AND {PUBLISHED} ORDER BY t.id"
    ))
    .bind(ws)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| ChatPersona { id: r.id, name: r.name }).collect())
}

/// How a chat names its persona, for [`chattable`].
pub enum ChatLookup<'a> {
    Id(PersonaId),
    Name(&'a str),
    /// The first active one offered.
    First,
}

/// A published, not deleted persona and whether it is active.
pub async fn chattable(db: &Db, ws: WorkspaceId, lookup: ChatLookup<'_>) -> AppResult<Option<(ChatPersona, bool)>> {
    let filter = match lookup {
        ChatLookup::Id(_) => "AND t.id = $2",
        ChatLookup::Name(_) => "AND t.name = $2",
        ChatLookup::First => "AND t.is_active = 1 ORDER BY t.id LIMIT 1",
    };
    let sql = format!(
        "SELECT t.id, t.name, t.is_active FROM templates t WHERE t.workspace_id = $1 AND t.deleted_at IS NULL \
         AND {PUBLISHED} {filter}"
    );
    let q = sqlx::query_as::<_, ChatRow>(&sql).bind(ws);
    let q = match lookup {
        ChatLookup::Id(id) => q.bind(id),
        ChatLookup::Name(name) => q.bind(name),
        ChatLookup::First => q,
    };
    let row = q.fetch_optional(&db.pool).await?;
    Ok(row.map(|r| (ChatPersona { id: r.id, name: r.name }, r.is_active != 0)))
}

/// The persona of the user's most recent message that the chat still offers.
pub async fn last_chatted(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<Option<PersonaId>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT t.id FROM messages m JOIN chat_sessions s ON s.id = m.session_id JOIN templates t ON t.id = s.template_id \
         WHERE m.workspace_id = $1 AND m.end_user_id = $2 AND m.sender = 'user' AND t.is_active = 1 \
         AND t.deleted_at IS NULL AND {PUBLISHED} ORDER BY m.id DESC LIMIT 1"
    ))
    .bind(ws)
    .bind(end_user)
    .fetch_optional(&db.pool)
    .await?)
}
