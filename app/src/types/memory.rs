//! Memory with provenance and the approval queue of automatic memory.

use serde::{Deserialize, Serialize};

/// Who or what set a memory entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemorySource {
    /// An operator in the dashboard (`set_by` is their email). The default for entries
    /// stored before provenance was recorded.
    #[default]
    Operator,
    /// The REST API (`set_by` is the email of the operator whose session made the call).
    Api,
    /// The memory job, from a user message (`source_message_id`); `set_by` is the operator
    /// who approved it, None when the persona writes facts without approval.
    Extraction,
}

impl MemorySource {
    /// The stored name: `operator`, `api` or `extraction`.
    pub fn as_str(self) -> &'static str {
        match self {
            MemorySource::Operator => "operator",
            MemorySource::Api => "api",
            MemorySource::Extraction => "extraction",
        }
    }

    /// The source with this stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [MemorySource::Operator, MemorySource::Api, MemorySource::Extraction].into_iter().find(|m| m.as_str() == s)
    }
}

/// Whether a persona's chats feed automatic memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExtractionMode {
    /// No extraction (the default).
    #[default]
    Off,
    /// Extracted facts are written to the user's memory at once.
    On,
    /// Extracted facts wait in the approval queue until an operator approves them.
    Approval,
}

impl ExtractionMode {
    /// Every mode, in the order the settings page offers them.
    pub const ALL: [ExtractionMode; 3] = [ExtractionMode::Off, ExtractionMode::On, ExtractionMode::Approval];

    /// The stored name: `off`, `on` or `approval`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtractionMode::Off => "off",
            ExtractionMode::On => "on",
            ExtractionMode::Approval => "approval",
        }
    }

    /// The mode with this stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// How the settings page names the mode.
    pub fn label(self) -> &'static str {
        match self {
            ExtractionMode::Off => "Off",
            ExtractionMode::On => "On: write facts at once",
            ExtractionMode::Approval => "With approval: facts wait for an operator",
        }
    }
}

/// A persona's automatic-memory and sentiment switches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PersonaMemorySettings {
    pub persona_id: i64,
    pub name: String,
    pub memory_extraction: ExtractionMode,
    /// Score the sentiment of each user message in this persona's chats (a chat's own
    /// switch wins).
    pub sentiment_enabled: bool,
}

/// A fact the memory job extracted, in the approval queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemoryCandidate {
    pub id: i64,
    /// The end user it is about.
    pub user_id: String,
    pub session_id: Option<i64>,
    /// The user message it came from, and its text (at most 200 characters).
    pub source_message_id: i64,
    #[serde(default)]
    pub source_message: Option<String>,
    pub key: String,
    pub value: serde_json::Value,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub created_at: i64,
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub decided_at: Option<i64>,
}

/// What the memory page shows: every persona's switches and the pending facts, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemoryPage {
    pub personas: Vec<PersonaMemorySettings>,
    pub pending: Vec<MemoryCandidate>,
}
