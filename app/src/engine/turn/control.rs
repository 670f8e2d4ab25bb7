//! The user's controls over replies: Stop a generation, Regenerate the last reply (the
//! earlier versions stay as alternates), and choose which alternate counts.

use super::stages::{self, completion_on, GenerationEnd, Prepared};
use super::{in_session, StreamingTurn};
use crate::engine::chat::{self, SessionRef};
use crate::engine::ids::{MessageId, SessionId, WorkspaceId};
use crate::engine::llm::FinishReason;
use crate::engine::store::llm_requests;
use crate::engine::store::messages::{self, Alternate};
use crate::engine::store::sessions;
use crate::engine::{now_ms, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{LiveEvent, Message, Sender, TurnOutcome};

/// The chat `session` of `user_id`. Errors: `NotFound` when it is not theirs.
async fn own_session(state: &AppState, ws: WorkspaceId, user_id: &str, session: SessionId) -> AppResult<SessionRef> {
    sessions::of_user(&state.db, ws, user_id, session).await?.ok_or_else(|| AppError::not_found("chat session"))
}

/// Stops the reply being generated in the user's chat `session`: what was generated so
/// far is stored as the reply, marked incomplete (nothing when no token came yet).
/// Returns whether a generation was running. Errors: `NotFound` (not the user's chat).
pub async fn stop(state: &AppState, ws: WorkspaceId, user_id: &str, session: SessionId) -> AppResult<bool> {
    let at = own_session(state, ws, user_id, session).await?;
    Ok(state.turns.stop_generation(at.session_id))
}

/// Generates the last assistant reply of the user's chat `session` again and waits for
/// it (see [`regenerate_streaming`]).
pub async fn regenerate(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    session: SessionId,
) -> AppResult<TurnOutcome> {
    let turn = regenerate_streaming(state, ws, user_id, session).await?;
    super::join(turn.outcome).await
}

/// Generates the last assistant reply of the user's chat `session` again, with the
/// history before the message it answers and the current production version. The new
/// text becomes a new version of the same message and the chosen one; the earlier ones
/// stay as alternates. Streams like a turn. On failure the reply keeps its text.
/// Errors: `NotFound` (not the user's chat), `Conflict` (no reply to regenerate yet; the
/// conversation is paused).
pub async fn regenerate_streaming(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    session: SessionId,
) -> AppResult<StreamingTurn> {
    let at = own_session(state, ws, user_id, session).await?;
    let Some((reply_id, user_id_msg)) = messages::last_reply(&state.db, ws, at.session_id).await? else {
        return Err(AppError::Conflict { message: "there is no reply to regenerate yet".into() });
    };
    if chat::is_halted(&state.db, ws, at.end_user_id).await? {
        return Err(AppError::Conflict { message: crate::types::PAUSE_NOTICE.into() });
    }
    let user_message = chat::message(&state.db, ws, user_id_msg).await?;
    let events = state.turns.watch(user_id_msg);
    let outcome = {
        let state = state.clone();
        let user_message = user_message.clone();
        state.turns.tracker.clone().spawn(async move {
            let work = run_regenerate(&state, &at, user_message, reply_id);
            let outcome = in_session(&state, &at, work).await;
            state.turns.unwatch(user_id_msg);
            outcome
        })
    };
    Ok(StreamingTurn { user_message, events, outcome })
}

/// The regenerate stages (the caller holds the session's lock).
async fn run_regenerate(
    state: &AppState,
    at: &SessionRef,
    user_message: Message,
    reply_id: MessageId,
) -> AppResult<TurnOutcome> {
    let ws = at.workspace_id;
    let Some(Prepared { version, messages: sent, context }) = stages::prepare(state, at, &user_message).await? else {
        return Ok(stages::failed(user_message));
    };
    let mut log = stages::request_log(state, at, &version);
    log.messages = &sent;
    log.context = Some(context);
    log.message_id = Some(MessageId(user_message.id));
    let id = MessageId(user_message.id);
    let output = crate::engine::guardrails::output_rules(state, at).await?;
    let generated = stages::call_llm(state, at, id, &version, &sent, output.as_ref(), &mut log).await;
    let partial = generated.text.trim().to_string();
    let (text, truncated, incomplete) = match &generated.result {
        Ok(c) => {
            completion_on(&mut log, c);
            (c.content.clone(), c.finish_reason == FinishReason::Length, false)
        }
        Err(end) => {
            log.response = Some(partial.as_str()).filter(|p| !p.is_empty());
            end.log_on(&mut log);
            (partial.clone(), false, true)
        }
    };
    llm_requests::insert(&state.db, &log).await?;
    let keep = match &generated.result {
        Ok(_) => true,
        Err(GenerationEnd::Stopped) => !text.is_empty(),
        Err(GenerationEnd::Failed(_)) => false,
    };
    if !keep {
        return Ok(stages::failed(user_message));
    }
    // The same output guardrails as a new reply: a blocked text is replaced by the rule's reply.
    let screen = crate::engine::guardrails::screen_output(output.as_ref(), &text);
    let shown = screen.content(&text).to_string();
    let current = chat::message(&state.db, ws, reply_id).await?;
    let alternate = Alternate { content: &shown, persona_version: Some(version.version), truncated, incomplete };
    messages::add_alternate(&state.db, ws, &current, alternate, now_ms()).await?;
    let reply = publish(state, at, reply_id).await?;
    screen.record(state, at, &reply).await?;
    Ok(TurnOutcome::Replied { user_message, reply })
}

/// Reads message `id` back and publishes it (a changed message replaces the one on screen).
async fn publish(state: &AppState, at: &SessionRef, id: MessageId) -> AppResult<Message> {
    let message = chat::message(&state.db, at.workspace_id, id).await?;
    state.events.publish(at.workspace_id, LiveEvent::Message { user_id: at.user_id.clone(), message: message.clone() });
    Ok(message)
}

/// Makes version `alternate` (1-based) of the user's regenerated reply `message_id` the
/// chosen one: it is what the chat shows and what later turns see. Returns the message.
/// Errors: `NotFound` (not the user's message), `Invalid` (field `alternate`: no such
/// version).
pub async fn choose_alternate(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    message_id: MessageId,
    alternate: i64,
) -> AppResult<Message> {
    let message = chat::message(&state.db, ws, message_id).await?;
    let at = own_session(state, ws, user_id, SessionId(message.session_id)).await?;
    if message.sender != Sender::Assistant {
        return Err(AppError::not_found("reply"));
    }
    if alternate == message.alternate {
        return Ok(message);
    }
    if !messages::choose_alternate(&state.db, ws, message_id, alternate).await? {
        return Err(AppError::invalid("alternate", format!("this reply has versions 1 to {}", message.alternates)));
    }
    publish(state, &at, message_id).await
}
