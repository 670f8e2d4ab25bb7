//! The Overview's figures: cards for today, series over a range, the latency histogram,
//! and one row per persona version. Times are ms since the Unix epoch (UTC); days and
//! hours are UTC.

use serde::{Deserialize, Serialize};

/// The span the Overview's series cover.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum StatsRange {
    /// The last 24 hours, one point per hour.
    #[default]
    #[serde(rename = "24h")]
    Day,
    /// The last 7 days, one point per hour.
    #[serde(rename = "7d")]
    Week,
    /// The last 30 days, one point per day.
    #[serde(rename = "30d")]
    Month,
}

impl StatsRange {
    /// Every range, shortest first.
    pub const ALL: [StatsRange; 3] = [StatsRange::Day, StatsRange::Week, StatsRange::Month];

    /// `24h`, `7d` or `30d`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatsRange::Day => "24h",
            StatsRange::Week => "7d",
            StatsRange::Month => "30d",
        }
    }

    /// The inverse of [`as_str`](Self::as_str); None for anything else.
    pub fn parse(s: &str) -> Option<StatsRange> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The span (ms).
    pub fn span_ms(self) -> i64 {
        match self {
            StatsRange::Day => DAY_MS,
            StatsRange::Week => 7 * DAY_MS,
            StatsRange::Month => 30 * DAY_MS,
        }
    }

    /// The width of one point of the series (ms): an hour, or a day for 30 days.
    pub fn step_ms(self) -> i64 {
        match self {
            StatsRange::Month => DAY_MS,
            _ => HOUR_MS,
        }
    }
}

/// One hour (ms).
pub const HOUR_MS: i64 = 3_600_000;
/// One day (ms).
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// Upper bounds (ms) of the latency histogram's buckets; a last bucket holds the rest.
pub const LATENCY_BOUNDS_MS: [i64; 7] = [250, 500, 1000, 2000, 4000, 8000, 16000];

/// The cards: today is the current UTC day so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatsCards {
    /// End users with a message in the last 60 minutes / since midnight UTC.
    pub active_users_hour: i64,
    pub active_users_today: i64,
    /// Messages today: the users', the persona's replies and operators'.
    pub messages_today: i64,
    /// Conversations an operator or a guardrail has halted, now.
    pub halted_now: i64,
    /// Chat turns today that reached the LLM, and how many of them failed.
    pub chat_requests_today: i64,
    pub chat_errors_today: i64,
    /// Share of today's chat turns that failed (0–100); 0 without turns.
    pub error_rate_percent: f64,
    /// Mean and 95th percentile response time of today's successful turns (ms); None
    /// without any. p95 is estimated from the histogram (linear within a bucket).
    pub avg_response_ms: Option<f64>,
    pub p95_response_ms: Option<f64>,
    /// Mean time to first token of today's streamed turns (ms).
    pub avg_ttft_ms: Option<f64>,
    /// Tokens sent to and received from the LLM today, every source.
    pub prompt_tokens_today: i64,
    pub completion_tokens_today: i64,
    /// Estimated cost today (USD) from the workspace's model prices; None when no model
    /// used today has a price.
    pub cost_today_usd: Option<f64>,
    /// Models used today that have no price set.
    pub unpriced_models: Vec<String>,
    /// Guardrail rules that matched today.
    pub guardrail_hits_today: i64,
}

/// One point of the series: the bucket starting at `start` (ms), [`StatsRange::step_ms`] wide.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeriesPoint {
    pub start: i64,
    pub messages: i64,
    pub chat_requests: i64,
    pub chat_errors: i64,
    /// Mean response time of the bucket's successful turns (ms).
    pub avg_response_ms: Option<f64>,
}

/// One bucket of the latency histogram: turns that took at most `le_ms` (None: longer
/// than the last bound) and more than the previous bucket's bound.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LatencyBucket {
    pub le_ms: Option<i64>,
    pub count: i64,
}

