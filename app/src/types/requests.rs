//! The request log page: every LLM call, filtered and paged by cursor, and one call in
//! full (the exact messages sent). Times are ms since the Unix epoch (UTC).

use super::{ChatMessage, ModelSettings};
use serde::{Deserialize, Serialize};

/// Filters of the request log; every field optional (blank = any).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct RequestFilter {
    pub persona_id: Option<i64>,
    pub version: Option<i64>,
    /// `ok`, `error`, `stopped`, `render_error`.
    pub status: Option<String>,
    /// `chat`, `playground`, `draft`, `summary`, `extraction`, `sentiment`, …
    pub source: Option<String>,
    /// The end user's id.
    pub user_id: Option<String>,
    /// created_at ≥ since and < until (ms).
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Text in the messages sent, the reply or the error (case-insensitive).
    pub q: Option<String>,
    /// Rows older than this id (the previous page's `next_cursor`).
    pub cursor: Option<i64>,
    /// Rows per page, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// One row of the log, without the texts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RequestSummary {
    pub id: i64,
    pub created_at: i64,
    pub user_id: Option<String>,
    pub session_id: Option<i64>,
    /// The user message a chat turn answered.
    pub message_id: Option<i64>,
    pub persona_id: Option<i64>,
    pub persona: Option<String>,
    pub version: Option<i64>,
    pub source: String,
    pub provider: String,
    pub model: String,
    pub status: String,
    pub latency_ms: i64,
    pub ttft_ms: Option<i64>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    /// From the workspace's model prices (USD); None without a price or tokens.
    pub cost_usd: Option<f64>,
}

/// A page of the log, newest first; `next_cursor` fetches the older rows (None: last page).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RequestPage {
    pub requests: Vec<RequestSummary>,
    pub next_cursor: Option<i64>,
}

/// One call in full.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RequestDetail {
    pub summary: RequestSummary,
    /// The exact messages sent; empty once the workspace's retention dropped them.
    pub messages: Vec<ChatMessage>,
    pub response: Option<String>,
    pub error: Option<String>,
    pub cached_tokens: Option<i64>,
    /// The persona version's model settings (temperature, max tokens, …) when the call
    /// was a persona's.
    pub parameters: Option<ModelSettings>,
    /// The turn's context as logged (history, memory, summary, …), for chat turns.
    pub context: Option<serde_json::Value>,
    /// The texts were dropped by the retention setting (figures kept).
    pub bodies_dropped: bool,
}
