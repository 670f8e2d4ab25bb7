//! Prometheus metrics the engine records, through the `metrics` facade (the server
//! installs the exporter and serves `/metrics`; without it these calls do nothing).
//! Names follow Prometheus conventions: `_total` counters, `_seconds` histograms. No
//! label carries user data: sources, statuses, kinds and actions are small fixed sets.
//!
//! - `promptdev_llm_requests_total{source,status}` and
//!   `promptdev_llm_request_duration_seconds{source}` — every logged LLM call (chat turns
//!   are `source="chat"`);
//! - `promptdev_ttft_seconds{source}` — time to first token of streamed calls;
//! - `promptdev_llm_errors_total{source,kind}` — failed calls by [`error_kind`];
//! - `promptdev_tokens_total{direction="prompt"|"completion"}`;
//! - `promptdev_halts_total{by="operator"|"guardrail"}`;
//! - `promptdev_guardrail_hits_total{action}`.

/// The kind of a failed call, from the error text `LlmError` writes (`connect: …`,
/// `timed out after …`, `http 429: …`, `protocol: …`, `unavailable: …`).
pub fn error_kind(message: &str) -> &'static str {
    let m = message.trim_start();
    if m.starts_with("connect") {
        "connect"
    } else if m.starts_with("timed out") {
        "timeout"
    } else if m.starts_with("http 429") {
        "rate_limited"
    } else if m.starts_with("http ") {
        "http_status"
    } else if m.starts_with("protocol") {
        "protocol"
    } else if m.starts_with("unavailable") {
        "unavailable"
    } else {
        "other"
    }
}

/// One logged LLM call, as the metrics see it (the request log's row has more).
pub struct LlmCall<'a> {
    /// `chat`, `playground`, `draft`, `summary`, …
    pub source: &'a str,
    /// `ok`, `error`, `stopped`, `render_error`.
    pub status: &'a str,
    pub latency_ms: i64,
    pub ttft_ms: Option<i64>,
    pub error: Option<&'a str>,
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
}

/// Counts one logged LLM call.
pub fn llm_call(c: &LlmCall<'_>) {
    let source = c.source.to_string();
    metrics::counter!("promptdev_llm_requests_total", "source" => source.clone(), "status" => c.status.to_string())
        .increment(1);
    metrics::histogram!("promptdev_llm_request_duration_seconds", "source" => source.clone())
        .record(c.latency_ms as f64 / 1000.0);
    if let Some(t) = c.ttft_ms {
        metrics::histogram!("promptdev_ttft_seconds", "source" => source.clone()).record(t as f64 / 1000.0);
    }
    if c.status == "error" {
        let kind = error_kind(c.error.unwrap_or_default());
        metrics::counter!("promptdev_llm_errors_total", "source" => source, "kind" => kind).increment(1);
    }
    if let Some(n) = c.prompt_tokens {
        metrics::counter!("promptdev_tokens_total", "direction" => "prompt").increment(u64::from(n));
    }
    if let Some(n) = c.completion_tokens {
        metrics::counter!("promptdev_tokens_total", "direction" => "completion").increment(u64::from(n));
    }
}

/// Counts a halt, by an operator or a guardrail.
pub fn halt(by: &'static str) {
    metrics::counter!("promptdev_halts_total", "by" => by).increment(1);
}

/// Counts a guardrail hit with its action (`block`, `flag`, `halt`, …).
pub fn guardrail_hit(action: &str) {
    metrics::counter!("promptdev_guardrail_hits_total", "action" => action.to_string()).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_follow_llm_error_texts() {
        use crate::engine::llm::LlmError;
        let kinds: Vec<&str> = [
            LlmError::Connect("refused".into()),
            LlmError::Timeout(std::time::Duration::from_secs(3)),
            LlmError::Status { status: 429, body: "slow down".into() },
            LlmError::Status { status: 503, body: "busy".into() },
            LlmError::Protocol("bad json".into()),
            LlmError::Unavailable("no model".into()),
        ]
        .iter()
        .map(|e| error_kind(&e.to_string()))
        .collect();
        assert_eq!(kinds, ["connect", "timeout", "rate_limited", "http_status", "protocol", "unavailable"]);
        assert_eq!(error_kind("template did not render"), "other");
    }
}