/// A persona version's figures over the range (version 0: messages no version wrote —
/// the users' own and operators').
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VersionStats {
    pub persona_id: i64,
    /// The persona's name; `(deleted)` when it is gone.
    pub persona: String,
    pub version: i64,
    /// Labels pointing at this version now (`production`, …).
    pub labels: Vec<String>,
    pub replies: i64,
    pub user_messages: i64,
    pub avg_response_ms: Option<f64>,
    pub chat_errors: i64,
    /// Mean valence of the scored user messages this version answered (−1…1).
    pub avg_sentiment: Option<f64>,
    pub guardrail_hits: i64,
    /// Chats that started with this version in the range (aggregated hours only).
    pub chats: i64,
    /// Mean messages per chat and mean chat length (minutes, first to last message).
    pub messages_per_chat: Option<f64>,
    pub chat_minutes: Option<f64>,
    /// Share of those chats where an operator wrote a message (0–100).
    pub takeover_percent: Option<f64>,
    /// Users whose first reply came from this version in the range, and the share of
    /// them back exactly 1 and 7 days later (0–100; None until that day has passed for
    /// anyone).
    pub new_users: i64,
    pub returning_day1_percent: Option<f64>,
    pub returning_day7_percent: Option<f64>,
}

/// Everything the Overview shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatsOverview {
    pub range: StatsRange,
    /// When it was computed (ms).
    pub now: i64,
    /// Hours before this (ms) come from the pre-aggregated tables; later ones were read
    /// from the raw tables for this answer. Chats and returning users count aggregated
    /// hours only.
    pub aggregated_until: i64,
    pub cards: StatsCards,
    /// Oldest first, one per step, empty steps included.
    pub series: Vec<SeriesPoint>,
    pub latency: Vec<LatencyBucket>,
    /// Personas by name, versions newest first.
    pub versions: Vec<VersionStats>,
}

/// What `promptdev seed-demo` or `POST /admin/stats/aggregate` reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AggregateReport {
    /// Hours aggregated by this call.
    pub hours: i64,
    /// The watermark afterwards (ms).
    pub until: i64,
}

/// What a model costs (USD per million tokens), set per workspace for the estimated cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ModelPrice {
    pub model: String,
    pub prompt_usd_per_mtok: f64,
    pub completion_usd_per_mtok: f64,
}

impl ModelPrice {
    /// Checks the model name (1–200 characters) and that prices are finite and ≥ 0.
    /// Errors: `Invalid`.
    pub fn validate(&self) -> Result<(), crate::error::AppError> {
        let model = self.model.trim();
        if model.is_empty() || model.chars().count() > 200 {
            return Err(crate::error::AppError::invalid("model", "Give the model's name (at most 200 characters)."));
        }
        for p in [self.prompt_usd_per_mtok, self.completion_usd_per_mtok] {
            if !p.is_finite() || p < 0.0 {
                return Err(crate::error::AppError::invalid("price", "A price is a number of dollars, 0 or more."));
            }
        }
        Ok(())
    }
}

/// The original's `GET /admin/stats/overview`: today's figures (UTC day) and this clock
/// hour's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OriginalOverview {
    /// End users with a message since midnight UTC.
    pub active_users_today: i64,
    /// End users with a message in the last 60 minutes.
    pub active_users_hour: i64,
    /// Messages today: the users', the personas' replies and operators'.
    pub total_messages_today: i64,
    /// Messages in the current clock hour.
    pub messages_per_hour: f64,
    /// Mean response time of today's successful chat turns (ms); 0 without any.
    pub avg_response_time_ms: f64,
    /// Share of today's chat turns that failed (0–100); 0 without turns.
    pub error_rate_percent: f64,
    /// The (at most) five personas with the most chat turns today, most first.
    pub top_templates: Vec<TopTemplate>,
}

/// A persona and its chat turns today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TopTemplate {
    /// The persona's name; `(deleted)` when it is gone.
    pub name: String,
    pub count: i64,
}

/// The original's `GET /admin/stats/users/{user_id}`: one end user's figures over all time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserStats {
    /// The end user's id (as the chat names them).
    pub user_id: String,
    /// Messages the user sent.
    pub total_messages: i64,
    /// Their first message (RFC 3339).
    pub first_seen: String,
    /// Their last message (RFC 3339).
    pub last_seen: String,
    /// Mean response time of their successful chat turns (ms, rounded); 0 without any.
    pub avg_response_time_ms: i64,
    /// Their chat turns that failed.
    pub error_count: i64,
    /// The share of their chat turns that failed (0–100); 0 without turns.
    pub error_rate_percent: f64,
}
