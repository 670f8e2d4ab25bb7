//! Server functions for the monitor: users, a conversation, halt / resume / inject, memory.

#[cfg(feature = "ssr")]
use crate::engine::ids::SessionId;
use crate::error::AppResult;
use crate::types::{Conversation, EndUserSummary, MemoryEntry, Message, UserState};
use leptos::prelude::*;

/// End users of the workspace, most recently active first.
#[server(endpoint = "monitor/list_users", input = server_fn::codec::GetUrl)]
pub async fn list_users() -> AppResult<Vec<EndUserSummary>> {
    use crate::ctx;
    use crate::engine::monitor;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        monitor::list_users(&state.db, op.workspace()).await
    })
    .await
}

/// One user's conversation, state and memory. Errors: `NotFound`.
#[server(endpoint = "monitor/get_conversation", input = server_fn::codec::GetUrl)]
pub async fn get_conversation(user_id: String) -> AppResult<Conversation> {
    use crate::ctx;
    use crate::engine::monitor;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        monitor::conversation(&state.db, op.workspace(), &user_id).await
    })
    .await
}

/// Halts the user's conversation. Errors: `Invalid` (reason), `NotFound`.
#[server(endpoint = "monitor/halt_user")]
pub async fn halt_user(user_id: String, reason: String) -> AppResult<UserState> {
    use crate::ctx;
    use crate::engine::monitor;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        monitor::halt(&state, op.workspace(), &user_id, &op.email, &reason).await
    })
    .await
}

/// Resumes the user's conversation. Errors: `NotFound`.
#[server(endpoint = "monitor/resume_user")]
pub async fn resume_user(user_id: String) -> AppResult<UserState> {
    use crate::ctx;
    use crate::engine::turn;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        turn::resume(&state, op.workspace(), &user_id, &op.email).await
    })
    .await
}

/// Sends a message to the user as the operator, in chat session `session_id` (default:
/// the user's most recent one). Errors: `Invalid`, `NotFound` (user, or not their session).
#[server(endpoint = "monitor/inject_message")]
pub async fn inject_message(user_id: String, message: String, session_id: Option<i64>) -> AppResult<Message> {
    use crate::ctx;
    use crate::engine::monitor;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        monitor::inject(&state, op.workspace(), &user_id, &op.email, &message, session_id.map(SessionId)).await
    })
    .await
}

/// Sets a memory entry. `value` is parsed as JSON when it is valid JSON, else kept as text.
#[server(endpoint = "monitor/set_memory")]
pub async fn set_memory(user_id: String, key: String, value: String) -> AppResult<MemoryEntry> {
    use crate::ctx;
    use crate::engine::memory;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let value = serde_json::from_str(&value).unwrap_or(serde_json::Value::String(value));
        memory::set_memory(&state.db, op.workspace(), &user_id, &key, &value).await
    })
    .await
}

/// Deletes a memory entry. Errors: `NotFound`.
#[server(endpoint = "monitor/delete_memory")]
pub async fn delete_memory(user_id: String, key: String) -> AppResult<()> {
    use crate::ctx;
    use crate::engine::memory;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        memory::delete_memory(&state.db, op.workspace(), &user_id, &key).await
    })
    .await
}
