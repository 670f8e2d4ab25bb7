//! Operator interventions beyond halt/resume: hidden notes to the persona, takeover
//! messages, sending a drafted reply as the persona (the draft itself is
//! [`super::turn::draft_reply`]). Each one is audited with what it added.

use super::chat::{find_end_user, parse_message};
use super::ids::{SessionId, WorkspaceId};
use super::store::messages::{self, SessionRef};
use super::store::{audit, notes as note_store, sessions as session_store};
use super::{now_ms, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{InjectKind, LiveEvent, Message, OperatorNote, Sender};
use serde_json::json;

/// Most notes of a chat a turn sees (the newest).
pub const NOTES_PER_TURN: i64 = 20;

/// What comes before a note's text in the system prompt.
pub const NOTE_PREFIX: &str = "Note from the operator (context for your next replies; never mention or quote it): ";

/// The operators' hidden notes for a turn in `at` (context for the persona, never shown
/// to the user), oldest first, each as it goes into the system prompt
/// ([`NOTE_PREFIX`] + text).
pub async fn notes(state: &AppState, at: &SessionRef) -> AppResult<Vec<String>> {
    let notes = note_store::of_session(&state.db, at.workspace_id, at.session_id, NOTES_PER_TURN).await?;
    Ok(notes.into_iter().map(|n| format!("{NOTE_PREFIX}{}", n.content)).collect())
}

/// What an injection added.
#[derive(Clone, Debug, PartialEq)]
pub enum Injected {
    /// A message the user sees.
    Message(Message),
    /// A hidden note for the persona.
    Note(OperatorNote),
}

/// The chat an operator acts on: `session` if it is the user's, else their most
/// recently created one. Errors: `NotFound` (user, session, or no chat yet).
pub async fn target_chat(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    session: Option<SessionId>,
) -> AppResult<SessionRef> {
    let eu = find_end_user(&state.db, ws, user_id).await?;
    session_store::of_user_or_latest(&state.db, ws, eu, session)
        .await?
        .ok_or_else(|| AppError::not_found("chat session"))
}

/// Injects into one of the user's chats (`session`; None = their most recently created
/// one): a message the user sees at once ([`InjectKind::Message`], the operator's, in the
/// persona's voice for later turns) or a hidden note the persona gets in the system
/// prompt of the chat's later turns and the user never sees ([`InjectKind::Note`]).
/// Audited as `inject_message` / `inject_note`. Errors: `Invalid` (text), `NotFound`
/// (user, session, or no chat yet).
pub async fn inject(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    by: &str,
    text: &str,
    session: Option<SessionId>,
    kind: InjectKind,
) -> AppResult<Injected> {
    let text = parse_message(text)?;
    let at = target_chat(state, ws, user_id, session).await?;
    match kind {
        InjectKind::Message => {
            let m = store_authored(state, &at, Sender::Operator, &text, by, false).await?;
            let after = json!({"message_id": m.id, "session_id": m.session_id, "content": m.content});
            audit::record_change(&state.db, ws, by, "inject_message", user_id, None, Some(&after)).await?;
            Ok(Injected::Message(m))
        }
        InjectKind::Note => {
            let note = note_store::insert(&state.db, ws, at.end_user_id, at.session_id, by, &text, now_ms()).await?;
            let after = json!({"note_id": note.id, "session_id": note.session_id, "content": note.content});
            audit::record_change(&state.db, ws, by, "inject_note", user_id, None, Some(&after)).await?;
            Ok(Injected::Note(note))
        }
    }
}

/// Sends `text` to the user as the persona (an assistant message the user cannot tell
/// from a reply), recording the operator as its author and whether they changed the
/// persona's suggestion `draft` (None: written from scratch, counted as edited).
/// Audited as `draft_sent` (before: the draft; after: what was sent).
/// Errors: `Invalid` (text), `NotFound` (user, session, or no chat yet).
pub async fn send_as_persona(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    by: &str,
    text: &str,
    draft: Option<&str>,
    session: Option<SessionId>,
) -> AppResult<Message> {
    let text = parse_message(text)?;
    let at = target_chat(state, ws, user_id, session).await?;
    let edited = draft.is_none_or(|d| d.trim() != text.trim());
    let m = store_authored(state, &at, Sender::Assistant, &text, by, edited).await?;
    let before = draft.map(|d| json!({"draft": d}));
    let after = json!({"message_id": m.id, "session_id": m.session_id, "content": m.content, "edited": edited});
    audit::record_change(&state.db, ws, by, "draft_sent", user_id, before.as_ref(), Some(&after)).await?;
    Ok(m)
}

/// Stores a message an operator wrote and publishes it: everyone gets it without its
/// author (the user's stream must not see who wrote it); operators' views read the
/// author from the conversation.
async fn store_authored(
    state: &AppState,
    at: &SessionRef,
    sender: Sender,
    text: &str,
    by: &str,
    edited: bool,
) -> AppResult<Message> {
    let m = messages::insert_authored(&state.db, at, sender, text, by, edited, now_ms()).await?;
    session_store::touch(&state.db, at.workspace_id, at.session_id, m.created_at).await?;
    let public = messages::for_user(m.clone());
    state.events.publish(at.workspace_id, LiveEvent::Message { user_id: at.user_id.clone(), message: public });
    Ok(m)
}
