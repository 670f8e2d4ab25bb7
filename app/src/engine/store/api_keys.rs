//! `api_keys`: per-workspace keys, stored as SHA-256 hex of the key (see the migration).

use super::{corrupt, Corrupt};
use crate::engine::db::Db;
use crate::engine::ids::WorkspaceId;
use crate::error::AppResult;
use crate::types::{ApiKeyInfo, ApiScope};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    prefix: String,
    scopes: String,
    created_by: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

/// `chat,read` → scopes. Errors: [`Corrupt`] for an unknown name.
pub(crate) fn parse_scopes(raw: &str) -> Result<Vec<ApiScope>, Corrupt> {
    raw.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| ApiScope::parse(s).ok_or_else(|| corrupt("api_keys.scopes", s)))
        .collect()
}

impl TryFrom<Row> for ApiKeyInfo {
    type Error = Corrupt;
    fn try_from(r: Row) -> Result<Self, Corrupt> {
        Ok(ApiKeyInfo {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            scopes: parse_scopes(&r.scopes)?,
            created_by: r.created_by,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        })
    }
}

const SELECT: &str = "SELECT k.id, k.name, k.prefix, k.scopes, a.email AS created_by, k.created_at, \
                      k.last_used_at, k.revoked_at FROM api_keys k JOIN accounts a ON a.id = k.created_by";

/// What a new key is stored as.
pub struct NewKey<'a> {
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    /// Comma-separated scope names.
    pub scopes: &'a str,
    pub created_by: i64,
    /// ms.
    pub now: i64,
}

/// Inserts a key; returns it as listed.
pub async fn insert(db: &Db, ws: WorkspaceId, k: &NewKey<'_>) -> AppResult<ApiKeyInfo> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_keys (workspace_id, name, prefix, key_hash, scopes, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(ws)
    .bind(k.name)
    .bind(k.prefix)
    .bind(k.key_hash)
    .bind(k.scopes)
    .bind(k.created_by)
    .bind(k.now)
    .fetch_one(&db.pool)
    .await?;
    Ok(get(db, ws, id).await?.expect("the key was just inserted"))
}

/// One key of the workspace.
pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> AppResult<Option<ApiKeyInfo>> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE k.workspace_id = $1 AND k.id = $2"))
        .bind(ws)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(ApiKeyInfo::try_from).transpose()?)
}

/// The workspace's keys, newest first, revoked ones included.
pub async fn list(db: &Db, ws: WorkspaceId) -> AppResult<Vec<ApiKeyInfo>> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("{SELECT} WHERE k.workspace_id = $1 ORDER BY k.created_at DESC, k.id DESC"))
            .bind(ws)
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().map(ApiKeyInfo::try_from).collect::<Result<_, _>>()?)
}

/// Marks the key revoked at `now` (ms); false when it is not the workspace's or was
/// revoked already.
pub async fn revoke(db: &Db, ws: WorkspaceId, id: i64, now: i64) -> AppResult<bool> {
    let r =
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE workspace_id = $2 AND id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(ws)
            .bind(id)
            .execute(&db.pool)
            .await?;
    Ok(r.rows_affected() > 0)
}

/// What a request's key resolves to.
#[derive(sqlx::FromRow)]
pub struct KeyOwner {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub scopes: String,
    /// The operator who created it; the key acts as them.
    pub created_by: i64,
    pub last_used_at: Option<i64>,
}

/// The unrevoked key with this hash.
pub async fn by_hash(db: &Db, key_hash: &str) -> AppResult<Option<KeyOwner>> {
    Ok(sqlx::query_as(
        "SELECT id, workspace_id, name, scopes, created_by, last_used_at FROM api_keys \
         WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(key_hash)
    .fetch_optional(&db.pool)
    .await?)
}

/// Records a use at `now` (ms).
pub async fn touch(db: &Db, id: i64, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2").bind(now).bind(id).execute(&db.pool).await?;
    Ok(())
}
