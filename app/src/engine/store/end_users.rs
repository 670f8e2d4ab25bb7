//! `end_users`: the people who chat, by the external id the chat or an API client names.

use super::{sender, Corrupt};
use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, WorkspaceId};
use crate::engine::now_ms;
use crate::error::AppResult;
use crate::types::{EndUserAccount, EndUserInfo, EndUserSummary};

/// The user's row id, created on first contact.
pub async fn ensure(db: &Db, ws: WorkspaceId, external_id: &str) -> AppResult<EndUserId> {
    sqlx::query(
        "INSERT INTO end_users (workspace_id, external_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id, external_id) DO NOTHING",
    )
    .bind(ws)
    .bind(external_id)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(sqlx::query_scalar("SELECT id FROM end_users WHERE workspace_id = $1 AND external_id = $2")
        .bind(ws)
        .bind(external_id)
        .fetch_one(&db.pool)
        .await?)
}

/// The user's row id, if they ever chatted in this workspace.
pub async fn find(db: &Db, ws: WorkspaceId, external_id: &str) -> AppResult<Option<EndUserId>> {
    Ok(sqlx::query_scalar("SELECT id FROM end_users WHERE workspace_id = $1 AND external_id = $2")
        .bind(ws)
        .bind(external_id)
        .fetch_optional(&db.pool)
        .await?)
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    external_id: String,
    message_count: i64,
    last_at: Option<i64>,
    halted: i64,
    last_content: Option<String>,
    last_sender: Option<String>,
}

impl TryFrom<SummaryRow> for EndUserSummary {
    type Error = Corrupt;
    fn try_from(r: SummaryRow) -> Result<Self, Corrupt> {
        Ok(EndUserSummary {
            user_id: r.external_id,
            message_count: r.message_count,
            last_message_at: r.last_at,
            halted: r.halted != 0,
            last_message: r.last_content,
            last_sender: r.last_sender.as_deref().map(sender).transpose()?,
        })
    }
}

/// Up to `limit` users, most recently active first, with message count, halt state and
/// their newest message whole (the caller shortens it).
pub async fn summaries(db: &Db, ws: WorkspaceId, limit: i64) -> AppResult<Vec<EndUserSummary>> {
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT u.external_id, COUNT(m.id) AS message_count, MAX(m.created_at) AS last_at, COALESCE(MAX(s.halted), 0) AS halted, \
         (SELECT l.content FROM messages l WHERE l.end_user_id = u.id ORDER BY l.id DESC LIMIT 1) AS last_content, \
         (SELECT l.sender FROM messages l WHERE l.end_user_id = u.id ORDER BY l.id DESC LIMIT 1) AS last_sender \
         FROM end_users u LEFT JOIN messages m ON m.end_user_id = u.id LEFT JOIN user_state s ON s.end_user_id = u.id \
         WHERE u.workspace_id = $1 GROUP BY u.id, u.external_id ORDER BY COALESCE(MAX(m.created_at), 0) DESC, u.id DESC LIMIT $2",
    )
    .bind(ws)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(super::convert(rows)?)
}

// ---- accounts: email, password, active flag (issue 9) ----

/// The columns of [`EndUserAccount`], for the queries below.
const ACCOUNT_COLUMNS: &str = "id, external_id, email, display_name, is_active, \
     CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS has_password, created_at, updated_at, last_seen";

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    external_id: String,
    email: Option<String>,
    display_name: Option<String>,
    is_active: i64,
    has_password: i64,
    created_at: i64,
    updated_at: i64,
    last_seen: Option<i64>,
}

impl TryFrom<AccountRow> for EndUserAccount {
    type Error = Corrupt;
    fn try_from(r: AccountRow) -> Result<Self, Corrupt> {
        Ok(EndUserAccount {
            id: r.id,
            external_id: r.external_id,
            email: r.email,
            display_name: r.display_name,
            is_active: flag("end_users.is_active", r.is_active)?,
            has_password: r.has_password != 0,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_seen: r.last_seen,
        })
    }
}

