//! `workspaces` and `accounts`: tenants and the operators who log in to them.

use crate::engine::db::Db;
use crate::engine::ids::WorkspaceId;
use crate::error::AppResult;
use crate::types::OperatorInfo;

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
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO accounts (workspace_id, email, password_hash, is_super, is_active, created_at) \
         VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
    )
    .bind(ws)
    .bind(email)
    .bind(password_hash)
    .bind(is_super as i64)
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
}

/// The active operator with this id, with their workspace.
pub async fn operator(db: &Db, id: i64) -> AppResult<Option<OperatorInfo>> {
    let row: Option<OperatorRow> = sqlx::query_as(
        "SELECT a.id, a.email, a.workspace_id, w.name AS workspace_name FROM accounts a \
         JOIN workspaces w ON w.id = a.workspace_id WHERE a.id = $1 AND a.is_active = 1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| OperatorInfo {
        id: r.id,
        email: r.email,
        workspace_id: r.workspace_id,
        workspace_name: r.workspace_name,
    }))
}

/// Number of operator accounts.
pub async fn count(db: &Db) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&db.pool).await?)
}
