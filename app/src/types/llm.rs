//! LLM-facing types: a message as sent to a model, and the providers this server offers.

use serde::{Deserialize, Serialize};

/// One message as sent to an LLM: `role` is `system`, `user` or `assistant`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    /// A message from `role` (`system`, `user` or `assistant`).
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Self { role: role.to_string(), content: content.into() }
    }
}

/// An LLM provider this server can use, for the editor's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProviderInfo {
    /// `local` or `openai`.
    pub kind: String,
    /// The configured model.
    pub model: String,
    /// The provider used when a version names none.
    pub default: bool,
}
