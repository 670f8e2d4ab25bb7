//! API keys: programs use PromptDev without a browser. A key belongs to a workspace, has
//! scopes ([`ApiScope`]), is shown once at creation and stored as its SHA-256 only. It is
//! sent as `Authorization: Bearer pd_…` or `X-API-Key: pd_…` and acts as the operator
//! who created it, within its scopes: refused (401) once revoked or once that operator is
//! deactivated.

use super::db::Db;
use super::ids::WorkspaceId;
use super::now_ms;
use super::store::api_keys::{self as store, NewKey};
use super::store::audit;
use crate::error::{AppError, AppResult};
use crate::types::{ApiKeyInfo, ApiScope, CreatedApiKey, OperatorInfo};
use sha2::{Digest, Sha256};

/// Every key starts with this, so secret scanners and people can recognise one.
pub const KEY_PREFIX: &str = "pd_";

/// Random characters after [`KEY_PREFIX`] (base62: ~190 bits).
pub const KEY_CHARS: usize = 32;

/// Characters of the key the list shows ([`KEY_PREFIX`] + 6).
pub const SHOWN_PREFIX_CHARS: usize = 9;

/// Longest key name, in characters.
pub const MAX_NAME_CHARS: usize = 80;

/// A use is recorded at most this often per key (ms), so reading with a key does not
/// write on every request.
pub const TOUCH_EVERY_MS: i64 = 60_000;

/// The SHA-256 of a key, hex: what is stored and looked up.
pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh key: [`KEY_PREFIX`] + [`KEY_CHARS`] base62 characters from the OS RNG.
pub fn generate_key() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rngs::OsRng;
    let body: String = (0..KEY_CHARS).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    format!("{KEY_PREFIX}{body}")
}

/// Scope names → scopes, without duplicates, in [`ApiScope::ALL`] order. Errors:
/// `Invalid` (field `scopes`) for none or an unknown name.
pub fn parse_scopes(names: &[String]) -> AppResult<Vec<ApiScope>> {
    let mut scopes = Vec::new();
    for name in names {
        let s = ApiScope::parse(name).ok_or_else(|| {
            AppError::invalid("scopes", format!("unknown scope \"{name}\": use chat, read or manage"))
        })?;
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    if scopes.is_empty() {
        return Err(AppError::invalid("scopes", "choose at least one scope: chat, read or manage"));
    }
    scopes.sort_by_key(|s| ApiScope::ALL.iter().position(|x| x == s));
    Ok(scopes)
}

/// Creates a key in the operator's workspace; the answer holds the secret, shown once.
/// Errors: `Invalid` (name blank or longer than [`MAX_NAME_CHARS`]; scopes).
pub async fn create(db: &Db, op: &OperatorInfo, name: &str, scopes: &[String]) -> AppResult<CreatedApiKey> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "name the key after what uses it, e.g. \"support bot\""));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid("name", format!("use at most {MAX_NAME_CHARS} characters")));
    }
    let scopes = parse_scopes(scopes)?;
    let joined = scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
    let secret = generate_key();
    let key_hash = hash_key(&secret);
    let new = NewKey {
        name,
        prefix: &secret[..SHOWN_PREFIX_CHARS],
        key_hash: &key_hash,
        scopes: &joined,
        created_by: op.id,
        now: now_ms(),
    };
    let ws = op.workspace();
    let key = store::insert(db, ws, &new).await?;
    audit::record(db, ws, &op.email, "api_key_create", &key.id.to_string(), &format!("{name} ({joined})")).await?;
    Ok(CreatedApiKey { key, secret })
}

/// The workspace's keys, newest first (revoked ones too, marked).
pub async fn list(db: &Db, ws: WorkspaceId) -> AppResult<Vec<ApiKeyInfo>> {
    store::list(db, ws).await
}

