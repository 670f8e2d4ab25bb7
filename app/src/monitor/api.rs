//! Server functions for the monitor: users and the live wall, a conversation, halt /
//! resume / inject, memory. Notes, drafts, assignments and clearing: [`super::interventions_api`].

#[cfg(feature = "ssr")]
use crate::engine::ids::SessionId;
use crate::error::AppResult;
use crate::types::{Conversation, EndUserSummary, MemoryEntry, Message, UserState, WallPage};
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

/// One page of the live wall (see `engine::monitor::wall`): `status` halted / flagged /
/// waiting, a persona, a label, a search text; 50 rows from `offset`. Errors: `Invalid`.
#[server(endpoint = "monitor/load_wall", input = server_fn::codec::GetUrl)]
pub async fn load_wall(
    status: Option<String>,
    persona_id: Option<i64>,
    label: Option<String>,
    q: Option<String>,
    offset: Option<i64>,
) -> AppResult<WallPage> {
    use crate::ctx;
    use crate::engine::monitor;
    use crate::types::WallQuery;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let query = WallQuery { status, persona_id, label, q, limit: Some(WALL_PAGE_SIZE), offset };
        monitor::wall(&state.db, op.workspace(), &op.email, &query).await
    })
    .await
}

/// Rows per page of the live wall.
pub const WALL_PAGE_SIZE: i64 = 50;

/// One user's conversation, state and memory, as the calling operator opens it (counts
/// as seen for the wall's unread count). Errors: `NotFound`.
#[server(endpoint = "monitor/get_conversation", input = server_fn::codec::GetUrl)]
pub async fn get_conversation(user_id: String) -> AppResult<Conversation> {
    use crate::ctx;
    use crate::engine::monitor;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        monitor::open_conversation(&state.db, op.workspace(), &op.email, &user_id).await
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
        memory::set_memory(&state.db, op.workspace(), &user_id, &key, &value, memory::SetBy::operator(&op.email)).await
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
        memory::delete_memory(&state.db, op.workspace(), &user_id, &key, &op.email).await
    })
    .await
}
