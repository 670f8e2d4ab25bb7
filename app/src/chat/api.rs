//! Server functions for the end-user chat. The user is identified by the `pd_uid`
//! cookie that the server sets on first visit.

use crate::error::AppResult;
use crate::types::{ChatHistory, ChatPersona, TurnOutcome};
use leptos::prelude::*;

/// Personas offered in the chat of `workspace` (a slug; default: the server's chat workspace).
#[server(endpoint = "chat/chat_personas", input = server_fn::codec::GetUrl)]
pub async fn chat_personas(workspace: Option<String>) -> AppResult<Vec<ChatPersona>> {
    use crate::engine::{chat, web};
    web::guard(async move {
        let state = web::state()?;
        let ws = chat::chat_workspace(&state, workspace.as_deref()).await?;
        chat::personas(&state.db, ws).await
    })
    .await
}

/// The caller's conversation with a persona (default: the first persona).
#[server(endpoint = "chat/load_chat", input = server_fn::codec::GetUrl)]
pub async fn load_chat(workspace: Option<String>, persona_id: Option<i64>) -> AppResult<ChatHistory> {
    use crate::engine::{chat, web};
    web::guard(async move {
        let state = web::state()?;
        let user = chat::cookie_user_id(&web::headers().await?)?;
        let ws = chat::chat_workspace(&state, workspace.as_deref()).await?;
        chat::history(&state, ws, &user, persona_id).await
    })
    .await
}

/// Sends one message and returns the reply, the pause notice, or the failure.
/// Errors: `Invalid` (empty or too long message), `NotFound` (persona).
#[server(endpoint = "chat/send_message")]
pub async fn send_message(workspace: Option<String>, persona_id: i64, message: String) -> AppResult<TurnOutcome> {
    use crate::engine::{chat, web};
    web::guard(async move {
        let state = web::state()?;
        let user = chat::cookie_user_id(&web::headers().await?)?;
        let ws = chat::chat_workspace(&state, workspace.as_deref()).await?;
        chat::run_turn(&state, ws, &user, Some(persona_id), &message).await
    })
    .await
}
