//! Operators: accounts with argon2id password hashes, workspaces (tenants), login.

use super::db::Db;
use super::ids::WorkspaceId;
use super::store::accounts;
use super::{internal, is_unique_violation, now_ms};
use crate::error::{AppError, AppResult};
use crate::types::{OperatorInfo, Role};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Session key holding the logged-in operator's account id.
pub const OPERATOR_KEY: &str = "operator_id";

/// A syntactically valid, lower-cased email address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Errors: `Invalid` (field `email`) unless it looks like `name@host.tld`, ≤ 254 bytes.
    pub fn parse(s: &str) -> AppResult<Email> {
        let s = s.trim().to_lowercase();
        let ok = s.len() <= 254
            && !s.chars().any(char::is_whitespace)
            && s.split_once('@').is_some_and(|(local, host)| {
                !local.is_empty()
                    && host.contains('.')
                    && !host.starts_with('.')
                    && !host.ends_with('.')
                    && !host.contains('@')
            });
        if ok {
            Ok(Email(s))
        } else {
            Err(AppError::invalid("email", "enter an email address like name@example.com"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Minimum password length in characters.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Hashes with argon2id (the crate's defaults: 19 MiB, 2 iterations, 1 lane — OWASP's
/// recommended minimum), off the async threads.
pub async fn hash_password(password: &str) -> AppResult<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| internal("hash join", e))?
    .map_err(|e| internal("hash", e))
}

/// Whether `password` matches the argon2id `hash` (false for a malformed hash), off the
/// async threads.
pub async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A fixed hash verified when the email is unknown, so both paths cost the same time.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3mNfCv2dn8pQ1+JpYvbG6X8q9vZm0m7YbH3Kq5pQkqA";

/// Checks an email and password. Errors: `BadCredentials` for an unknown email, a wrong
/// password or a deactivated account (the same answer, so emails cannot be probed).
pub async fn verify_login(db: &Db, email: &str, password: &str) -> AppResult<OperatorInfo> {
    let email = Email::parse(email).map_err(|_| AppError::BadCredentials)?;
    let Some(account) = accounts::credentials(db, email.as_str()).await? else {
        verify_password(password, DUMMY_HASH).await;
        return Err(AppError::BadCredentials);
    };
    if !verify_password(password, &account.password_hash).await || account.is_active == 0 {
        return Err(AppError::BadCredentials);
    }
    operator_by_id(db, account.id).await?.ok_or(AppError::BadCredentials)
}

/// The active operator with this id, with their workspace.
pub async fn operator_by_id(db: &Db, id: i64) -> AppResult<Option<OperatorInfo>> {
    accounts::operator(db, id).await
}

/// The operator logged in on this session. Errors: `Unauthorized`.
pub async fn current_operator(db: &Db, session: &tower_sessions::Session) -> AppResult<OperatorInfo> {
    let id: Option<i64> = session.get(OPERATOR_KEY).await.map_err(|e| internal("session load", e))?;
    match id {
        Some(id) => operator_by_id(db, id).await?.ok_or(AppError::Unauthorized),
        None => Err(AppError::Unauthorized),
    }
}

/// Logs in: verifies the password, cycles the session id (no fixation) and stores the
/// operator id in the session. Errors: `BadCredentials`.
pub async fn login(db: &Db, session: &tower_sessions::Session, email: &str, password: &str) -> AppResult<OperatorInfo> {
    let op = verify_login(db, email, password).await?;
    session.cycle_id().await.map_err(|e| internal("session cycle", e))?;
    session.insert(OPERATOR_KEY, op.id).await.map_err(|e| internal("session insert", e))?;
    Ok(op)
}

/// Logs out: removes the operator from the session and cycles its id (the old id is
/// deleted from the store). An end user's chat login in the same browser session stays;
/// with nothing left, the session cookie is removed.
pub async fn logout(session: &tower_sessions::Session) -> AppResult<()> {
    session.remove::<i64>(OPERATOR_KEY).await.map_err(|e| internal("session remove", e))?;
    session.cycle_id().await.map_err(|e| internal("session cycle", e))
}

/// Creates an operator with a workspace of their own (named after the email), as its
/// owner, and seeds the workspace's default persona. Errors: `Invalid` (email, password
/// too short), `Conflict` if the email is taken.
pub async fn create_operator(db: &Db, email: &str, password: &str, is_super: bool) -> AppResult<OperatorInfo> {
    create_account(db, email, password, is_super, Placement::NewWorkspace).await
}

/// Where a new operator goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A workspace of their own, as its owner (with the default persona).
    NewWorkspace,
    /// An existing workspace, with this role.
    Join(WorkspaceId, Role),
}

/// Creates an operator account where `placement` says. Errors: `Invalid` (email,
/// password too short), `NotFound` (the workspace to join), `Conflict` if the email is
/// taken.
pub async fn create_account(
    db: &Db,
    email: &str,
    password: &str,
    is_super: bool,
    placement: Placement,
) -> AppResult<OperatorInfo> {
    let email = Email::parse(email)?;
    check_password(password)?;
    if let Placement::Join(ws, _) = placement {
        if !accounts::workspace_exists(db, ws).await? {
            return Err(AppError::not_found("workspace"));
        }
    }
    let hash = hash_password(password).await?;
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    let (ws_id, role) = match placement {
        Placement::NewWorkspace => {
            let slug = workspace_slug(email.as_str());
            (accounts::insert_workspace(&mut tx, email.as_str(), &slug, now).await?, Role::Owner)
        }
        Placement::Join(ws, role) => (ws, role),
    };
    let id =
        accounts::insert_account(&mut tx, ws_id, email.as_str(), &hash, is_super, role, now).await.map_err(|e| {
            if is_unique_violation(&e) {
                AppError::Conflict { message: format!("an operator with email {} exists already", email.as_str()) }
            } else {
                e.into()
            }
        })?;
    if placement == Placement::NewWorkspace {
        super::personas::seed_default(&mut tx, ws_id, email.as_str()).await?;
    }
    tx.commit().await?;
    operator_by_id(db, id).await?.ok_or_else(|| AppError::not_found("operator"))
}

/// Errors: `Invalid` (field `password`) when shorter than [`MIN_PASSWORD_LEN`].
pub fn check_password(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::invalid("password", format!("use at least {MIN_PASSWORD_LEN} characters")));
    }
    Ok(())
}

