//! The per-turn inspector and the fork to the playground: what went into one reply.

use super::{ChatMessage, Sender};
use serde::{Deserialize, Serialize};

/// One earlier message a turn sent as history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub sender: Sender,
    pub content: String,
    /// When it was stored (ms).
    pub at: i64,
}

/// The figures of the turn's LLM call, from its request-log row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TurnCall {
    /// The `llm_requests` row.
    pub request_id: i64,
    pub provider: String,
    pub model: String,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    /// Prompt tokens reused from the provider's cache.
    pub cached_tokens: Option<i64>,
    /// Time to first token (ms).
    pub ttft_ms: Option<i64>,
    pub latency_ms: i64,
    /// `ok`, `error`, `stopped` or `render_error`.
    pub status: String,
    pub error: Option<String>,
    pub created_at: i64,
}

/// What went into one turn of a real conversation: the version, the context the pipeline
/// gathered and the exact messages sent (`GET /admin/messages/{id}/inspect`). The context
/// comes from the turn's request-log row; `recorded` is false for turns logged before it
/// was kept (then only the messages, if any, are known).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TurnInspection {
    /// The message asked about.
    pub message_id: i64,
    /// The turn's user message.
    pub user_message_id: i64,
    /// What the user sent.
    pub user_message: String,
    /// The assistant reply of the turn, as stored now (None when there is none).
    pub reply: Option<String>,
    pub user_id: String,
    pub session_id: i64,
    pub persona_id: i64,
    pub persona_name: String,
    /// The version that answered.
    pub template_version: Option<i64>,
    /// Whether the turn's context was recorded.
    pub recorded: bool,
    /// The user's memory at the time, as the template's `memory`.
    pub memory: serde_json::Map<String, serde_json::Value>,
    /// The chat's running summary the template got as `summary`.
    pub summary: Option<String>,
    /// The sentiment the template got as `sentiment`.
    pub sentiment: Option<serde_json::Value>,
    /// Guardrail `system_instruction` texts added after the template.
    pub instructions: Vec<String>,
    /// Operators' hidden notes added after the instructions.
    pub notes: Vec<String>,
    /// The earlier messages sent, oldest first.
    pub history: Vec<HistoryEntry>,
    /// Exactly what the LLM got.
    pub messages: Vec<ChatMessage>,
    /// The call's figures; None when no call was logged for the turn.
    pub call: Option<TurnCall>,
}

/// A turn forked to the playground (`GET /admin/messages/{id}/fork`): its context, the
/// version that answered it in production and the version `production` points to now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ForkContext {
    pub turn: TurnInspection,
    /// The version the `production` label points to now (None when unpublished).
    pub production_version: Option<i64>,
}
