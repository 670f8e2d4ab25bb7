//! Sentiment of user messages: one score per message, averages per chat and per user.

use serde::{Deserialize, Serialize};

/// The sentiment job's score of one user message. Valence −1..1 (negative ↔ positive);
/// arousal, dominance, trust, engagement and confidence 0..1. `overall_sentiment` is
/// valence·0.2 + arousal·0.1 + dominance·0.1 + trust·0.3 + engagement·0.3.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SentimentScore {
    pub id: i64,
    pub message_id: i64,
    pub session_id: i64,
    pub valence: f64,
    pub arousal: f64,
    pub dominance: f64,
    pub trust: f64,
    pub engagement: f64,
    pub overall_sentiment: f64,
    pub confidence: f64,
    /// When the message was scored (ms).
    pub created_at: i64,
}

/// Averages over scored messages: of one chat (`window_type` `session`) or of every chat
/// of one user (`user`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SentimentAggregate {
    /// The chat, for a `session` window.
    pub session_id: Option<i64>,
    /// The end user, for a `user` window.
    #[serde(default)]
    pub user_id: Option<String>,
    /// `session` or `user`.
    pub window_type: String,
    /// The first score's time (ms).
    pub window_start: i64,
    pub avg_valence: f64,
    pub avg_arousal: f64,
    pub avg_dominance: f64,
    pub avg_trust: f64,
    pub avg_engagement: f64,
    pub avg_confidence: f64,
    pub avg_overall: f64,
    /// Least-squares slope of valence and engagement per scored message, oldest first;
    /// None with fewer than two scores.
    pub valence_trend: Option<f64>,
    pub engagement_trend: Option<f64>,
    pub message_count: i64,
}

/// What the monitor's sentiment panel shows for one chat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionSentiment {
    pub session_id: i64,
    /// Whether messages of this chat are scored now (the chat's switch, else the persona's).
    pub enabled: bool,
    /// The chat's own switch; None = as the persona says.
    pub session_override: Option<bool>,
    /// Scores, oldest first.
    pub scores: Vec<SentimentScore>,
    /// The user's average over all their chats.
    pub user_aggregate: Option<SentimentAggregate>,
}
