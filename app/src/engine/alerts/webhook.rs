//! Webhook delivery: the URL an operator may set (http or https, not inside the server's
//! network unless [`crate::engine::config::Config::webhook_allow_private`]) and the job
//! that POSTs an alert to it.
//!
//! The address check runs twice: on the URL when it is saved (an IP literal, `localhost`),
//! and on every address its host resolves to when it is sent — so a name that resolves
//! inside (now, or after a DNS change) is refused too. The request then goes to the
//! checked addresses only, and redirects are not followed.

use crate::engine::ids::WorkspaceId;
use crate::engine::queue::JobError;
use crate::engine::store::workspace_settings as settings;
use crate::engine::AppState;
use crate::error::{AppError, AppResult};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// How long one delivery may take (connect to last byte).
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2_000;

/// Reads a webhook URL as typed: blank = no webhook (None); else an absolute `http` or
/// `https` URL with a host, no credentials, and (unless `allow_private`) not a loopback,
/// private, link-local or unique-local address nor `localhost`. Returns it normalised.
/// Errors: `Invalid` on field `webhook_url`.
pub fn parse_webhook_url(raw: &str, allow_private: bool) -> AppResult<Option<String>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = |message: &str| AppError::invalid("webhook_url", message);
    if raw.len() > MAX_URL_LEN {
        return Err(bad("a webhook URL is at most 2000 characters"));
    }
    let url = reqwest::Url::parse(raw).map_err(|_| bad("the webhook URL is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("a webhook URL starts with http:// or https://"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("a webhook URL cannot carry a user name or password"));
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(bad("a webhook URL names a host"));
    };
    if !allow_private && host_is_internal(host) {
        return Err(bad("a webhook URL cannot point to a loopback, private or link-local address"));
    }
    Ok(Some(url.to_string()))
}

/// Whether `host` (a URL's host: a name, an IPv4 or a bracketed IPv6 literal) is
/// internal by itself: an internal IP literal, or `localhost` and names under it.
fn host_is_internal(host: &str) -> bool {
    let lower = host.trim_end_matches('.').to_ascii_lowercase();
    if lower == "localhost" || lower.ends_with(".localhost") {
        return true;
    }
    match lower.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        Ok(ip) => is_internal(ip),
        Err(_) => false,
    }
}

/// Loopback, private (RFC 1918), shared (100.64/10), link-local, unspecified, broadcast,
/// multicast; for IPv6 also unique-local (fc00::/7), site-local and IPv4-mapped forms
/// of the above.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (b & 0xc0) == 64)
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_internal_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
}

/// `Fail` when any address `host` resolved to is internal (a name may resolve both ways).
fn refuse_internal(host: &str, addrs: &[SocketAddr]) -> Result<(), JobError> {
    match addrs.iter().find(|a| is_internal(a.ip())) {
        Some(inside) => {
            Err(JobError::Fail(format!("refused: {host} resolves to {}, an internal address", inside.ip())))
        }
        None => Ok(()),
    }
}

/// The [`crate::engine::queue::JobKind::Webhook`] job: POSTs `payload` to the workspace's
/// webhook as it is set now (none set any more: nothing to do).
pub async fn run_job(state: &AppState, ws: WorkspaceId, payload: &serde_json::Value) -> Result<(), JobError> {
    let url = match settings::webhook(&state.db, ws).await {
        Ok(Some((_, Some(url)))) => url,
        Ok(_) => return Ok(()),
        Err(e) => return Err(JobError::Retry(format!("reading the webhook URL: {e}"))),
    };
    deliver(&url, payload, state.config.webhook_allow_private).await
}

