//! Server functions for the chat page's list of chats (issue 9, "Several chats"): list,
//! start, rename, archive, unarchive, delete, and open one chat by id. Each acts for the
//! chat page's end user ([`crate::ctx::chat_user`]); a chat id that is not theirs is
//! `NotFound`.

#[cfg(feature = "ssr")]
use crate::engine::ids::{PersonaId, SessionId};
use crate::error::AppResult;
use crate::types::{ChatHistory, ChatSummary};
use leptos::prelude::*;

/// The caller's chats — with `persona_id`, or with every persona —, most recently active
/// first: the archived ones when `archived`, else the others.
#[server(endpoint = "chat/list_chats", input = server_fn::codec::GetUrl)]
pub async fn list_chats(
    workspace: Option<String>,
    persona_id: Option<i64>,
    archived: bool,
) -> AppResult<Vec<ChatSummary>> {
    use crate::engine::chat_sessions::{self, Archived};
    crate::ctx::guard(async move {
        let (state, ws, user) = crate::ctx::chat_caller(workspace.as_deref()).await?;
        let filter = if archived { Archived::Only } else { Archived::Without };
        chat_sessions::list(&state, ws, &user, persona_id.map(PersonaId), filter).await
    })
    .await
}

/// Starts a new, empty chat with `persona_id` (default: the first persona offered); it
/// becomes the caller's latest chat with that persona. Errors: `NotFound` (persona),
/// `Conflict` (persona deactivated).
#[server(endpoint = "chat/new_chat")]
pub async fn new_chat(workspace: Option<String>, persona_id: Option<i64>) -> AppResult<ChatSummary> {
    use crate::engine::chat::PersonaChoice;
    use crate::engine::chat_sessions;
    crate::ctx::guard(async move {
        let (state, ws, user) = crate::ctx::chat_caller(workspace.as_deref()).await?;
        let choice = persona_id.map_or(PersonaChoice::First, |id| PersonaChoice::Id(PersonaId(id)));
        chat_sessions::create(&state, ws, &user, &choice).await
    })
    .await
}

/// Renames one of the caller's chats (`title` 1–100 characters; None: called by its first
/// message again) and returns it. Errors: `Invalid` (field `title`), `NotFound`.
#[server(endpoint = "chat/rename_chat")]
pub async fn rename_chat(workspace: Option<String>, session_id: i64, title: Option<String>) -> AppResult<ChatSummary> {
    use crate::engine::chat_sessions::{self, Owner};
    crate::ctx::guard(async move {
        let (state, ws, user) = crate::ctx::chat_caller(workspace.as_deref()).await?;
        chat_sessions::rename(&state, ws, Owner::User(&user), SessionId(session_id), title.as_deref()).await
    })
    .await
}

/// Archives one of the caller's chats (it keeps its messages) and returns it. Errors: `NotFound`.
#[server(endpoint = "chat/archive_chat")]
pub async fn archive_chat(workspace: Option<String>, session_id: i64) -> AppResult<ChatSummary> {
    use crate::engine::chat_sessions::{self, Owner};
    crate::ctx::guard(async move {
        let (state, ws, user) = crate::ctx::chat_caller(workspace.as_deref()).await?;
        chat_sessions::archive(&state, ws, Owner::User(&user), SessionId(session_id)).await
    })
    .await
}

/// Takes one of the caller's chats out of the archive and returns it. Errors: `NotFound`.
#[server(endpoint = "chat/unarchive_chat")]
pub async fn unarchive_chat(workspace: Option<String>, session_id: i64) -> AppResult<ChatSummary> {
    use crate::engine::chat_sessions::{self, Owner};
    crate::ctx::guard(async move {
        let (state, ws, user) = crate::ctx::chat_caller(workspace.as_deref()).await?;
        chat_sessions::unarchive(&state, ws, Owner::User(&user), SessionId(session_id)).await
    })
    .await
}

/// Deletes one of the caller's chats with its messages, for good. Returns how many
/// messages were deleted. Errors: `NotFound`.
#[server(endpoint = "chat/delete_chat")]
pub async fn delete_chat(workspace: Option<String>, session_id: i64) -> AppResult<i64> {
    use crate::engine::chat_sessions::{self, Owner};
    crate::ctx::guard(async move {
        let (state, ws, user) = crate::ctx::chat_caller(workspace.as_deref()).await?;
        chat_sessions::delete(&state, ws, Owner::User(&user), SessionId(session_id)).await
    })
    .await
}

/// One of the caller's chats as the chat page shows it: its persona (`available` false
/// when it is no longer offered: read-only), all its messages, whether the caller is
/// paused. Errors: `NotFound`.
#[server(endpoint = "chat/open_chat_by_id", input = server_fn::codec::GetUrl)]
pub async fn open_chat_by_id(workspace: Option<String>, session_id: i64) -> AppResult<ChatHistory> {
    use crate::engine::chat_sessions;
    crate::ctx::guard(async move {
        let (state, ws, user) = crate::ctx::chat_caller(workspace.as_deref()).await?;
        chat_sessions::open(&state, ws, &user, SessionId(session_id)).await
    })
    .await
}
