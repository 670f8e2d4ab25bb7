//! What the operator's monitor shows: end users, their sessions, state and memory.

use super::{Message, Sender};
use serde::{Deserialize, Serialize};

/// An end user as the monitor lists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct UserState {
    pub halted: bool,
    pub reason: Option<String>,
    pub halted_by: Option<String>,
    pub halted_at: Option<i64>,
}

/// One memory entry: a key and a JSON value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryEntry {
    pub key: String,
    pub value: serde_json::Value,
}

/// A conversation as the monitor shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub user_id: String,
    pub state: UserState,
    /// Messages of every session, oldest first (each carries its `session_id`).
    pub messages: Vec<Message>,
    pub memory: Vec<MemoryEntry>,
    /// The user's chat sessions, most recently active first.
    #[serde(default)]
    pub sessions: Vec<ChatSessionSummary>,
}