/// Revokes a key: its next request is 401. Errors: `NotFound` (not the workspace's, or
/// revoked already).
pub async fn revoke(db: &Db, op: &OperatorInfo, id: i64) -> AppResult<ApiKeyInfo> {
    let ws = op.workspace();
    if !store::revoke(db, ws, id, now_ms()).await? {
        return Err(AppError::not_found("API key"));
    }
    let key = store::get(db, ws, id).await?.ok_or_else(|| AppError::not_found("API key"))?;
    audit::record(db, ws, &op.email, "api_key_revoke", &id.to_string(), &key.name).await?;
    Ok(key)
}

/// A request authenticated by a key.
#[derive(Clone, Debug)]
pub struct KeyCaller {
    pub key_id: i64,
    /// The key's name (audit entries read `key:<name>`).
    pub name: String,
    pub scopes: Vec<ApiScope>,
    /// The operator the key acts as (its creator), in the key's workspace.
    pub operator: OperatorInfo,
}

impl KeyCaller {
    /// Errors: `Forbidden` naming the scope the key lacks.
    pub fn require(&self, scope: ApiScope) -> AppResult<()> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!("this API key lacks the \"{}\" scope", scope.as_str())))
        }
    }

    pub fn workspace(&self) -> WorkspaceId {
        self.operator.workspace()
    }
}

/// The key `secret` stands for. Errors: `Unauthorized` for an unknown or revoked key, or
/// one whose operator is deactivated (or moved to another workspace).
pub async fn authenticate(db: &Db, secret: &str) -> AppResult<KeyCaller> {
    let secret = secret.trim();
    if !secret.starts_with(KEY_PREFIX) || secret.len() != KEY_PREFIX.len() + KEY_CHARS {
        return Err(AppError::Unauthorized);
    }
    let row = store::by_hash(db, &hash_key(secret)).await?.ok_or(AppError::Unauthorized)?;
    let operator = super::auth::operator_by_id(db, row.created_by).await?.ok_or(AppError::Unauthorized)?;
    if operator.workspace_id != row.workspace_id {
        return Err(AppError::Unauthorized);
    }
    let now = now_ms();
    if row.last_used_at.is_none_or(|t| now - t >= TOUCH_EVERY_MS) {
        store::touch(db, row.id, now).await?;
    }
    Ok(KeyCaller { key_id: row.id, name: row.name, scopes: store::parse_scopes(&row.scopes)?, operator })
}

/// The key a request carries: `Authorization: Bearer …` or `X-API-Key: …`. None when it
/// carries neither (a `Bearer` token that is not a PromptDev key counts as one: it is
/// then refused, not ignored).
pub fn from_headers(headers: &http::HeaderMap) -> Option<String> {
    if let Some(v) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(v.trim().to_string());
    }
    let auth = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_distinct_and_hash_stably() {
        let (a, b) = (generate_key(), generate_key());
        assert_eq!(a.len(), KEY_PREFIX.len() + KEY_CHARS);
        assert!(a.starts_with(KEY_PREFIX));
        assert_ne!(a, b);
        assert_eq!(hash_key(&a), hash_key(&a));
        assert_ne!(hash_key(&a), hash_key(&b));
        assert_eq!(hash_key("abc").len(), 64);
    }

    #[test]
    fn scopes_parse_dedup_and_refuse_unknown() {
        let s = |v: &[&str]| parse_scopes(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&["manage", "chat", "chat"]).unwrap(), vec![ApiScope::Chat, ApiScope::Manage]);
        assert!(s(&[]).is_err());
        assert!(s(&["admin"]).is_err());
    }

    #[test]
    fn keys_come_from_either_header() {
        let mut h = http::HeaderMap::new();
        assert_eq!(from_headers(&h), None);
        h.insert(http::header::AUTHORIZATION, "Bearer pd_x".parse().unwrap());
        assert_eq!(from_headers(&h).as_deref(), Some("pd_x"));
        h.insert("x-api-key", "pd_y".parse().unwrap());
        assert_eq!(from_headers(&h).as_deref(), Some("pd_y"));
        let mut basic = http::HeaderMap::new();
        basic.insert(http::header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(from_headers(&basic), None);
    }
}