/// The operator changes their own password. Errors: `Invalid` on `current_password`
/// (wrong) or `new_password` (too short).
pub async fn change_password(db: &Db, op: &OperatorInfo, current: &str, new: &str) -> AppResult<()> {
    let hash = accounts::password_hash(db, op.id).await?.ok_or(AppError::Unauthorized)?;
    if !verify_password(current, &hash).await {
        return Err(AppError::invalid("current_password", "that is not your current password"));
    }
    check_password(new)
        .map_err(|_| AppError::invalid("new_password", format!("use at least {MIN_PASSWORD_LEN} characters")))?;
    let new_hash = hash_password(new).await?;
    accounts::update_account(db, op.id, None, None, None, Some(&new_hash)).await?;
    super::store::audit::record(db, op.workspace(), &op.email, "password_change", &op.id.to_string(), "").await
}

/// A URL-safe, unique workspace slug derived from the email's local part.
fn workspace_slug(email: &str) -> String {
    let base: String = email
        .split('@')
        .next()
        .unwrap_or("workspace")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..6];
    format!("{}-{suffix}", base.trim_matches('-'))
}

/// Number of operator accounts.
pub async fn operator_count(db: &Db) -> AppResult<i64> {
    accounts::count(db).await
}

/// On first start (no operator yet) creates `admin@promptdev.local` with a random
/// password and returns (email, password) so the caller can print them once.
pub async fn ensure_first_operator(db: &Db) -> AppResult<Option<(String, String)>> {
    if operator_count(db).await? > 0 {
        return Ok(None);
    }
    let password = generate_password();
    let email = "admin@promptdev.local";
    match create_operator(db, email, &password, true).await {
        Ok(_) => Ok(Some((email.to_string(), password))),
        // Another replica won the race.
        Err(AppError::Conflict { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// 20 random characters from an unambiguous alphabet (~115 bits).
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_parsed_and_lowercased() {
        assert_eq!(Email::parse(" Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
        for bad in ["", "ann", "ann@", "@x.io", "ann@host", "a b@x.io", "ann@.io", "a@b@c.io"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let (a, b) = (generate_password(), generate_password());
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn argon2id_hashes_verify() {
        let h = hash_password("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h).await);
        assert!(!verify_password("wrong", &h).await);
        assert!(PasswordHash::new(DUMMY_HASH).is_ok(), "the timing-equaliser hash must parse");
        assert!(!verify_password("x", DUMMY_HASH).await);
    }
}