/// POSTs `body` as JSON to `url` within [`TIMEOUT`]. Errors: `Fail` for a URL that is
/// not allowed or resolves to an internal address (unless `allow_private`) and for a
/// 4xx answer other than 408 and 429; `Retry` for a name that does not resolve, a
/// connection failure, a timeout, 408, 429 and 5xx.
pub async fn deliver(url: &str, body: &serde_json::Value, allow_private: bool) -> Result<(), JobError> {
    let checked = parse_webhook_url(url, allow_private)
        .map_err(|e| JobError::Fail(e.to_string()))?
        .ok_or_else(|| JobError::Fail("no webhook URL".into()))?;
    let url = reqwest::Url::parse(&checked).map_err(|e| JobError::Fail(e.to_string()))?;
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let mut client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("PromptDev/", env!("CARGO_PKG_VERSION")));
    if host.parse::<IpAddr>().is_err() {
        let addrs: Vec<SocketAddr> = tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((host.as_str(), port)))
            .await
            .map_err(|_| JobError::Retry(format!("resolving {host} timed out")))?
            .map_err(|e| JobError::Retry(format!("resolving {host}: {e}")))?
            .collect();
        if addrs.is_empty() {
            return Err(JobError::Retry(format!("{host} has no address")));
        }
        if !allow_private {
            refuse_internal(&host, &addrs)?;
        }
        // Connect to exactly the addresses checked (no second lookup to rebind).
        client = client.resolve_to_addrs(&host, &addrs);
    }
    let client = client.build().map_err(|e| JobError::Retry(format!("HTTP client: {e}")))?;
    let resp = client.post(url).json(body).send().await.map_err(|e| {
        let what = if e.is_timeout() { "timed out" } else { "failed" };
        JobError::Retry(format!("POST to the webhook {what}: {e}"))
    })?;
    let status = resp.status();
    if status.is_success() {
        Ok(())
    } else if status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
    {
        Err(JobError::Retry(format!("the webhook answered {status}")))
    } else {
        Err(JobError::Fail(format!("the webhook answered {status}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(r: AppResult<Option<String>>) -> Option<String> {
        match r {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "::ffff:1.1.1.1"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn a_webhook_url_is_http_outside_the_private_network() {
        assert_eq!(parse_webhook_url("  ", false).unwrap(), None);
        assert_eq!(
            parse_webhook_url("https://hooks.example.com/a?b=1", false).unwrap().as_deref(),
            Some("https://hooks.example.com/a?b=1")
        );
        for bad in [
            "ftp://example.com/x",
            "not a url",
            "http://127.0.0.1:9/x",
            "http://localhost/x",
            "http://api.localhost/x",
            "http://[::1]/x",
            "http://10.0.0.5/",
            "http://169.254.169.254/latest",
            "http://[fd12::1]/",
            "https://user:pw@example.com/",
        ] {
            assert_eq!(field_of(parse_webhook_url(bad, false)).as_deref(), Some("webhook_url"), "{bad}");
        }
        assert!(parse_webhook_url("http://127.0.0.1:9/x", true).unwrap().is_some(), "allowed by the config");
        assert!(parse_webhook_url("ftp://127.0.0.1/x", true).is_err(), "the scheme is checked anyway");
    }

    #[test]
    fn resolved_addresses_inside_are_refused() {
        let outside: SocketAddr = "93.184.216.34:443".parse().unwrap();
        let inside: SocketAddr = "10.0.0.7:443".parse().unwrap();
        assert!(refuse_internal("hooks.example.com", &[outside]).is_ok());
        let e = refuse_internal("hooks.example.com", &[outside, inside]).unwrap_err();
        assert_eq!(e, JobError::Fail("refused: hooks.example.com resolves to 10.0.0.7, an internal address".into()));
    }

    #[tokio::test]
    async fn a_name_resolving_inside_is_refused_at_send_time() {
        // `localhost` is refused by name already; an IP literal inside is refused without a lookup.
        let body = serde_json::json!({"type": "alert"});
        let e = deliver("http://127.0.0.1:9/hook", &body, false).await.unwrap_err();
        assert!(matches!(e, JobError::Fail(_)), "{e:?}");
    }
}
