//! The per-turn inspector: what went into one reply of a real conversation (version,
//! memory, summary, sentiment, guardrail instructions, hidden notes, history and the exact
//! messages sent), read back from the turn's `llm_requests` row; and the same context as a
//! fork for the playground.

use super::ids::{MessageId, PersonaId, SessionId, WorkspaceId};
use super::store::llm_requests::{self, TurnRequest};
use super::store::{messages, summaries};
use super::{memory, personas, summary, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{ForkContext, HistoryEntry, Sender, TurnCall, TurnInspection};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The context as `engine::turn` logs it (its `TurnContext` plus `template_version`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Logged {
    history: Vec<(Sender, String, i64)>,
    memory: Map<String, Value>,
    summary: Option<String>,
    sentiment: Option<Value>,
    instructions: Vec<String>,
    notes: Vec<String>,
    template_version: Option<i64>,
}

/// What went into the turn of message `id` (an assistant reply, or the user message it
/// answers): from the turn's request-log row — the one whose reply is the text shown now
/// when the reply was regenerated, else the newest. Errors: `NotFound` (no such message in
/// the workspace, or it belongs to no turn: an operator message).
pub async fn inspect(state: &AppState, ws: WorkspaceId, id: MessageId) -> AppResult<TurnInspection> {
    let not_found = || AppError::not_found("message");
    let message = messages::get(&state.db, ws, id).await?.ok_or_else(not_found)?;
    let turn = llm_requests::turn_of(&state.db, ws, id).await?.ok_or_else(not_found)?;
    let user_message = messages::get(&state.db, ws, turn).await?.ok_or_else(not_found)?;
    let session = SessionId(message.session_id);
    let owner = summaries::owner(&state.db, session).await?.filter(|o| o.workspace_id == ws).ok_or_else(not_found)?;
    let reply = if message.sender == Sender::Assistant {
        Some(message.content.clone())
    } else {
        match messages::answer_to(&state.db, ws, turn).await? {
            Some(r) => {
                messages::get(&state.db, ws, r).await?.filter(|m| m.sender == Sender::Assistant).map(|m| m.content)
            }
            None => None,
        }
    };
    let rows = llm_requests::of_turn(&state.db, ws, turn).await?;
    let row: Option<&TurnRequest> = rows
        .iter()
        .find(|r| reply.is_some() && r.row.response.as_deref().map(str::trim) == reply.as_deref().map(str::trim))
        .or_else(|| rows.first());
    let logged = match row.and_then(|r| r.context.clone()) {
        Some(v) => Some(serde_json::from_value::<Logged>(v).map_err(|e| super::internal("llm_requests.context", e))?),
        None => None,
    };
    let recorded = logged.is_some();
    let logged = logged.unwrap_or_default();
    let template_version = logged
        .template_version
        .or(row.and_then(|r| r.row.template_version))
        .or(if message.sender == Sender::Assistant { message.persona_version } else { None });
    Ok(TurnInspection {
        message_id: id.get(),
        user_message_id: turn.get(),
        user_message: user_message.content,
        reply,
        user_id: owner.user_id,
        session_id: session.get(),
        persona_id: owner.persona_id.get(),
        persona_name: message.persona_name,
        template_version,
        recorded,
        memory: logged.memory,
        summary: logged.summary,
        sentiment: logged.sentiment,
        instructions: logged.instructions,
        notes: logged.notes,
        history: logged.history.into_iter().map(|(sender, content, at)| HistoryEntry { sender, content, at }).collect(),
        messages: row.map(|r| r.row.messages.clone()).unwrap_or_default(),
        call: row.map(|r| TurnCall {
            request_id: r.row.id,
            provider: r.row.provider.clone(),
            model: r.row.model.clone(),
            prompt_tokens: r.row.prompt_tokens,
            completion_tokens: r.row.completion_tokens,
            cached_tokens: r.row.cached_tokens,
            ttft_ms: r.row.ttft_ms,
            latency_ms: r.row.latency_ms,
            status: r.row.status.clone(),
            error: r.row.error.clone(),
            created_at: r.row.created_at,
        }),
    })
}

/// The turn of message `id` as a fork for the playground: its recorded context; for a turn
/// logged before contexts were kept, the context rebuilt as it would be now (history by the
/// budget before the turn's user message, the user's memory and the chat's summary today).
/// Errors: as [`inspect`].
pub async fn fork(state: &AppState, ws: WorkspaceId, id: MessageId) -> AppResult<ForkContext> {
    let mut turn = inspect(state, ws, id).await?;
    if !turn.recorded {
        let session = SessionId(turn.session_id);
        let history = summary::history_for(state, ws, session, MessageId(turn.user_message_id)).await?;
        turn.history = history.into_iter().map(|(sender, content, at)| HistoryEntry { sender, content, at }).collect();
        let end_user = super::chat::find_end_user(&state.db, ws, &turn.user_id).await?;
        turn.memory = memory::memory_map(&state.db, ws, end_user).await?;
        turn.summary = summaries::get(&state.db, ws, session).await?.map(|s| s.content);
    }
    let production_version = match personas::production(&state.db, ws, PersonaId(turn.persona_id)).await {
        Ok(v) => Some(v.version),
        Err(AppError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    Ok(ForkContext { turn, production_version })
}
