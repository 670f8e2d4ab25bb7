//! The chat's side of the engine: what an end user may send, which personas they can
//! talk to, their chat sessions and stored messages (published live as they are stored),
//! and the chat as the user sees it. The turn itself (order, queueing, the LLM) is in
//! [`super::turn`]; SQL in [`super::store`].

use super::db::Db;
use super::ids::{EndUserId, MessageId, PersonaId, SessionId, WorkspaceId};
use super::store::{accounts, assignments, end_users, messages, personas as persona_store, sessions, user_state};
use super::{now_ms, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{ChatHistory, ChatPersona, LiveEvent, Message, Sender};

pub use super::store::messages::{MessageMeta, SessionRef};

/// Longest message an end user may send, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Longest end-user id, in characters.
pub const MAX_USER_ID_CHARS: usize = 128;

/// An end user's id as the chat UI or an API client names it: 1–128 characters, no
/// control characters. Errors: `Invalid` (field `user_id`).
pub fn parse_user_id(id: &str) -> AppResult<String> {
    let id = id.trim();
    if id.is_empty() || id.chars().count() > MAX_USER_ID_CHARS || id.chars().any(char::is_control) {
        return Err(AppError::invalid("user_id", format!("a user id is 1 to {MAX_USER_ID_CHARS} characters")));
    }
    Ok(id.to_string())
}

/// A chat message's text: not blank, at most [`MAX_MESSAGE_CHARS`]. Errors: `Invalid` (field `message`).
pub fn parse_message(text: &str) -> AppResult<String> {
    if text.trim().is_empty() {
        return Err(AppError::invalid("message", "write a message first"));
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid("message", format!("a message is at most {MAX_MESSAGE_CHARS} characters")));
    }
    Ok(text.trim_end().to_string())
}

/// The workspace `/chat` serves: the one with `slug`, else the configured one, else the
/// first created. Errors: `NotFound` if there is none.
pub async fn chat_workspace(state: &AppState, slug: Option<&str>) -> AppResult<WorkspaceId> {
    let id = match slug.or(state.config.chat_workspace.as_deref()) {
        Some(s) => accounts::workspace_by_slug(&state.db, s).await?,
        None => accounts::first_workspace(&state.db).await?,
    };
    id.ok_or_else(|| AppError::not_found("workspace"))
}

/// Personas end users can pick: published, active, not deleted, oldest first (the seeded
/// default comes first). Drafts (no `production` label) are not offered.
pub async fn personas(db: &Db, ws: WorkspaceId) -> AppResult<Vec<ChatPersona>> {
    persona_store::offered(db, ws).await
}

/// How a turn or a chat view names its persona.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PersonaChoice {
    /// By id (the chat page, `persona_id`).
    Id(PersonaId),
    /// By name (the original API's `template_name`).
    Name(String),
    /// The first persona the chat page offers.
    First,
}

/// The persona a chat names and whether it is active. Drafts (no `production` label) are
/// not chattable and answer `NotFound` like unknown or deleted ones.
pub async fn chat_persona(db: &Db, ws: WorkspaceId, choice: &PersonaChoice) -> AppResult<(ChatPersona, bool)> {
    use persona_store::ChatLookup;
    let lookup = match choice {
        PersonaChoice::Id(id) => ChatLookup::Id(*id),
        PersonaChoice::Name(name) => ChatLookup::Name(name),
        PersonaChoice::First => ChatLookup::First,
    };
    persona_store::chattable(db, ws, lookup).await?.ok_or_else(|| AppError::not_found("persona"))
}

/// The end user's row id, created on first contact.
pub async fn ensure_end_user(db: &Db, ws: WorkspaceId, user_id: &str) -> AppResult<EndUserId> {
    end_users::ensure(db, ws, user_id).await
}

/// The end user's row id. Errors: `NotFound` if they never chatted in this workspace.
pub async fn find_end_user(db: &Db, ws: WorkspaceId, user_id: &str) -> AppResult<EndUserId> {
    let id = end_users::find(db, ws, user_id).await?;
    id.ok_or_else(|| AppError::not_found("user"))
}

