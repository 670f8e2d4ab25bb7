//! `workspaces` and `accounts`: tenants and the operators who log in to them.

use super::{corrupt, Corrupt};
use crate::engine::db::Db;
use crate::engine::ids::WorkspaceId;
use crate::error::AppResult;
use crate::types::{AdminAccount, OperatorInfo, Role};

/// The workspace with this slug.
pub async fn workspace_by_slug(db: &Db, slug: &str) -> AppResult<Option<WorkspaceId>> {
    Ok(sqlx::query_scalar("SELECT id FROM workspaces WHERE slug = $1").bind(slug).fetch_optional(&db.pool).await?)
}

/// The first workspace created.
pub async fn first_workspace(db: &Db) -> AppResult<Option<WorkspaceId>> {
    Ok(sqlx::query_scalar("SELECT id FROM workspaces ORDER BY id LIMIT 1").fetch_optional(&db.pool).await?)
}

/// The workspace of the active operator with this (lower-cased) email.
pub async fn workspace_of_operator(db: &Db, email: &str) -> AppResult<Option<WorkspaceId>> {
    Ok(sqlx::query_scalar("SELECT workspace_id FROM accounts WHERE email = $1 AND is_active = 1")
        .bind(email)
        .fetch_optional(&db.pool)
        .await?)
}

/// Inserts a workspace (in the caller's transaction); `now` in ms.
pub async fn insert_workspace(
    conn: &mut sqlx::AnyConnection,
    name: &str,
    slug: &str,
    now: i64,
) -> Result<WorkspaceId, sqlx::Error> {
    sqlx::query_scalar("INSERT INTO workspaces (name, slug, created_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(name)
        .bind(slug)
        .bind(now)
        .fetch_one(conn)
        .await
}

/// Inserts an active operator account (in the caller's transaction). Errors: a unique
/// violation when the email is taken.
pub async fn insert_account(
    conn: &mut sqlx::AnyConnection,
    ws: WorkspaceId,
    email: &str,
    password_hash: &str,
    is_super: bool,
    role: Role,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO accounts (workspace_id, email, password_hash, is_super, is_active, role, created_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $6) RETURNING id",
    )
    .bind(ws)
    .bind(email)
    .bind(password_hash)
    .bind(is_super as i64)
    .bind(role.as_str())
    .bind(now)
    .fetch_one(conn)
    .await
}

/// What a login checks.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    /// argon2 PHC string.
    pub password_hash: String,
    pub is_active: i64,
}

/// The account with this (lower-cased) email.
pub async fn credentials(db: &Db, email: &str) -> AppResult<Option<Credentials>> {
    Ok(sqlx::query_as("SELECT id, password_hash, is_active FROM accounts WHERE email = $1")
        .bind(email)
        .fetch_optional(&db.pool)
        .await?)
}

#[derive(sqlx::FromRow)]
struct OperatorRow {
    id: i64,
    email: String,
    workspace_id: i64,
    workspace_name: String,
    role: String,
    is_super: i64,
    is_active: i64,
    created_at: i64,
}

impl OperatorRow {
    fn role(&self) -> Result<Role, Corrupt> {
        Role::parse(&self.role).ok_or_else(|| corrupt("accounts.role", &self.role))
    }
}

impl TryFrom<OperatorRow> for OperatorInfo {
    type Error = Corrupt;
    fn try_from(r: OperatorRow) -> Result<Self, Corrupt> {
        Ok(OperatorInfo {
            role: r.role()?,
            is_super: r.is_super != 0,
            id: r.id,
            email: r.email,
            workspace_id: r.workspace_id,
            workspace_name: r.workspace_name,
        })
    }
}

impl TryFrom<OperatorRow> for AdminAccount {
    type Error = Corrupt;
    fn try_from(r: OperatorRow) -> Result<Self, Corrupt> {
        Ok(AdminAccount {
            role: r.role()?,
            is_super: r.is_super != 0,
            is_active: r.is_active != 0,
            id: r.id,
            email: r.email,
            workspace_id: r.workspace_id,
            workspace_name: r.workspace_name,
            created_at: r.created_at,
        })
    }
}

const SELECT_OPERATOR: &str = "SELECT a.id, a.email, a.workspace_id, w.name AS workspace_name, a.role, a.is_super, \
                               a.is_active, a.created_at FROM accounts a JOIN workspaces w ON w.id = a.workspace_id";

/// The active operator with this id, with their workspace and role.
pub async fn operator(db: &Db, id: i64) -> AppResult<Option<OperatorInfo>> {
    let row: Option<OperatorRow> = sqlx::query_as(&format!("{SELECT_OPERATOR} WHERE a.id = $1 AND a.is_active = 1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(OperatorInfo::try_from).transpose()?)
}

/// Every operator account (active or not), by email.
pub async fn list_accounts(db: &Db) -> AppResult<Vec<AdminAccount>> {
    let rows: Vec<OperatorRow> =
        sqlx::query_as(&format!("{SELECT_OPERATOR} ORDER BY a.email")).fetch_all(&db.pool).await?;
    Ok(rows.into_iter().map(AdminAccount::try_from).collect::<Result<_, _>>()?)
}

/// One operator account (active or not).
pub async fn account(db: &Db, id: i64) -> AppResult<Option<AdminAccount>> {
    let row: Option<OperatorRow> =
        sqlx::query_as(&format!("{SELECT_OPERATOR} WHERE a.id = $1")).bind(id).fetch_optional(&db.pool).await?;
    Ok(row.map(AdminAccount::try_from).transpose()?)
}

/// Sets what is Some on account `id`; false when there is no such account.
pub async fn update_account(
    db: &Db,
    id: i64,
    role: Option<Role>,
    is_active: Option<bool>,
    is_super: Option<bool>,
    password_hash: Option<&str>,
) -> AppResult<bool> {
    let r = sqlx::query(
        "UPDATE accounts SET role = COALESCE($1, role), is_active = COALESCE($2, is_active), \
         is_super = COALESCE($3, is_super), password_hash = COALESCE($4, password_hash) WHERE id = $5",
    )
    .bind(role.map(Role::as_str))
    .bind(is_active.map(i64::from))
    .bind(is_super.map(i64::from))
    .bind(password_hash)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// The password hash of account `id`.
pub async fn password_hash(db: &Db, id: i64) -> AppResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1").bind(id).fetch_optional(&db.pool).await?)
}

/// Whether the workspace exists.
pub async fn workspace_exists(db: &Db, ws: WorkspaceId) -> AppResult<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM workspaces WHERE id = $1").bind(ws).fetch_one(&db.pool).await?;
    Ok(n > 0)
}

/// Active super admins other than `except`.
pub async fn other_active_supers(db: &Db, except: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE is_super = 1 AND is_active = 1 AND id <> $1")
        .bind(except)
        .fetch_one(&db.pool)
        .await?)
}

/// Number of operator accounts.
pub async fn count(db: &Db) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&db.pool).await?)
}
