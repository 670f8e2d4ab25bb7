//! Live events pushed to operators and end users over Server-Sent Events.

use super::{Message, UserState};
use serde::{Deserialize, Serialize};

/// What the server pushes over Server-Sent Events (`/admin/events`, `/chat/events`),
/// as JSON with a `type` tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A message was stored in a user's conversation.
    Message { user_id: String, message: Message },
    /// A piece of an assistant reply being generated (streamed before the reply is
    /// stored). `reply_to` is the user message it answers; the pieces of one reply arrive
    /// in order and concatenate to the text so far. A `Message` event with the stored reply
    /// follows (also after Stop).
    Delta { user_id: String, session_id: i64, reply_to: i64, text: String },
    /// A turn waits for the model: `ahead` turns (of any chat) will be served first.
    Waiting { user_id: String, session_id: i64, reply_to: i64, ahead: u32 },
    /// A user's conversation was halted or resumed.
    State { user_id: String, state: UserState },
    /// A guardrail halted or flagged a conversation: every open dashboard tab shows it.
    Alert { alert: Alert },
    /// A persona was activated, deactivated or deleted: open chats on it reload. Sent to
    /// every end user of the workspace.
    Persona { persona_id: i64, available: bool },
    /// A user's memory or its approval queue changed outside an operator's own form: a
    /// background job extracted facts, or another operator approved or rejected one. The
    /// Memory page, the monitor and the wall reload. Operators only.
    Memory { user_id: String },
}

impl LiveEvent {
    /// Whether only operators get this event (never an end user's `/chat/events`, even
    /// when it is about them): alerts and memory changes.
    pub fn operators_only(&self) -> bool {
        matches!(self, LiveEvent::Alert { .. } | LiveEvent::Memory { .. })
    }

    /// The end user the event is about; None for events about the whole workspace.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            LiveEvent::Message { user_id, .. }
            | LiveEvent::Delta { user_id, .. }
            | LiveEvent::Waiting { user_id, .. }
            | LiveEvent::State { user_id, .. }
            | LiveEvent::Memory { user_id } => Some(user_id),
            LiveEvent::Alert { alert } => Some(&alert.user_id),
            LiveEvent::Persona { .. } => None,
        }
    }
}

/// A guardrail hit operators must see: which rule did what to which message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Alert {
    pub user_id: String,
    pub session_id: i64,
    /// The message the rule matched (the user's, or the reply it replaced).
    pub message_id: i64,
    /// `halt` or `flag`.
    pub action: String,
    /// The guardrail set's name.
    pub guardrail: String,
    /// The rule's name or kind.
    pub rule: String,
    /// A short excerpt of the matched text (at most 120 characters).
    pub excerpt: String,
    /// When (ms since the Unix epoch).
    pub at: i64,
}