/// Stores a message in the session and publishes it to everyone watching.
pub async fn store_message(state: &AppState, at: &SessionRef, sender: Sender, content: &str) -> AppResult<Message> {
    store_message_with(state, at, sender, content, MessageMeta::default()).await
}

/// [`store_message`] with the turn bookkeeping.
pub async fn store_message_with(
    state: &AppState,
    at: &SessionRef,
    sender: Sender,
    content: &str,
    meta: MessageMeta,
) -> AppResult<Message> {
    let message = messages::insert(&state.db, at, sender, content, meta, now_ms()).await?;
    sessions::touch(&state.db, at.workspace_id, at.session_id, message.created_at).await?;
    state.events.publish(at.workspace_id, LiveEvent::Message { user_id: at.user_id.clone(), message: message.clone() });
    Ok(message)
}

/// One stored message of the workspace by id. Errors: `NotFound`.
pub async fn message(db: &Db, ws: WorkspaceId, id: MessageId) -> AppResult<Message> {
    messages::get(db, ws, id).await?.ok_or_else(|| AppError::not_found("message"))
}

/// Messages stored in a session so far (every sender).
pub async fn session_message_count(db: &Db, ws: WorkspaceId, session: SessionId) -> AppResult<i64> {
    messages::count_in_session(db, ws, session).await
}

/// Whether an operator has halted this user.
pub async fn is_halted(db: &Db, ws: WorkspaceId, end_user: EndUserId) -> AppResult<bool> {
    user_state::is_halted(db, ws, end_user).await
}

/// The chat as the user sees it when opening a persona: all messages of the session.
/// `persona_id` None opens the persona an operator assigned to the user, else the one the
/// user last wrote to (each if it is still offered), else the first one offered. A read:
/// a visitor who never writes leaves no user or session behind. Errors: `Invalid` (user
/// id), `NotFound` (persona unknown, deleted or a draft).
pub async fn history(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    persona_id: Option<PersonaId>,
) -> AppResult<ChatHistory> {
    let user_id = parse_user_id(user_id)?;
    let end_user = end_users::find(&state.db, ws, &user_id).await?;
    // An operator's assignment (a test, a rescue) goes before the user's own habit, as
    // long as the assigned persona is still offered.
    let assigned = match (persona_id, end_user) {
        (None, Some(eu)) => assignments::get(&state.db, ws, eu).await?.and_then(|a| a.persona_id).map(PersonaId),
        _ => None,
    };
    let offered = match assigned {
        Some(id) => match chat_persona(&state.db, ws, &PersonaChoice::Id(id)).await {
            Err(AppError::NotFound { .. }) => None,
            found => Some(found?),
        },
        None => None,
    };
    let (persona, available) = match offered {
        Some(found) => found,
        None => {
            let choice = match (persona_id, end_user) {
                (Some(id), _) => PersonaChoice::Id(id),
                (None, Some(eu)) => persona_store::last_chatted(&state.db, ws, eu)
                    .await?
                    .map_or(PersonaChoice::First, PersonaChoice::Id),
                (None, None) => PersonaChoice::First,
            };
            chat_persona(&state.db, ws, &choice).await?
        }
    };
    let Some(end_user) = end_user else {
        return Ok(ChatHistory { session_id: None, persona, messages: Vec::new(), paused: false, available });
    };
    let session = sessions::latest(&state.db.pool, ws, end_user, PersonaId(persona.id)).await?;
    let messages = match session {
        Some(sid) => messages::of_session(&state.db, ws, sid).await?,
        None => Vec::new(),
    };
    let paused = user_state::is_halted(&state.db, ws, end_user).await?;
    Ok(ChatHistory { session_id: session.map(SessionId::get), persona, messages, paused, available })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_and_messages_are_validated() {
        assert_eq!(parse_user_id("  alice ").unwrap(), "alice");
        assert!(parse_user_id("").is_err());
        assert!(parse_user_id(&"x".repeat(MAX_USER_ID_CHARS + 1)).is_err());
        assert!(parse_message("   ").is_err());
        assert!(parse_message(&"x".repeat(MAX_MESSAGE_CHARS + 1)).is_err());
        assert_eq!(parse_message("hi\n").unwrap(), "hi");
    }
}
