//! The end user's chat: stored messages, the history shown, the outcome of a turn.

use serde::{Deserialize, Serialize};

/// Who wrote a stored message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
    /// `user`, `assistant`, `operator` or `notice`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sender::User => "user",
            Sender::Assistant => "assistant",
            Sender::Operator => "operator",
            Sender::Notice => "notice",
        }
    }

    /// The sender named `s` ([`Sender::as_str`]), if any.
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: i64,
    pub session_id: i64,
    pub persona_name: String,
    pub sender: Sender,
    pub content: String,
    pub created_at: i64,
    /// The persona version that wrote an assistant reply; None for other senders and for
    /// replies stored before versions were recorded.
    #[serde(default)]
    pub persona_version: Option<i64>,
    /// True when an assistant reply stopped at the `max_tokens` limit (finish reason
    /// `length`): the UI shows that it was cut.
    #[serde(default)]
    pub truncated: bool,
    /// True when generation of an assistant reply was stopped (Stop button, `POST
    /// /chat/sessions/{id}/stop`) or failed after its first token: the text is partial.
    #[serde(default)]
    pub incomplete: bool,
    /// How many versions an assistant reply has (1, plus one per regenerate); the
    /// `content` is version [`Message::alternate`].
    #[serde(default = "one")]
    pub alternates: i64,
    /// The chosen version of a regenerated reply, 1-based (the one later turns see).
    #[serde(default = "one")]
    pub alternate: i64,
    /// `content` as sanitized HTML: Markdown for assistant and operator messages (links
    /// open in a new tab, no scripts, no event handlers), escaped text for the others.
    #[serde(default)]
    pub html: String,
    /// The operator who wrote the message or edited the draft it came from (a takeover,
    /// a sent draft); operators' views only — None in everything the end user gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// True when an operator edited the persona's suggested draft before sending it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub edited: bool,
}

fn one() -> i64 {
    1
}

/// A persona an end user can chat with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChatPersona {
    pub id: i64,
    pub name: String,
}

/// What the chat UI shows when it opens a persona: the history and whether it is paused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChatHistory {
    /// None until the user's first message with this persona.
    pub session_id: Option<i64>,
    pub persona: ChatPersona,
    pub messages: Vec<Message>,
    pub paused: bool,
    /// False when an operator deactivated the persona: the chat is read-only.
    pub available: bool,
}

/// What chat shows when the persona was deactivated.
pub const UNAVAILABLE_NOTICE: &str =
    "This persona is not available any more. Your conversation is kept; choose another persona to keep chatting.";

/// The outcome of one user turn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TurnOutcome {
    /// The persona replied.
    Replied { user_message: Message, reply: Message },
    /// The conversation is halted: the message is stored, no LLM was called.
    Paused { user_message: Message, notice: Message },
    /// The LLM failed: the message is stored, the user may try again.
    Failed { user_message: Message, error: String },
}

/// The `error` of a [`TurnOutcome::Failed`] whose reply was stopped before its first
/// token: nothing was generated, and the chat says so instead of offering a retry.
pub const STOPPED_BEFORE_REPLY: &str = "Stopped before the reply began.";

/// The pause notice shown to an end user while an operator has halted the conversation.
pub const PAUSE_NOTICE: &str =
    "Conversation paused: a member of our team is reviewing this conversation. Your messages are saved and will be answered when it resumes.";