/// A stored 0/1 flag. Errors: [`Corrupt`] for any other value.
fn flag(what: &'static str, v: i64) -> Result<bool, Corrupt> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(super::corrupt(what, format!("flag is {other}"))),
    }
}

/// What a new account row holds; `email` lower-cased, `password_hash` argon2id.
pub struct NewAccount<'a> {
    pub external_id: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub display_name: Option<&'a str>,
}

/// Inserts an active end user. Errors: a unique violation when the external id or the
/// email is taken in the workspace.
pub async fn insert_account(db: &Db, ws: WorkspaceId, a: &NewAccount<'_>) -> Result<EndUserId, sqlx::Error> {
    let now = now_ms();
    sqlx::query_scalar(
        "INSERT INTO end_users (workspace_id, external_id, email, password_hash, display_name, is_active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id",
    )
    .bind(ws)
    .bind(a.external_id)
    .bind(a.email)
    .bind(a.password_hash)
    .bind(a.display_name)
    .bind(now)
    .fetch_one(&db.pool)
    .await
}

/// Whether the workspace has a user with this external id / this email.
pub async fn taken(db: &Db, ws: WorkspaceId, external_id: &str, email: Option<&str>) -> AppResult<(bool, bool)> {
    let by_id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM end_users WHERE workspace_id = $1 AND external_id = $2")
            .bind(ws)
            .bind(external_id)
            .fetch_optional(&db.pool)
            .await?;
    let by_email: Option<i64> = match email {
        Some(e) => {
            sqlx::query_scalar("SELECT id FROM end_users WHERE workspace_id = $1 AND email = $2")
                .bind(ws)
                .bind(e)
                .fetch_optional(&db.pool)
                .await?
        }
        None => None,
    };
    Ok((by_id.is_some(), by_email.is_some()))
}

/// One end user of the workspace.
pub async fn account(db: &Db, ws: WorkspaceId, id: EndUserId) -> AppResult<Option<EndUserAccount>> {
    let row: Option<AccountRow> =
        sqlx::query_as(&format!("SELECT {ACCOUNT_COLUMNS} FROM end_users WHERE workspace_id = $1 AND id = $2"))
            .bind(ws)
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(EndUserAccount::try_from).transpose()?)
}

