//! End-user accounts and who may chat: operators create, edit, deactivate and delete
//! the end users of their workspace; an end user logs in with email and password on the
//! chat page; a browser known only by its chat cookie chats where the workspace allows it.
//!
//! The end user's login is its own key ([`END_USER_KEY`]) in the browser's session,
//! beside the operator's ([`super::auth::OPERATOR_KEY`]): logging in as one never grants
//! the other, logging out of one leaves the other. The active flag is checked on every
//! request ([`current`]), so deactivating (or deleting) a user ends their logins at once.

use super::auth::{self, Email};
use super::chat;
use super::db::Db;
use super::ids::{EndUserId, WorkspaceId};
use super::internal;
use super::is_unique_violation;
use super::store::end_users::{self as store, AccountChange, NewAccount};
use super::store::workspace_settings;
use crate::error::{AppError, AppResult};
use crate::types::{EndUserAccount, EndUserInfo, EndUserPage, EndUserPatch, NewEndUser};

/// Session key holding the logged-in end user's row id.
pub const END_USER_KEY: &str = "end_user_id";
/// Minimum end-user password length in characters (the original's rule).
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest password accepted, in characters (bounds the hashing work).
pub const MAX_PASSWORD_LEN: usize = 256;
/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;
/// Most end users one page lists.
pub const MAX_PAGE: i64 = 200;

/// A password to store. Errors: `Invalid` (field `password`).
fn parse_password(p: &str) -> AppResult<&str> {
    let n = p.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(AppError::invalid("password", format!("use at least {MIN_PASSWORD_LEN} characters")));
    }
    if n > MAX_PASSWORD_LEN {
        return Err(AppError::invalid("password", format!("use at most {MAX_PASSWORD_LEN} characters")));
    }
    Ok(p)
}

/// A display name: trimmed, empty = none. Errors: `Invalid` (field `display_name`).
fn parse_display_name(s: &str) -> AppResult<Option<String>> {
    let s = s.trim();
    if s.chars().count() > MAX_DISPLAY_NAME_CHARS || s.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "display_name",
            format!("a display name is at most {MAX_DISPLAY_NAME_CHARS} characters, on one line"),
        ));
    }
    Ok((!s.is_empty()).then(|| s.to_string()))
}

/// An optional email: trimmed, empty = none. Errors: `Invalid` (field `email`).
fn parse_optional_email(s: &str) -> AppResult<Option<Email>> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    Email::parse(s).map(Some)
}

/// Creates an active end user in the workspace. `external_id` defaults to the email.
/// Errors: `Invalid` (`external_id`, `email`, `password`, `display_name`), `Conflict`
/// when the external id or the email is taken in the workspace.
pub async fn create(db: &Db, ws: WorkspaceId, new: &NewEndUser) -> AppResult<EndUserAccount> {
    let email = parse_optional_email(new.email.as_deref().unwrap_or(""))?;
    let external_id = match new.external_id.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(id) => chat::parse_user_id(id).map_err(|e| rename_field(e, "external_id"))?,
        None => match &email {
            Some(e) => e.as_str().to_string(),
            None => return Err(AppError::invalid("external_id", "give an external id or an email")),
        },
    };
    let display_name = parse_display_name(new.display_name.as_deref().unwrap_or(""))?;
    let hash = match new.password.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Some(auth::hash_password(parse_password(p)?).await?),
        None => None,
    };
    let row = NewAccount {
        external_id: &external_id,
        email: email.as_ref().map(Email::as_str),
        password_hash: hash.as_deref(),
        display_name: display_name.as_deref(),
    };
    let id = match store::insert_account(db, ws, &row).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Err(conflict(db, ws, &external_id, row.email).await),
        Err(e) => return Err(e.into()),
    };
    get(db, ws, id).await
}

/// The `Conflict` for a taken external id or email.
async fn conflict(db: &Db, ws: WorkspaceId, external_id: &str, email: Option<&str>) -> AppError {
    match store::taken(db, ws, external_id, email).await {
        Ok((true, _)) => {
            AppError::Conflict { message: format!("an end user with the id {external_id} exists already") }
        }
        Ok((false, true)) => AppError::Conflict { message: "an end user with this email exists already".into() },
        Ok((false, false)) => AppError::Conflict { message: "this end user exists already".into() },
        Err(e) => e,
    }
}

fn rename_field(e: AppError, field: &str) -> AppError {
    match e {
        AppError::Invalid { message, .. } => AppError::invalid(field, message),
        other => other,
    }
}

/// One page of the workspace's end users, newest first (`limit` 1–[`MAX_PAGE`]).
pub async fn list(db: &Db, ws: WorkspaceId, include_inactive: bool, limit: i64, offset: i64) -> AppResult<EndUserPage> {
    let limit = limit.clamp(1, MAX_PAGE);
    let offset = offset.max(0);
    let (users, total) = store::accounts(db, ws, include_inactive, limit, offset).await?;
    Ok(EndUserPage { users, total, offset, limit })
}

/// One end user. Errors: `NotFound` (also for another workspace's user).
pub async fn get(db: &Db, ws: WorkspaceId, id: EndUserId) -> AppResult<EndUserAccount> {
    store::account(db, ws, id).await?.ok_or_else(|| AppError::not_found("end user"))
}

