//! Draft-assist: the persona suggests a reply for an operator to edit and send
//! ([`crate::engine::interventions::send_as_persona`]). Same prompt as the chat's next
//! turn (assigned or production version, context, hidden notes); nothing is stored as a
//! message and nothing reaches the user; the call is logged with source `draft_assist`.

use super::stages::{prepare, Prepared};
use crate::engine::ids::{SessionId, WorkspaceId};
use crate::engine::interventions::target_chat;
use crate::engine::llm;
use crate::engine::store::llm_requests::{self, RequestLog};
use crate::engine::store::messages;
use crate::engine::AppState;
use crate::error::{AppError, AppResult};
use crate::types::{Draft, Sender};
use std::time::Instant;

/// A suggested reply to the newest user message of one of the user's chats (`session`;
/// None = their most recently created one). Errors: `NotFound` (user, session, no chat),
/// `Invalid` (the user has not written in it yet; the persona has no version to answer
/// with or its template fails — see the request log), `LlmFailed`.
pub async fn draft_reply(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    session: Option<SessionId>,
) -> AppResult<Draft> {
    let at = target_chat(state, ws, user_id, session).await?;
    let thread = messages::of_session(&state.db, ws, at.session_id).await?;
    let Some(last) = thread.into_iter().rev().find(|m| m.sender == Sender::User) else {
        return Err(AppError::invalid("session_id", "the user has not written in this chat yet"));
    };
    let Some(Prepared { version, messages: sent, .. }) = prepare(state, &at, &last).await? else {
        return Err(AppError::invalid(
            "session_id",
            "the persona cannot answer: no version to answer with, or its template failed",
        ));
    };
    let mut log = RequestLog {
        end_user_id: Some(at.end_user_id),
        session_id: Some(at.session_id),
        template_id: Some(at.persona_id),
        template_version: Some(version.version),
        ..RequestLog::new(&state.llm, ws, "draft_assist", &version.settings)
    };
    log.messages = &sent;
    let started = Instant::now();
    let (result, provider, model) = llm::complete(&state.llm, &version.settings, sent.clone()).await;
    log.latency_ms = started.elapsed().as_millis() as i64;
    log.provider = provider;
    log.model = model;
    match result {
        Ok(c) if !c.content.trim().is_empty() => {
            log.prompt_tokens = Some(c.prompt_tokens);
            log.completion_tokens = Some(c.completion_tokens);
            log.cached_tokens = Some(c.cached_tokens);
            log.response = Some(&c.content);
            llm_requests::insert(&state.db, &log).await?;
            Ok(Draft {
                session_id: at.session_id.get(),
                persona_name: at.persona_name.clone(),
                version: version.version,
                text: c.content.trim().to_string(),
            })
        }
        other => {
            log.status = "error";
            log.error = Some(match other {
                Err(e) => e.to_string(),
                Ok(_) => "empty completion".into(),
            });
            llm_requests::insert(&state.db, &log).await?;
            Err(AppError::LlmFailed)
        }
    }
}