/// Up to `limit` end users from `offset`, newest first, and how many there are in all;
/// deactivated ones only with `include_inactive`.
pub async fn accounts(
    db: &Db,
    ws: WorkspaceId,
    include_inactive: bool,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<EndUserAccount>, i64)> {
    let filter = if include_inactive { "" } else { " AND is_active = 1" };
    let rows: Vec<AccountRow> = sqlx::query_as(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM end_users WHERE workspace_id = $1{filter} ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(ws)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM end_users WHERE workspace_id = $1{filter}"))
        .bind(ws)
        .fetch_one(&db.pool)
        .await?;
    Ok((super::convert(rows)?, total))
}

/// One field of an account to change.
pub enum AccountChange<'a> {
    /// `None` clears it.
    Email(Option<&'a str>),
    DisplayName(Option<&'a str>),
    PasswordHash(&'a str),
    Active(bool),
}

/// Applies the changes in one transaction and moves `updated_at`. Returns false when the
/// user is not in the workspace. Errors: a unique violation when the email is taken.
pub async fn update_account(
    db: &Db,
    ws: WorkspaceId,
    id: EndUserId,
    changes: &[AccountChange<'_>],
) -> Result<bool, sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    let found = sqlx::query("UPDATE end_users SET updated_at = $1 WHERE workspace_id = $2 AND id = $3")
        .bind(now_ms())
        .bind(ws)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if !found {
        return Ok(false);
    }
    for change in changes {
        let q = match change {
            AccountChange::Email(v) => sqlx::query("UPDATE end_users SET email = $1 WHERE id = $2").bind(*v),
            AccountChange::DisplayName(v) => {
                sqlx::query("UPDATE end_users SET display_name = $1 WHERE id = $2").bind(*v)
            }
            AccountChange::PasswordHash(v) => {
                sqlx::query("UPDATE end_users SET password_hash = $1 WHERE id = $2").bind(*v)
            }
            AccountChange::Active(v) => {
                sqlx::query("UPDATE end_users SET is_active = $1 WHERE id = $2").bind(*v as i64)
            }
        };
        q.bind(id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Deletes the user and everything stored for them (chats, messages and their alternates,
/// memory, pause state); the request log keeps its rows without the user. Returns false
/// when the user is not in the workspace.
pub async fn delete_account(db: &Db, ws: WorkspaceId, id: EndUserId) -> AppResult<bool> {
    let mut tx = db.pool.begin().await?;
    let owned: Option<i64> = sqlx::query_scalar("SELECT id FROM end_users WHERE workspace_id = $1 AND id = $2")
        .bind(ws)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    if owned.is_none() {
        return Ok(false);
    }
    for sql in [
        "DELETE FROM message_alternates WHERE message_id IN (SELECT id FROM messages WHERE end_user_id = $1)",
        "UPDATE llm_requests SET end_user_id = NULL, session_id = NULL \
         WHERE end_user_id = $1 OR session_id IN (SELECT id FROM chat_sessions WHERE end_user_id = $1)",
        // What operators and guardrails kept about the user (no foreign keys: removed here).
        "DELETE FROM guardrail_hits WHERE session_id IN (SELECT id FROM chat_sessions WHERE end_user_id = $1)",
        "DELETE FROM operator_notes WHERE end_user_id = $1",
        "DELETE FROM assignments WHERE end_user_id = $1",
        "DELETE FROM operator_seen WHERE end_user_id = $1",
        "DELETE FROM messages WHERE end_user_id = $1",
        "DELETE FROM chat_sessions WHERE end_user_id = $1",
        "DELETE FROM user_memory WHERE end_user_id = $1",
        "DELETE FROM user_state WHERE end_user_id = $1",
        "DELETE FROM end_users WHERE id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// What a login checks.
#[derive(sqlx::FromRow)]
pub struct LoginRow {
    pub id: EndUserId,
    pub password_hash: Option<String>,
    pub is_active: i64,
}

/// The login data of the user with this (lower-cased) email in the workspace.
pub async fn login_row(db: &Db, ws: WorkspaceId, email: &str) -> AppResult<Option<LoginRow>> {
    Ok(sqlx::query_as("SELECT id, password_hash, is_active FROM end_users WHERE workspace_id = $1 AND email = $2")
        .bind(ws)
        .bind(email)
        .fetch_optional(&db.pool)
        .await?)
}

/// Records a login.
pub async fn touch_last_seen(db: &Db, id: EndUserId) -> AppResult<()> {
    sqlx::query("UPDATE end_users SET last_seen = $1 WHERE id = $2").bind(now_ms()).bind(id).execute(&db.pool).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct InfoRow {
    id: i64,
    workspace_id: i64,
    external_id: String,
    email: Option<String>,
    display_name: Option<String>,
}

/// The user with this row id if they are active (the per-request check of a login).
pub async fn active_info(db: &Db, id: EndUserId) -> AppResult<Option<EndUserInfo>> {
    let row: Option<InfoRow> = sqlx::query_as(
        "SELECT id, workspace_id, external_id, email, display_name FROM end_users WHERE id = $1 AND is_active = 1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| EndUserInfo {
        id: r.id,
        tenant_id: r.workspace_id,
        external_id: r.external_id,
        email: r.email,
        display_name: r.display_name,
    }))
}

/// Whether a browser known only by its chat cookie may act as `external_id`: no such
/// user yet, or one that is active and has no login (no email, no password).
pub async fn open_to_cookie(db: &Db, ws: WorkspaceId, external_id: &str) -> AppResult<bool> {
    let closed: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM end_users WHERE workspace_id = $1 AND external_id = $2 \
         AND (is_active = 0 OR email IS NOT NULL OR password_hash IS NOT NULL)",
    )
    .bind(ws)
    .bind(external_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(closed.is_none())
}