/// Changes the fields the patch names. Errors: `NotFound`, `Invalid` (as [`create`]),
/// `Conflict` (email taken).
pub async fn update(db: &Db, ws: WorkspaceId, id: EndUserId, patch: &EndUserPatch) -> AppResult<EndUserAccount> {
    let email = patch.email.as_deref().map(parse_optional_email).transpose()?;
    let display_name = patch.display_name.as_deref().map(parse_display_name).transpose()?;
    let hash = match patch.password.as_deref() {
        Some(p) => Some(auth::hash_password(parse_password(p)?).await?),
        None => None,
    };
    let mut changes = Vec::new();
    if let Some(e) = &email {
        changes.push(AccountChange::Email(e.as_ref().map(Email::as_str)));
    }
    if let Some(d) = &display_name {
        changes.push(AccountChange::DisplayName(d.as_deref()));
    }
    if let Some(h) = &hash {
        changes.push(AccountChange::PasswordHash(h));
    }
    if let Some(a) = patch.is_active {
        changes.push(AccountChange::Active(a));
    }
    match store::update_account(db, ws, id, &changes).await {
        Ok(true) => get(db, ws, id).await,
        Ok(false) => Err(AppError::not_found("end user")),
        Err(e) if is_unique_violation(&e) => {
            Err(AppError::Conflict { message: "an end user with this email exists already".into() })
        }
        Err(e) => Err(e.into()),
    }
}

/// Deletes the end user with their chats, messages and memory. Errors: `NotFound`.
pub async fn delete(db: &Db, ws: WorkspaceId, id: EndUserId) -> AppResult<()> {
    if store::delete_account(db, ws, id).await? {
        Ok(())
    } else {
        Err(AppError::not_found("end user"))
    }
}

/// Logs an end user in to workspace `ws`: verifies the password, cycles the session id
/// (no fixation) and stores the user in the session beside any operator login. Errors:
/// `BadCredentials` for an unknown email, a wrong password, a user without a password
/// or a deactivated one (the same answer, so emails cannot be probed).
pub async fn login(
    db: &Db,
    session: &tower_sessions::Session,
    ws: WorkspaceId,
    email: &str,
    password: &str,
) -> AppResult<EndUserInfo> {
    let email = Email::parse(email).map_err(|_| AppError::BadCredentials)?;
    let row = store::login_row(db, ws, email.as_str()).await?;
    let hash = row.as_ref().and_then(|r| r.password_hash.as_deref()).unwrap_or(auth::DUMMY_HASH);
    let matches = auth::verify_password(password, hash).await;
    let Some(row) = row.filter(|r| matches && r.password_hash.is_some() && r.is_active == 1) else {
        return Err(AppError::BadCredentials);
    };
    let info = store::active_info(db, row.id).await?.ok_or(AppError::BadCredentials)?;
    session.cycle_id().await.map_err(|e| internal("session cycle", e))?;
    session.insert(END_USER_KEY, row.id).await.map_err(|e| internal("session insert", e))?;
    store::touch_last_seen(db, row.id).await?;
    Ok(info)
}

/// Logs the end user out: removes them from the session and cycles its id. An operator
/// login in the same session stays.
pub async fn logout(session: &tower_sessions::Session) -> AppResult<()> {
    session.remove::<EndUserId>(END_USER_KEY).await.map_err(|e| internal("session remove", e))?;
    session.cycle_id().await.map_err(|e| internal("session cycle", e))
}

/// The end user logged in on this session: `None` when nobody is. Errors: `Unauthorized`
/// when the user was deactivated or deleted since (the login is removed from the
/// session, so later requests are anonymous).
pub async fn current(db: &Db, session: &tower_sessions::Session) -> AppResult<Option<EndUserInfo>> {
    let id: Option<EndUserId> = session.get(END_USER_KEY).await.map_err(|e| internal("session load", e))?;
    let Some(id) = id else { return Ok(None) };
    match store::active_info(db, id).await? {
        Some(info) => Ok(Some(info)),
        None => {
            session.remove::<EndUserId>(END_USER_KEY).await.map_err(|e| internal("session remove", e))?;
            Err(AppError::Unauthorized)
        }
    }
}

/// Whether a browser known only by its chat cookie `external_id` may chat in `ws`: the
/// workspace allows anonymous chat, and the id is not an account's (one with an email
/// or a password) nor deactivated.
pub async fn may_chat_anonymously(db: &Db, ws: WorkspaceId, external_id: &str) -> AppResult<bool> {
    Ok(workspace_settings::anonymous_chat(db, ws).await? && store::open_to_cookie(db, ws, external_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_names_are_checked() {
        assert!(parse_password("short").is_err());
        assert!(parse_password("long enough").is_ok());
        assert!(parse_password(&"x".repeat(MAX_PASSWORD_LEN + 1)).is_err());
        assert_eq!(parse_display_name("  Ann  ").unwrap().as_deref(), Some("Ann"));
        assert_eq!(parse_display_name("   ").unwrap(), None);
        assert!(parse_display_name("a\nb").is_err());
        assert_eq!(parse_optional_email(" ").unwrap(), None);
        assert!(parse_optional_email("nope").is_err());
    }
}
