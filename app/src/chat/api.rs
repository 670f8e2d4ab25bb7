//! Server functions for the end-user chat. The user is identified by the `pd_uid`
//! cookie that the server sets on first visit.

#[cfg(feature = "ssr")]
use crate::engine::ids::PersonaId;
use crate::error::AppResult;
use crate::types::{ChatHistory, ChatPersona, TurnOutcome};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the chat page opens with, in one call: the personas on offer and the
/// conversation to show first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatStart {
    pub personas: Vec<ChatPersona>,
    /// The persona asked for, else the one the user last chatted with, else the first on
    /// offer. None when no persona is offered and none was asked for.
    pub history: Option<ChatHistory>,
}

/// The chat page's data: the personas of `workspace` and the caller's conversation with
/// `persona_id` (default: the persona they last chatted with, else the first).
#[server(endpoint = "chat/open_chat", input = server_fn::codec::GetUrl)]
pub async fn open_chat(workspace: Option<String>, persona_id: Option<i64>) -> AppResult<ChatStart> {
    use crate::ctx;
    use crate::engine::{chat, identity};
    use crate::error::AppError;
    ctx::guard(async move {
        let state = ctx::state()?;
        let user = identity::cookie_user_id(&ctx::headers().await?)?;
        let ws = chat::chat_workspace(&state, workspace.as_deref()).await?;
        let personas = chat::personas(&state.db, ws).await?;
        let history = match chat::history(&state, ws, &user, persona_id.map(PersonaId)).await {
            Ok(h) => Some(h),
            Err(AppError::NotFound { .. }) if personas.is_empty() && persona_id.is_none() => None,
            Err(e) => return Err(e),
        };
        Ok(ChatStart { personas, history })
    })
    .await
}

/// The caller's conversation with a persona (default: the one they last chatted with,
/// else the first). The chat page reloads it after live events and persona switches.
#[server(endpoint = "chat/load_chat", input = server_fn::codec::GetUrl)]
pub async fn load_chat(workspace: Option<String>, persona_id: Option<i64>) -> AppResult<ChatHistory> {
    use crate::ctx;
    use crate::engine::{chat, identity};
    ctx::guard(async move {
        let state = ctx::state()?;
        let user = identity::cookie_user_id(&ctx::headers().await?)?;
        let ws = chat::chat_workspace(&state, workspace.as_deref()).await?;
        chat::history(&state, ws, &user, persona_id.map(PersonaId)).await
    })
    .await
}

/// Sends one message and returns the reply, the pause notice, or the failure. The turn
/// runs on a server-owned task: a closed tab does not stop it. The user is the cookie's.
/// Errors: `Invalid` (empty or too long message), `NotFound` (persona), `Conflict`
/// (persona deactivated).
#[server(endpoint = "chat/send_message")]
pub async fn send_message(workspace: Option<String>, persona_id: i64, message: String) -> AppResult<TurnOutcome> {
    use crate::ctx;
    use crate::engine::{chat, identity, turn};
    ctx::guard(async move {
        let state = ctx::state()?;
        let user = identity::cookie_user_id(&ctx::headers().await?)?;
        let ws = chat::chat_workspace(&state, workspace.as_deref()).await?;
        let req = turn::TurnRequest {
            workspace_id: ws,
            user_id: user,
            persona: chat::PersonaChoice::Id(PersonaId(persona_id)),
            session_id: None,
            text: message,
        };
        turn::submit(&state, req).await
    })
    .await
}
