//! Operators watching and steering conversations: the user list, a conversation,
//! halt / resume / inject. Memory is [`super::memory`]; the request log is
//! [`super::store::llm_requests`].

use super::chat::{find_end_user, parse_message, store_message};
use super::db::Db;
use super::ids::{SessionId, WorkspaceId};
use super::store::{audit, end_users, messages, sessions as session_store, user_state as state_store};
use super::{now_ms, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{Conversation, EndUserSummary, LiveEvent, Message, Sender, UserState, LAST_MESSAGE_PREVIEW_CHARS};

use super::memory::memory;
use super::store::llm_requests::LlmRequestRow;

/// Most users listed at once (most recently active first).
pub const USER_LIST_LIMIT: i64 = 500;
/// Most messages a conversation view loads (the newest).
pub const CONVERSATION_LIMIT: i64 = 500;
/// Longest halt reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// End users of the workspace with message counts, last activity, status and a preview
/// of their newest message (at most [`LAST_MESSAGE_PREVIEW_CHARS`] characters, `…` when cut).
pub async fn list_users(db: &Db, ws: WorkspaceId) -> AppResult<Vec<EndUserSummary>> {
    let mut users = end_users::summaries(db, ws, USER_LIST_LIMIT).await?;
    for u in &mut users {
        u.last_message = u.last_message.as_deref().map(preview);
    }
    Ok(users)
}

/// The first [`LAST_MESSAGE_PREVIEW_CHARS`] characters of `text` on one line, `…` when cut.
pub fn preview(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= LAST_MESSAGE_PREVIEW_CHARS {
        return flat;
    }
    let mut cut: String = flat.chars().take(LAST_MESSAGE_PREVIEW_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// A user's whole conversation (all personas, newest 500 messages), state and memory.
/// Errors: `NotFound` if the user is not in this workspace.
pub async fn conversation(db: &Db, ws: WorkspaceId, user_id: &str) -> AppResult<Conversation> {
    let eu = find_end_user(db, ws, user_id).await?;
    Ok(Conversation {
        user_id: user_id.to_string(),
        state: state_store::get(db, ws, eu).await?,
        messages: messages::newest_of_user(db, ws, eu, CONVERSATION_LIMIT).await?,
        memory: memory(db, ws, eu).await?,
        sessions: session_store::summaries(db, ws, eu).await?,
    })
}

async fn set_halted(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    by: &str,
    reason: Option<&str>,
) -> AppResult<UserState> {
    let eu = find_end_user(&state.db, ws, user_id).await?;
    state_store::set(&state.db, ws, eu, reason.map(|r| (r, by, now_ms()))).await?;
    let action = if reason.is_some() { "halt" } else { "resume" };
    audit::record(&state.db, ws, by, action, user_id, reason.unwrap_or_default()).await?;
    let st = state_store::get(&state.db, ws, eu).await?;
    state.events.publish(ws, LiveEvent::State { user_id: user_id.to_string(), state: st.clone() });
    Ok(st)
}

/// Halts a user's conversation: their messages are stored, answered with the pause
/// notice, and no LLM is called until [`resume`]. Errors: `Invalid` (reason missing or
/// longer than 500 characters), `NotFound` (user).
pub async fn halt(state: &AppState, ws: WorkspaceId, user_id: &str, by: &str, reason: &str) -> AppResult<UserState> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid("reason", "say why the conversation is halted"));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::invalid("reason", format!("a reason is at most {MAX_REASON_CHARS} characters")));
    }
    set_halted(state, ws, user_id, by, Some(reason)).await
}

/// Resumes a halted conversation (without answering what was sent meanwhile: that is
/// `turn::resume`). Errors: `NotFound` (user).
pub async fn resume(state: &AppState, ws: WorkspaceId, user_id: &str, by: &str) -> AppResult<UserState> {
    set_halted(state, ws, user_id, by, None).await
}

/// Stores an operator's message in one of the user's chat sessions (`session_id`; None =
/// the most recently created one); the user and every operator watching see it at once.
/// Errors: `Invalid` (message), `NotFound` (user, the session is not theirs, or the user
/// has no chat yet).
pub async fn inject(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    by: &str,
    text: &str,
    session: Option<SessionId>,
) -> AppResult<Message> {
    let text = parse_message(text)?;
    let eu = find_end_user(&state.db, ws, user_id).await?;
    let at = session_store::of_user_or_latest(&state.db, ws, eu, session)
        .await?
        .ok_or_else(|| AppError::not_found("chat session"))?;
    audit::record(&state.db, ws, by, "inject", user_id, &text).await?;
    store_message(state, &at, Sender::Operator, &text).await
}

/// The newest `limit` (≤ 500) LLM requests of the workspace.
pub async fn llm_requests(db: &Db, ws: WorkspaceId, limit: i64) -> AppResult<Vec<LlmRequestRow>> {
    super::store::llm_requests::newest(db, ws, limit).await
}
