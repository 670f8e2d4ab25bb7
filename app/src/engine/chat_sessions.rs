//! Several chats per end user and persona (issue 9): list, create, rename, archive,
//! delete, and open one chat by id. Each chat (a `chat_sessions` row) has its own history:
//! the pipeline ([`super::turn`]) reads only the chat a message belongs to.
//!
//! Every function is scoped to a workspace and an [`Owner`]: a chat id of another user or
//! another workspace is `NotFound`, never their data. SQL in [`super::store::sessions`].

use super::chat::{self, PersonaChoice};
use super::ids::{EndUserId, PersonaId, SessionId, WorkspaceId};
use super::store::{end_users, messages, sessions, user_state};
use super::{now_ms, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{ChatHistory, ChatPersona, ChatSummary, Message, MAX_CHAT_TITLE_CHARS, UNAVAILABLE_NOTICE};

pub use super::store::sessions::Archived;

/// Whose chats a call may touch.
#[derive(Clone, Copy, Debug)]
pub enum Owner<'a> {
    /// One end user's, by the id the chat or the API names them with.
    User(&'a str),
    /// Any end user's of the workspace: an operator, who may act for all of them.
    Workspace,
}

/// A chat title: trimmed, 1–[`MAX_CHAT_TITLE_CHARS`] characters, no control characters.
/// Errors: `Invalid` (field `title`).
pub fn parse_title(raw: &str) -> AppResult<String> {
    let title = raw.trim();
    let chars = title.chars().count();
    if chars == 0 || chars > MAX_CHAT_TITLE_CHARS {
        return Err(AppError::invalid("title", format!("a chat title is 1 to {MAX_CHAT_TITLE_CHARS} characters")));
    }
    if title.chars().any(char::is_control) {
        return Err(AppError::invalid("title", "a chat title is one line of text"));
    }
    Ok(title.to_string())
}

fn not_found() -> AppError {
    AppError::not_found("chat session")
}

/// The end user an [`Owner`] names (None for [`Owner::Workspace`]). Errors: `NotFound`
/// (chat session) when the user never chatted here — so they own no chat.
async fn owner_id(state: &AppState, ws: WorkspaceId, owner: Owner<'_>) -> AppResult<Option<EndUserId>> {
    match owner {
        Owner::Workspace => Ok(None),
        Owner::User(user_id) => {
            let user_id = chat::parse_user_id(user_id)?;
            end_users::find(&state.db, ws, &user_id).await?.map(Some).ok_or_else(not_found)
        }
    }
}

/// The user's chats — with `persona`, or with every persona —, most recently active
/// first, filtered by `archived`. A user who never chatted has none. Errors: `Invalid` (user id).
pub async fn list(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    persona: Option<PersonaId>,
    archived: Archived,
) -> AppResult<Vec<ChatSummary>> {
    let user_id = chat::parse_user_id(user_id)?;
    match end_users::find(&state.db, ws, &user_id).await? {
        Some(eu) => sessions::list(&state.db, ws, eu, persona, archived).await,
        None => Ok(Vec::new()),
    }
}

/// Starts a new, empty chat of the user with a persona (default: the first the chat page
/// offers); it becomes their latest chat with it. Errors: `Invalid` (user id),
/// `NotFound` (persona unknown, deleted or a draft), `Conflict` (persona inactive).
pub async fn create(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    persona: &PersonaChoice,
) -> AppResult<ChatSummary> {
    let user_id = chat::parse_user_id(user_id)?;
    let (persona, active) = chat::chat_persona(&state.db, ws, persona).await?;
    if !active {
        return Err(AppError::Conflict { message: UNAVAILABLE_NOTICE.into() });
    }
    let eu = chat::ensure_end_user(&state.db, ws, &user_id).await?;
    let id = sessions::insert(&state.db.pool, ws, eu, PersonaId(persona.id)).await?;
    sessions::get(&state.db, ws, Some(eu), id).await?.ok_or_else(not_found)
}

/// One chat. Errors: `NotFound` (not the owner's, another workspace's, persona deleted).
pub async fn get(state: &AppState, ws: WorkspaceId, owner: Owner<'_>, id: SessionId) -> AppResult<ChatSummary> {
    let eu = owner_id(state, ws, owner).await?;
    sessions::get(&state.db, ws, eu, id).await?.ok_or_else(not_found)
}

/// Names a chat (`title` Some, see [`parse_title`]) or lets it be called by its first
/// message again (None). Errors: `Invalid` (title), `NotFound`.
pub async fn rename(
    state: &AppState,
    ws: WorkspaceId,
    owner: Owner<'_>,
    id: SessionId,
    title: Option<&str>,
) -> AppResult<ChatSummary> {
    let title = title.map(parse_title).transpose()?;
    let chat = get(state, ws, owner, id).await?;
    sessions::set_title(&state.db, ws, id, title.as_deref()).await?;
    reread(state, ws, chat).await
}

/// Archives a chat: it leaves the default list, keeps its messages, and `POST /chat`
/// without a session no longer writes into it. Idempotent. Errors: `NotFound`.
pub async fn archive(state: &AppState, ws: WorkspaceId, owner: Owner<'_>, id: SessionId) -> AppResult<ChatSummary> {
    let chat = get(state, ws, owner, id).await?;
    sessions::set_archived(&state.db, ws, id, Some(now_ms())).await?;
    reread(state, ws, chat).await
}

/// Takes a chat out of the archive. Idempotent. Errors: `NotFound`.
pub async fn unarchive(state: &AppState, ws: WorkspaceId, owner: Owner<'_>, id: SessionId) -> AppResult<ChatSummary> {
    let chat = get(state, ws, owner, id).await?;
    sessions::set_archived(&state.db, ws, id, None).await?;
    reread(state, ws, chat).await
}

/// A chat read again after a change (it was found just before).
async fn reread(state: &AppState, ws: WorkspaceId, chat: ChatSummary) -> AppResult<ChatSummary> {
    sessions::get(&state.db, ws, None, SessionId(chat.id)).await?.ok_or_else(not_found)
}

/// Deletes a chat for good: its messages and the versions of its regenerated replies;
/// its `llm_requests` rows stay in the request log without the session. Returns how many
/// messages were deleted. Errors: `NotFound`.
pub async fn delete(state: &AppState, ws: WorkspaceId, owner: Owner<'_>, id: SessionId) -> AppResult<i64> {
    get(state, ws, owner, id).await?;
    sessions::delete(&state.db, ws, id).await
}

/// The messages of one chat, oldest first. Errors: `NotFound`.
pub async fn messages(state: &AppState, ws: WorkspaceId, owner: Owner<'_>, id: SessionId) -> AppResult<Vec<Message>> {
    get(state, ws, owner, id).await?;
    messages::of_session(&state.db, ws, id).await
}

/// One chat as the chat page opens it: its persona (read-only when no longer offered),
/// its messages, whether the user is paused. Errors: `NotFound`.
pub async fn open(state: &AppState, ws: WorkspaceId, user_id: &str, id: SessionId) -> AppResult<ChatHistory> {
    let chat = get(state, ws, Owner::User(user_id), id).await?;
    let eu = owner_id(state, ws, Owner::User(user_id)).await?.ok_or_else(not_found)?;
    let (persona, available) =
        match chat::chat_persona(&state.db, ws, &PersonaChoice::Id(PersonaId(chat.persona_id))).await {
            Ok(found) => found,
            // Unpublished since: the chat stays readable.
            Err(AppError::NotFound { .. }) => (ChatPersona { id: chat.persona_id, name: chat.persona_name }, false),
            Err(e) => return Err(e),
        };
    let messages = messages::of_session(&state.db, ws, id).await?;
    let paused = user_state::is_halted(&state.db, ws, eu).await?;
    Ok(ChatHistory { session_id: Some(chat.id), persona, messages, paused, available })
}

/// A page of the user's history (the original's `GET /chat/history`): the messages of
/// all their chats, or of chat `session`, oldest first, and how many there are in all.
/// A user who never chatted has none. Errors: `Invalid` (user id), `NotFound` (`session`
/// not theirs).
pub async fn history(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    session: Option<SessionId>,
    limit: Option<i64>,
    offset: i64,
) -> AppResult<(Vec<Message>, i64)> {
    let user_id = chat::parse_user_id(user_id)?;
    let Some(eu) = end_users::find(&state.db, ws, &user_id).await? else {
        return match session {
            Some(_) => Err(not_found()),
            None => Ok((Vec::new(), 0)),
        };
    };
    if let Some(id) = session {
        sessions::get(&state.db, ws, Some(eu), id).await?.ok_or_else(not_found)?;
    }
    let page = messages::of_user_page(&state.db, ws, eu, session, limit.unwrap_or(i64::MAX), offset).await?;
    let total = messages::count_of_user(&state.db, ws, eu, session).await?;
    Ok((page, total))
}

/// Deletes every chat of the user with their messages (the original's
/// `DELETE /chat/history/{user_id}`); memory and state stay. Returns how many messages
/// were deleted (0 for a user who never chatted). Errors: `Invalid` (user id).
pub async fn clear_history(state: &AppState, ws: WorkspaceId, user_id: &str) -> AppResult<i64> {
    let user_id = chat::parse_user_id(user_id)?;
    match end_users::find(&state.db, ws, &user_id).await? {
        Some(eu) => sessions::delete_of_user(&state.db, ws, eu).await,
        None => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_line_of_1_to_100_characters() {
        assert_eq!(parse_title("  Trip plans ").unwrap(), "Trip plans");
        assert!(parse_title("   ").is_err());
        assert!(parse_title("a\nb").is_err());
        assert!(parse_title(&"x".repeat(MAX_CHAT_TITLE_CHARS + 1)).is_err());
        assert_eq!(parse_title(&"é".repeat(MAX_CHAT_TITLE_CHARS)).unwrap().chars().count(), MAX_CHAT_TITLE_CHARS);
    }
}
