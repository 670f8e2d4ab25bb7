//! Server functions for the conversation view's interventions: a hidden note, the
//! persona's draft and sending it, assigning a persona / label / version, clearing.

#[cfg(feature = "ssr")]
use crate::engine::ids::SessionId;
use crate::error::AppResult;
use crate::types::{Assignment, Draft, Message, OperatorNote, PersonaSummary};
use leptos::prelude::*;

/// Adds a hidden note for the persona in chat `session_id` (default: the user's most
/// recent). Errors: `Invalid` (text), `NotFound`.
#[server(endpoint = "monitor/add_note")]
pub async fn add_note(user_id: String, note: String, session_id: Option<i64>) -> AppResult<OperatorNote> {
    use crate::ctx;
    use crate::engine::interventions::{inject, Injected};
    use crate::types::InjectKind;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let ws = op.workspace();
        match inject(&state, ws, &user_id, &op.email, &note, session_id.map(SessionId), InjectKind::Note).await? {
            Injected::Note(n) => Ok(n),
            Injected::Message(_) => Err(crate::engine::internal("add_note", "a note injection stored a message")),
        }
    })
    .await
}

/// The persona's suggested reply to the newest user message of chat `session_id`
/// (default: the user's most recent). Not stored. Errors: `Invalid`, `NotFound`, `LlmFailed`.
#[server(endpoint = "monitor/draft_reply")]
pub async fn draft_reply(user_id: String, session_id: Option<i64>) -> AppResult<Draft> {
    use crate::ctx;
    use crate::engine::turn;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        turn::draft_reply(&state, op.workspace(), &user_id, session_id.map(SessionId)).await
    })
    .await
}

/// Sends `message` to the user as the persona; `draft` is the suggestion it was edited
/// from (empty: written from scratch). Errors: `Invalid`, `NotFound`.
#[server(endpoint = "monitor/send_as_persona")]
pub async fn send_as_persona(
    user_id: String,
    message: String,
    draft: Option<String>,
    session_id: Option<i64>,
) -> AppResult<Message> {
    use crate::ctx;
    use crate::engine::interventions;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let draft = draft.filter(|d| !d.trim().is_empty());
        let ws = op.workspace();
        interventions::send_as_persona(
            &state,
            ws,
            &user_id,
            &op.email,
            &message,
            draft.as_deref(),
            session_id.map(SessionId),
        )
        .await
    })
    .await
}

/// Assigns a persona (id), label and/or pinned version to the user, as a form sends
/// them (empty: not assigned). Errors: `Invalid` (also a field that is not a number),
/// `NotFound`.
#[server(endpoint = "monitor/assign")]
pub async fn assign(user_id: String, persona_id: String, label: String, version: String) -> AppResult<Assignment> {
    use crate::ctx;
    use crate::engine::assignments;
    use crate::error::AppError;
    use crate::types::AssignmentRequest;
    let number = |field: &str, v: &str| -> AppResult<Option<i64>> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse().map(Some).map_err(|_| AppError::invalid(field, "write a number"))
    };
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let req = AssignmentRequest {
            persona_id: number("persona_id", &persona_id)?,
            label: Some(label).filter(|l| !l.trim().is_empty()),
            version: number("version", &version)?,
        };
        assignments::assign(&state, op.workspace(), &user_id, &op.email, &req).await
    })
    .await
}

/// Removes the user's assignment. Errors: `NotFound`.
#[server(endpoint = "monitor/unassign")]
pub async fn unassign(user_id: String) -> AppResult<()> {
    use crate::ctx;
    use crate::engine::assignments;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        assignments::unassign(&state, op.workspace(), &user_id, &op.email).await
    })
    .await
}

/// Deletes every chat of the user with its messages and notes; returns how many
/// messages went. Errors: `NotFound`.
#[server(endpoint = "monitor/clear_conversation")]
pub async fn clear_conversation(user_id: String) -> AppResult<i64> {
    use crate::ctx;
    use crate::engine::conversations;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        conversations::clear(&state, op.workspace(), &user_id, &op.email).await
    })
    .await
}

/// The workspace's personas, for the assignment form and the wall's filter.
#[server(endpoint = "monitor/persona_choices", input = server_fn::codec::GetUrl)]
pub async fn persona_choices() -> AppResult<Vec<PersonaSummary>> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::list(&state.db, op.workspace()).await
    })
    .await
}
