//! Types shared by the browser and the server: what server functions and the REST API
//! send and receive. Times are milliseconds since the Unix epoch (UTC).

use serde::{Deserialize, Serialize};

/// One message as sent to an LLM: `role` is `system`, `user` or `assistant`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Self { role: role.to_string(), content: content.into() }
    }
}

/// The operator who is logged in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorInfo {
    pub id: i64,
    pub email: String,
    pub workspace_id: i64,
    pub workspace_name: String,
}

/// A persona (template) in a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonaSummary {
    pub id: i64,
    pub name: String,
    /// The highest version number (versions are numbered 1, 2, 3 …).
    pub latest_version: i64,
    pub updated_at: i64,
}

/// One immutable version of a persona.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: i64,
    pub content: String,
    /// sha256 of `content`, lowercase hex.
    pub checksum: String,
    pub note: String,
    /// Email of the operator who saved it (or the name given through the REST API).
    pub author: String,
    pub created_at: i64,
}

/// A variable a template reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateVariable {
    pub name: String,
    /// True when the chat pipeline provides it; an unknown one fails at render time.
    pub known: bool,
}

/// A persona with its whole version history, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonaDetail {
    pub id: i64,
    pub name: String,
    pub versions: Vec<VersionInfo>,
    /// Variables the latest version reads.
    pub variables: Vec<TemplateVariable>,
}

/// Who wrote a stored message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sender {
    /// The end user.
    User,
    /// The persona (LLM reply).
    Assistant,
    /// An operator, injected from the monitor.
    Operator,
    /// The pause notice sent while a conversation is halted.
    Notice,
}

impl Sender {
    pub fn as_str(self) -> &'static str {
        match self {
            Sender::User => "user",
            Sender::Assistant => "assistant",
            Sender::Operator => "operator",
            Sender::Notice => "notice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "user" => Sender::User,
            "assistant" => Sender::Assistant,
            "operator" => Sender::Operator,
            "notice" => Sender::Notice,
            _ => return None,
        })
    }
}

/// A stored message of a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    pub session_id: i64,
    pub persona_name: String,
    pub sender: Sender,
    pub content: String,
    pub created_at: i64,
}

/// An end user as the monitor lists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndUserSummary {
    /// The user's id as the chat UI or the API client names it.
    pub user_id: String,
    pub message_count: i64,
    pub last_message_at: Option<i64>,
    pub halted: bool,
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
    pub messages: Vec<Message>,
    pub memory: Vec<MemoryEntry>,
}

/// A persona an end user can chat with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatPersona {
    pub id: i64,
    pub name: String,
}

/// What the chat UI shows when it opens a persona: the history and whether it is paused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatHistory {
    /// None until the user's first message with this persona.
    pub session_id: Option<i64>,
    pub persona: ChatPersona,
    pub messages: Vec<Message>,
    pub paused: bool,
}

/// The outcome of one user turn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TurnOutcome {
    /// The persona replied.
    Replied { user_message: Message, reply: Message },
    /// The conversation is halted: the message is stored, no LLM was called.
    Paused { user_message: Message, notice: Message },
    /// The LLM failed: the message is stored, the user may try again.
    Failed { user_message: Message, error: String },
}

/// The pause notice shown to an end user while an operator has halted the conversation.
pub const PAUSE_NOTICE: &str =
    "Conversation paused: a member of our team is reviewing this conversation. Your messages are saved and will be answered when it resumes.";

/// What the server pushes over Server-Sent Events (`/admin/events`, `/chat/events`),
/// as JSON with a `type` tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A message was stored in a user's conversation.
    Message { user_id: String, message: Message },
    /// A user's conversation was halted or resumed.
    State { user_id: String, state: UserState },
}

impl LiveEvent {
    /// The end user the event is about.
    pub fn user_id(&self) -> &str {
        match self {
            LiveEvent::Message { user_id, .. } | LiveEvent::State { user_id, .. } => user_id,
        }
    }
}

/// The result of saving a persona's content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaveResult {
    /// The version written, or — when `unchanged` — the latest version, whose content
    /// (by sha256) equals what was saved.
    pub version: VersionInfo,
    /// True when no version was created because the content was identical to the latest.
    pub unchanged: bool,
}

/// How a line differs between two versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffKind {
    Equal,
    Added,
    Removed,
}

/// One line of a version diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: DiffKind,
    /// 1-based line number in the older version (absent for added lines).
    pub old_line: Option<u32>,
    /// 1-based line number in the newer version (absent for removed lines).
    pub new_line: Option<u32>,
    /// The line's text in pieces; `true` marks the words that changed within the line.
    pub segments: Vec<(bool, String)>,
}

/// A line diff between two versions of a persona, with word-level highlights.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDiff {
    pub persona_id: i64,
    pub from: i64,
    pub to: i64,
    /// Lines only in `to`.
    pub added: u32,
    /// Lines only in `from`.
    pub removed: u32,
    pub lines: Vec<DiffLine>,
}
