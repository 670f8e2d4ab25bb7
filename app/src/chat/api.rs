//! Server functions for the end-user chat: open the page, load a conversation, send,
//! stop, regenerate, choose a reply's version. Each acts for the chat page's end user
//! ([`crate::ctx::chat_user`]); the chat list's functions are in [`super::chats_api`].

#[cfg(feature = "ssr")]
use crate::engine::ids::{MessageId, PersonaId, SessionId};
use crate::error::AppResult;
use crate::types::{ChatHistory, ChatPersona, ChatSummary, Message, TurnOutcome};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the chat page opens with, in one call: the personas on offer, the conversation
/// to show first and the user's other chats with its persona.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatStart {
    pub personas: Vec<ChatPersona>,
    /// The chat asked for, else the persona asked for, else the one the user last chatted
    /// with, else the first on offer. None when no persona is offered and none was asked for.
    pub history: Option<ChatHistory>,
    /// The user's chats with that persona (not archived), most recently active first.
    #[serde(default)]
    pub chats: Vec<ChatSummary>,
}

/// The chat page's data: the personas of `workspace`, the caller's chat `chat` (or their
/// latest with `persona_id`, default: the persona they last chatted with, else the first)
/// and their chats with its persona. Errors: `NotFound` (chat not theirs, persona).
#[server(endpoint = "chat/open_chat", input = server_fn::codec::GetUrl)]
pub async fn open_chat(workspace: Option<String>, persona_id: Option<i64>, chat: Option<i64>) -> AppResult<ChatStart> {
    use crate::engine::chat as chats;
    use crate::engine::chat_sessions::{self, Archived};
    use crate::error::AppError;
    crate::ctx::guard(async move {
        let (state, ws, user) = crate::ctx::chat_caller(workspace.as_deref()).await?;
        let personas = chats::personas(&state.db, ws).await?;
        let history = match chat {
            Some(id) => Some(chat_sessions::open(&state, ws, &user, SessionId(id)).await?),
            None => match chats::history(&state, ws, &user, persona_id.map(PersonaId)).await {
                Ok(h) => Some(h),
                Err(AppError::NotFound { .. }) if personas.is_empty() && persona_id.is_none() => None,
                Err(e) => return Err(e),
            },
        };
        let chats = match &history {
            Some(h) => chat_sessions::list(&state, ws, &user, Some(PersonaId(h.persona.id)), Archived::Without).await?,
            None => Vec::new(),
        };
        Ok(ChatStart { personas, history, chats })
    })
    .await
}

/// The caller's latest conversation with a persona (default: the one they last chatted
/// with, else the first). The chat page loads it when another persona is picked.
#[server(endpoint = "chat/load_chat", input = server_fn::codec::GetUrl)]
pub async fn load_chat(workspace: Option<String>, persona_id: Option<i64>) -> AppResult<ChatHistory> {
    use crate::engine::chat;
    crate::ctx::guard(async move {
        let (state, ws, user) = crate::ctx::chat_caller(workspace.as_deref()).await?;
        chat::history(&state, ws, &user, persona_id.map(PersonaId)).await
    })
    .await
}

/// Sends one message and returns the reply, the pause notice, or the failure; the reply's
/// pieces come live over `/chat/events` meanwhile. It goes to chat `session_id` (default:
/// the caller's latest with the persona, created on the first message). The turn runs on
/// a server-owned task: a closed tab does not stop it. Errors: `Invalid` (empty or too
/// long message), `NotFound` (persona, chat not theirs), `Conflict` (persona
/// deactivated, chat of another persona).
#[server(endpoint = "chat/send_message")]
pub async fn send_message(
    workspace: Option<String>,
    persona_id: i64,
    message: String,
    session_id: Option<i64>,
) -> AppResult<TurnOutcome> {
    use crate::engine::{chat, turn};
    crate::ctx::guard(async move {
        let (state, ws, user) = crate::ctx::chat_caller(workspace.as_deref()).await?;
        let req = turn::TurnRequest {
            workspace_id: ws,
            user_id: user,
            persona: chat::PersonaChoice::Id(PersonaId(persona_id)),
            session_id: session_id.map(SessionId),
            text: message,
            guardrail: None,
            pin: turn::VersionPin::Unchanged,
        };
        turn::submit(&state, req).await
    })
    .await
}

/// Stops the reply being generated in the caller's chat `session_id`: the text so far is
/// kept, marked incomplete. Returns whether a reply was being generated. Errors: `NotFound`.
#[server(endpoint = "chat/stop_reply")]
pub async fn stop_reply(workspace: Option<String>, session_id: i64) -> AppResult<bool> {
    use crate::engine::turn;
    crate::ctx::guard(async move {
        let (state, ws, user) = crate::ctx::chat_caller(workspace.as_deref()).await?;
        turn::stop(&state, ws, &user, SessionId(session_id)).await
    })
    .await
}

/// Answers the last user message of the caller's chat `session_id` again (streamed like a
/// reply); the earlier reply stays as another version. Errors: `NotFound`, `Conflict`
/// (nothing to regenerate yet, conversation paused).
#[server(endpoint = "chat/regenerate_reply")]
pub async fn regenerate_reply(workspace: Option<String>, session_id: i64) -> AppResult<TurnOutcome> {
    use crate::engine::turn;
    crate::ctx::guard(async move {
        let (state, ws, user) = crate::ctx::chat_caller(workspace.as_deref()).await?;
        turn::regenerate(&state, ws, &user, SessionId(session_id)).await
    })
    .await
}

/// Shows version `alternate` (1-based) of the caller's regenerated reply `message_id`;
/// later turns see that one. Returns the message. Errors: `NotFound`, `Invalid` (field
/// `alternate`).
#[server(endpoint = "chat/choose_alternate")]
pub async fn choose_alternate(workspace: Option<String>, message_id: i64, alternate: i64) -> AppResult<Message> {
    use crate::engine::turn;
    crate::ctx::guard(async move {
        let (state, ws, user) = crate::ctx::chat_caller(workspace.as_deref()).await?;
        turn::choose_alternate(&state, ws, &user, MessageId(message_id), alternate).await
    })
    .await
}
