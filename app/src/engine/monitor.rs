//! Operators watching and steering conversations: the user list and the live wall, a
//! conversation, halt / resume / inject. Notes, drafts and assignments are
//! [`super::interventions`] and [`super::assignments`]; memory is [`super::memory`];
//! the request log is [`super::store::llm_requests`].

use super::chat::find_end_user;
use super::db::Db;
use super::ids::{SessionId, WorkspaceId};
use super::interventions::{self, Injected};
use super::store::{
    assignments as assignment_store, audit, end_users, messages, notes as note_store, sessions as session_store,
    user_state as state_store, wall,
};
use super::{now_ms, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{
    Conversation, EndUserSummary, HaltedUser, InjectKind, LiveEvent, Message, UserState, WallPage, WallQuery,
    LAST_MESSAGE_PREVIEW_CHARS, WALL_PAGE_MAX,
};

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

/// A user's whole conversation (all personas, newest 500 messages, with the operators
/// who wrote any of them), state, memory, hidden notes and assignment.
/// Errors: `NotFound` if the user is not in this workspace.
pub async fn conversation(db: &Db, ws: WorkspaceId, user_id: &str) -> AppResult<Conversation> {
    let eu = find_end_user(db, ws, user_id).await?;
    Ok(Conversation {
        user_id: user_id.to_string(),
        state: state_store::get(db, ws, eu).await?,
        messages: messages::newest_of_user(db, ws, eu, CONVERSATION_LIMIT).await?,
        memory: memory(db, ws, eu).await?,
        sessions: session_store::summaries(db, ws, eu).await?,
        notes: note_store::of_user(db, ws, eu).await?,
        assignment: assignment_store::get(db, ws, eu).await?,
        hits: super::store::guardrails::hits_of_user(db, ws, eu, CONVERSATION_LIMIT).await?,
    })
}

/// [`conversation`] as `operator` opens it: everything in it counts as seen by them (the
/// wall's unread count starts again from here). Errors: as [`conversation`].
pub async fn open_conversation(db: &Db, ws: WorkspaceId, operator: &str, user_id: &str) -> AppResult<Conversation> {
    let c = conversation(db, ws, user_id).await?;
    if let Some(newest) = c.messages.last() {
        let eu = find_end_user(db, ws, user_id).await?;
        note_store::mark_seen(db, ws, operator, eu, newest.id, now_ms()).await?;
    }
    Ok(c)
}

/// One page of the live wall for `operator`: every end user with status (halted,
/// flagged, waiting for approval), persona and version, last message (a preview),
/// unread count and latest sentiment; riskiest first (halted, flagged, then the lowest
/// sentiment, then the most recently active); filtered by status, persona, label and a
/// search in user ids and message text. `limit` 1–200 (default 50). Errors: `Invalid`
/// (limit, offset, status).
pub async fn wall(db: &Db, ws: WorkspaceId, operator: &str, q: &WallQuery) -> AppResult<WallPage> {
    let limit = q.limit.unwrap_or(50);
    let offset = q.offset.unwrap_or(0);
    if !(1..=WALL_PAGE_MAX).contains(&limit) {
        return Err(AppError::invalid("limit", format!("limit is 1 to {WALL_PAGE_MAX}")));
    }
    if offset < 0 {
        return Err(AppError::invalid("offset", "offset is at least 0"));
    }
    if let Some(s) = q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if !["halted", "flagged", "waiting", "active"].contains(&s) {
            return Err(AppError::invalid("status", "status is halted, flagged or waiting"));
        }
    }
    let (mut rows, total) = wall::page(db, ws, operator, q, limit, offset).await?;
    for r in &mut rows {
        r.last_message = r.last_message.as_deref().map(preview);
    }
    Ok(WallPage { rows, total, limit, offset })
}

/// The workspace's halted conversations, most recently halted first (the original's
/// `GET /admin/halted`).
pub async fn halted(db: &Db, ws: WorkspaceId) -> AppResult<Vec<HaltedUser>> {
    wall::halted(db, ws).await
}

async fn set_halted(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    by: &str,
    reason: Option<&str>,
) -> AppResult<UserState> {
    let eu = find_end_user(&state.db, ws, user_id).await?;
    let before = state_store::get(&state.db, ws, eu).await?;
    state_store::set(&state.db, ws, eu, reason.map(|r| (r, by, now_ms()))).await?;
    let action = if reason.is_some() { "halt" } else { "resume" };
    let st = state_store::get(&state.db, ws, eu).await?;
    let json = |s: &UserState| serde_json::json!({"halted": s.halted, "reason": s.reason});
    let detail = reason.unwrap_or_default();
    audit::insert(&state.db, ws, by, action, user_id, detail, Some(&json(&before)), Some(&json(&st))).await?;
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
    let halted = set_halted(state, ws, user_id, by, Some(reason)).await?;
    crate::engine::telemetry::halt(if by == crate::engine::guardrails::HALTED_BY { "guardrail" } else { "operator" });
    Ok(halted)
}

/// Resumes a halted conversation (without answering what was sent meanwhile: that is
/// `turn::resume`). Errors: `NotFound` (user).
pub async fn resume(state: &AppState, ws: WorkspaceId, user_id: &str, by: &str) -> AppResult<UserState> {
    set_halted(state, ws, user_id, by, None).await
}

/// Stores an operator's message in one of the user's chat sessions (`session_id`; None =
/// the most recently created one); the user and every operator watching see it at once.
/// (A hidden note instead: [`interventions::inject`].)
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
    match interventions::inject(state, ws, user_id, by, text, session, InjectKind::Message).await? {
        Injected::Message(m) => Ok(m),
        Injected::Note(_) => Err(super::internal("inject", "a message injection stored a note")),
    }
}

/// The newest `limit` (≤ 500) LLM requests of the workspace.
pub async fn llm_requests(db: &Db, ws: WorkspaceId, limit: i64) -> AppResult<Vec<LlmRequestRow>> {
    super::store::llm_requests::newest(db, ws, limit).await
}
