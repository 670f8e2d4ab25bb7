//! Live events pushed to operators and end users over Server-Sent Events.

use super::{Message, UserState};
use serde::{Deserialize, Serialize};

/// What the server pushes over Server-Sent Events (`/admin/events`, `/chat/events`),
/// as JSON with a `type` tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A message was stored in a user's conversation.
    Message { user_id: String, message: Message },
    /// A user's conversation was halted or resumed.
    State { user_id: String, state: UserState },
    /// A persona was activated, deactivated or deleted: open chats on it reload. Sent to
    /// every end user of the workspace.
    Persona { persona_id: i64, available: bool },
}

impl LiveEvent {
    /// The end user the event is about; None for events about the whole workspace.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            LiveEvent::Message { user_id, .. } | LiveEvent::State { user_id, .. } => Some(user_id),
            LiveEvent::Persona { .. } => None,
        }
    }
}
