//! What the operator's monitor shows: end users, their sessions, state and memory.

use super::{Message, Sender};
use serde::{Deserialize, Serialize};

/// An end user as the monitor lists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndUserSummary {
    /// The user's id as the chat UI or the API client names it.
    pub user_id: String,
    pub message_count: i64,
    pub last_message_at: Option<i64>,
    pub halted: bool,
    /// The start of the newest message (at most [`LAST_MESSAGE_PREVIEW_CHARS`] characters), for the user list.
    #[serde(default)]
    pub last_message: Option<String>,
    /// Who wrote the newest message.
    #[serde(default)]
    pub last_sender: Option<Sender>,
}

/// Longest preview of a user's last message in the monitor's user list, in characters.
pub const LAST_MESSAGE_PREVIEW_CHARS: usize = 120;

/// One chat session (one thread with one persona) of an end user, as the monitor lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChatSessionSummary {
    pub id: i64,
    pub persona_id: i64,
    pub persona_name: String,
    pub message_count: i64,
    pub created_at: i64,
    pub last_message_at: Option<i64>,
}

/// Whether a user's conversation is halted by an operator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserState {
    pub halted: bool,
    pub reason: Option<String>,
    pub halted_by: Option<String>,
    pub halted_at: Option<i64>,
}

/// One memory entry: a key and a JSON value, with where it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemoryEntry {
    pub key: String,
    pub value: serde_json::Value,
    /// Who or what set it.
    #[serde(default)]
    pub source: super::MemorySource,
    /// The operator's email (for `extraction`: who approved it; None without approval).
    #[serde(default)]
    pub set_by: Option<String>,
    /// The user message an extracted fact came from.
    #[serde(default)]
    pub source_message_id: Option<i64>,
    /// When it was last set (ms).
    #[serde(default)]
    pub updated_at: i64,
}

/// A conversation as the monitor shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Conversation {
    pub user_id: String,
    pub state: UserState,
    /// Messages of every session, oldest first (each carries its `session_id`).
    pub messages: Vec<Message>,
    pub memory: Vec<MemoryEntry>,
    /// The user's chat sessions, most recently active first.
    #[serde(default)]
    pub sessions: Vec<ChatSessionSummary>,
    /// Operators' hidden notes to the persona, oldest first (never shown to the user).
    #[serde(default)]
    pub notes: Vec<OperatorNote>,
    /// The persona, label or version assigned to this user, if any.
    #[serde(default)]
    pub assignment: Option<Assignment>,
    /// Guardrail hits on these messages (by `message_id`), oldest first.
    #[serde(default)]
    pub hits: Vec<super::GuardrailHit>,
}

/// A hidden note: context an operator gave the persona for the next replies of one chat.
/// It is added to the system prompt of every later turn of that chat and never shown to
/// the user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OperatorNote {
    pub id: i64,
    pub session_id: i64,
    /// The operator's email.
    pub author: String,
    pub content: String,
    pub created_at: i64,
}

/// What `POST /admin/interventions/{user_id}/inject` adds: a message the user sees (in
/// the persona's voice; the default, as in the original) or a hidden note to the persona.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InjectKind {
    #[default]
    Message,
    Note,
}

/// A persona, label or pinned version assigned to one end user (a test, a rescue).
/// `persona_id`: new chats that name no persona use it; `label` (of the chat's persona,
/// or of `persona_id` only when set) or `version` (of `persona_id`) answer instead of
/// `production`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub persona_id: Option<i64>,
    /// The assigned persona's name (for display).
    #[serde(default)]
    pub persona_name: Option<String>,
    pub label: Option<String>,
    pub version: Option<i64>,
    pub assigned_by: String,
    pub updated_at: i64,
}

/// What an operator assigns (`PUT /admin/users/{user_id}/assignment`): at least one of
/// the three; a `version` needs its `persona_id`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AssignmentRequest {
    #[serde(default)]
    pub persona_id: Option<i64>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
}

/// A reply the persona suggests for an operator to edit and send (draft-assist). Not
/// stored as a message; the LLM call is in the request log with source `draft_assist`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Draft {
    pub session_id: i64,
    pub persona_name: String,
    /// The version whose prompt wrote it.
    pub version: i64,
    pub text: String,
}

/// A halted conversation, as the original's `GET /admin/halted` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HaltedUser {
    pub user_id: String,
    /// When (ms since the Unix epoch).
    pub halted_at: Option<i64>,
    /// Who halted it.
    pub operator: Option<String>,
    pub reason: Option<String>,
}

/// Most rows a page of the live wall holds.
pub const WALL_PAGE_MAX: i64 = 200;

/// Which conversations the live wall shows (`GET /admin/users?view=wall&…`). Empty
/// strings and None mean "any".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WallQuery {
    /// `halted`, `flagged` or `waiting` (pending memory to approve).
    #[serde(default)]
    pub status: Option<String>,
    /// Users with a chat with this persona.
    #[serde(default)]
    pub persona_id: Option<i64>,
    /// Users answered by this label: `production` (no label assigned) or an assigned one.
    #[serde(default)]
    pub label: Option<String>,
    /// Part of the user's id or of a message's text (case-insensitive).
    #[serde(default)]
    pub q: Option<String>,
    /// Page size, 1–200 (default 50).
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
}

/// One conversation on the live wall.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WallRow {
    pub user_id: String,
    pub halted: bool,
    /// A guardrail hit since the last operator action on this user.
    pub flagged: bool,
    /// Memory waiting for an operator's approval.
    pub waiting: bool,
    /// The persona of the user's most recently active chat.
    pub persona_name: Option<String>,
    /// The version that wrote the newest reply in that chat.
    pub persona_version: Option<i64>,
    /// The label assigned to the user (None: `production`).
    pub label: Option<String>,
    pub message_count: i64,
    /// Messages since the calling operator last opened the conversation.
    pub unread: i64,
    pub last_message: Option<String>,
    pub last_sender: Option<Sender>,
    pub last_message_at: Option<i64>,
    /// The newest sentiment score of the user's messages (valence, −1…1), if scored.
    pub sentiment: Option<f64>,
}

impl WallRow {
    /// `halted`, `flagged`, `waiting` or `active`: the most urgent one.
    pub fn status(&self) -> &'static str {
        if self.halted {
            "halted"
        } else if self.flagged {
            "flagged"
        } else if self.waiting {
            "waiting"
        } else {
            "active"
        }
    }
}

/// A page of the live wall, riskiest first (halted, flagged, then the lowest sentiment,
/// then the most recently active), and how many match in all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WallPage {
    pub rows: Vec<WallRow>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}
