//! Login rate limiting, per account and per client IP: failed logins are counted with
//! [governor]'s GCRA limiter; one failure past the allowance locks the account (or the
//! IP) for [`LOCKOUT`], during which every attempt — even with the right password — is
//! answered 429 with the seconds left. A success does not reset the count: the allowance
//! refills with time.
//!
//! **Per process**: each server process counts on its own, so with N processes behind a
//! load balancer an attacker gets up to N times the allowance. The client IP is the TCP
//! peer (a proxy in front makes every client one IP: raise [`IP_FAILURES`] or limit at
//! the proxy).

use crate::error::{AppError, AppResult};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed logins one account may have in a burst before it is locked.
pub const ACCOUNT_FAILURES: u32 = 5;
/// Failed logins one IP may have in a burst (several accounts behind one address).
pub const IP_FAILURES: u32 = 20;
/// One more failure is allowed per this much time (per account and per IP).
pub const REFILL: Duration = Duration::from_secs(60);
/// How long an account or IP stays locked once over its allowance.
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);

/// What is counted: an operator or end-user account (by lower-cased email or user id,
/// prefixed by kind) or an IP.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Ip(IpAddr),
}

/// The limiter of one process (in [`crate::engine::AppState`]).
pub struct LoginThrottle {
    accounts: DefaultKeyedRateLimiter<String>,
    ips: DefaultKeyedRateLimiter<IpAddr>,
    locked: Mutex<HashMap<Key, Instant>>,
    lockout: Duration,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(ACCOUNT_FAILURES, IP_FAILURES, REFILL, LOCKOUT)
    }
}

impl LoginThrottle {
    /// A limiter allowing `account` / `ip` failures in a burst, one more per `refill`,
    /// locking for `lockout` when exceeded.
    pub fn new(account: u32, ip: u32, refill: Duration, lockout: Duration) -> Self {
        let quota = |burst: u32| {
            Quota::with_period(refill)
                .expect("refill is not zero")
                .allow_burst(NonZeroU32::new(burst.max(1)).expect("at least 1"))
        };
        LoginThrottle {
            accounts: DefaultKeyedRateLimiter::keyed(quota(account)),
            ips: DefaultKeyedRateLimiter::keyed(quota(ip)),
            locked: Mutex::new(HashMap::new()),
            lockout,
        }
    }

    /// Before checking a password: `RateLimited` with the seconds left while `account`
    /// or `ip` is locked. `account` is `kind:name` (`operator:ann@example.com`).
    pub fn check(&self, account: &str, ip: Option<IpAddr>) -> AppResult<()> {
        let now = Instant::now();
        let mut locked = self.locked.lock().unwrap_or_else(|e| e.into_inner());
        locked.retain(|_, until| *until > now);
        let until = [Some(Key::Account(account.to_string())), ip.map(Key::Ip)]
            .into_iter()
            .flatten()
            .filter_map(|k| locked.get(&k).copied())
            .max();
        match until {
            Some(until) => {
                let retry_after_s = (until - now).as_secs().max(1);
                Err(AppError::RateLimited {
                    message: format!("too many failed logins: try again in {} minute(s)", retry_after_s.div_ceil(60)),
                    retry_after_s,
                })
            }
            None => Ok(()),
        }
    }

    /// After a failed login: counts it for `account` and `ip`; the one past the allowance
    /// locks them for the lockout period.
    pub fn failed(&self, account: &str, ip: Option<IpAddr>) {
        let mut over = Vec::new();
        if self.accounts.check_key(&account.to_string()).is_err() {
            over.push(Key::Account(account.to_string()));
        }
        if let Some(ip) = ip {
            if self.ips.check_key(&ip).is_err() {
                over.push(Key::Ip(ip));
            }
        }
        if over.is_empty() {
            return;
        }
        let until = Instant::now() + self.lockout;
        let mut locked = self.locked.lock().unwrap_or_else(|e| e.into_inner());
        for k in over {
            tracing::warn!(key = ?k, lockout_s = self.lockout.as_secs(), "login locked after too many failures");
            locked.insert(k, until);
        }
        // Forget keys that have refilled, so the maps stay small.
        self.accounts.retain_recent();
        self.ips.retain_recent();
    }

    /// Runs one login `attempt` for `account` from `ip`: refused first while either is
    /// locked (`RateLimited`); a `BadCredentials` answer counts as a failure.
    pub async fn attempt<T>(
        &self,
        account: &str,
        ip: Option<IpAddr>,
        attempt: impl std::future::Future<Output = AppResult<T>>,
    ) -> AppResult<T> {
        self.check(account, ip)?;
        let result = attempt.await;
        if matches!(result, Err(AppError::BadCredentials)) {
            self.failed(account, ip);
        }
        result
    }
}

/// The counted name of an operator login.
pub fn operator_account(email: &str) -> String {
    format!("operator:{}", email.trim().to_lowercase())
}

/// The counted name of an end user's login to workspace `ws`.
pub fn end_user_account(ws: crate::engine::ids::WorkspaceId, email: &str) -> String {
    format!("user:{ws}:{}", email.trim().to_lowercase())
}

/// The TCP peer's address, when the server runs with connection info (it does: see
/// `server::startup`); None otherwise.
pub fn client_ip(extensions: &http::Extensions) -> Option<IpAddr> {
    extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_allowance_per_account_and_per_ip() {
        let t = LoginThrottle::new(3, 5, Duration::from_secs(3600), Duration::from_secs(600));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(t.check("operator:a@x.io", Some(ip)).is_ok());
            t.failed("operator:a@x.io", Some(ip));
        }
        assert!(t.check("operator:a@x.io", Some(ip)).is_ok(), "the allowance itself is fine");
        t.failed("operator:a@x.io", Some(ip));
        match t.check("operator:a@x.io", None) {
            Err(AppError::RateLimited { retry_after_s, .. }) => assert!(retry_after_s > 590),
            other => panic!("{other:?}"),
        }
        // Another account from the same IP is fine until the IP's own allowance is spent.
        assert!(t.check("operator:b@x.io", Some(ip)).is_ok());
        t.failed("operator:b@x.io", Some(ip));
        assert!(t.check("operator:c@x.io", Some(ip)).is_ok(), "5 failures from the IP are its allowance");
        t.failed("operator:b@x.io", Some(ip));
        assert!(t.check("operator:c@x.io", Some(ip)).is_err(), "the 6th locks the IP for every account");
        assert!(t.check("operator:c@x.io", Some("10.0.0.2".parse().unwrap())).is_ok());
    }
}
