//! The stages of one turn, in DESIGN order: [`pause_if_halted`] → [`production_version`]
//! → [`context`] → [`render`] → [`call_llm`] (streamed) → [`store_reply`]. [`run_one`]
//! runs them for a new reply; `super::control` reuses them to regenerate one.

use crate::engine::chat::{self, MessageMeta, SessionRef};
use crate::engine::ids::MessageId;
use crate::engine::llm::{Completion, CompletionRequest, FinishReason, LlmError, StreamEvent};
use crate::engine::prompt::{build_messages, TurnInput};
use crate::engine::store::llm_requests::{self, RequestLog};
use crate::engine::store::{messages, sessions};
use crate::engine::{guardrails, interventions, memory, personas, sentiment, summary, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{ChatMessage, LiveEvent, Message, Sender, TurnOutcome, VersionInfo, PAUSE_NOTICE};
use std::time::Instant;

/// What a failed turn answers (the chat shows a retry).
pub(super) fn failed(user_message: Message) -> TurnOutcome {
    TurnOutcome::Failed { user_message, error: AppError::LlmFailed.to_string() }
}

/// One turn for a stored user message (the caller holds the session's lock): the stages
/// in order, each ending the turn early when it must.
pub(super) async fn run_one(state: &AppState, at: &SessionRef, user_message: Message) -> AppResult<TurnOutcome> {
    let id = MessageId(user_message.id);
    if let Some(notice) = pause_if_halted(state, at, id).await? {
        return Ok(TurnOutcome::Paused { user_message, notice });
    }
    if let Some(outcome) = guardrails::screen_input(state, at, &user_message).await? {
        return Ok(outcome);
    }
    let Some(prepared) = prepare(state, at, &user_message).await? else {
        messages::set_turn_status(&state.db, id, "failed").await?;
        return Ok(failed(user_message));
    };
    let Prepared { version, messages: sent, context } = &prepared;
    let mut log = request_log(state, at, version);
    log.messages = sent;
    log.context = Some(context.clone());
    log.message_id = Some(id);
    let output = guardrails::output_rules(state, at).await?;
    let generated = call_llm(state, at, id, version, sent, output.as_ref(), &mut log).await;
    match generated.result {
        Ok(c) => {
            // Output guardrails: a blocking rule's reply is stored instead (the log keeps
            // what the model said).
            let screen = guardrails::screen_output(output.as_ref(), &c.content);
            let reply = store_reply(state, at, version, id, &c, screen.content(&c.content), log).await?;
            screen.record(state, at, &reply).await?;
            after_turn(state, at, &user_message).await;
            Ok(TurnOutcome::Replied { user_message, reply })
        }
        Err(end) => {
            let partial = generated.text.trim().to_string();
            let reply = if partial.is_empty() {
                None
            } else {
                let meta = MessageMeta {
                    reply_to: Some(id),
                    persona_version: Some(version.version),
                    incomplete: true,
                    ..Default::default()
                };
                // A stopped reply is screened like a finished one.
                let screen = guardrails::screen_output(output.as_ref(), &partial);
                let reply =
                    chat::store_message_with(state, at, Sender::Assistant, screen.content(&partial), meta).await?;
                screen.record(state, at, &reply).await?;
                Some(reply)
            };
            log.response = Some(partial.as_str()).filter(|p| !p.is_empty());
            let (status, outcome) = match (&end, reply) {
                // Stopped by the user after the first token: the partial reply is the answer.
                (GenerationEnd::Stopped, Some(reply)) => ("replied", TurnOutcome::Replied { user_message, reply }),
                (GenerationEnd::Stopped, None) => {
                    ("stopped", TurnOutcome::Failed { user_message, error: crate::types::STOPPED_BEFORE_REPLY.into() })
                }
                (GenerationEnd::Failed(_), _) => ("failed", failed(user_message)),
            };
            end.log_on(&mut log);
            llm_requests::insert(&state.db, &log).await?;
            messages::set_turn_status(&state.db, id, status).await?;
            Ok(outcome)
        }
    }
}

/// The request-log row of a chat turn in `at` with `version`, nothing sent yet.
pub(super) fn request_log<'a>(state: &AppState, at: &SessionRef, version: &VersionInfo) -> RequestLog<'a> {
    RequestLog {
        end_user_id: Some(at.end_user_id),
        session_id: Some(at.session_id),
        template_id: Some(at.persona_id),
        template_version: Some(version.version),
        ..RequestLog::new(&state.llm, at.workspace_id, "chat", &version.settings)
    }
}

/// Stage 1 — halted: stores and returns the pause notice (no LLM), else None.
async fn pause_if_halted(state: &AppState, at: &SessionRef, id: MessageId) -> AppResult<Option<Message>> {
    if !chat::is_halted(&state.db, at.workspace_id, at.end_user_id).await? {
        return Ok(None);
    }
    let meta = MessageMeta { reply_to: Some(id), ..Default::default() };
    let notice = chat::store_message_with(state, at, Sender::Notice, PAUSE_NOTICE, meta).await?;
    messages::set_turn_status(&state.db, id, "paused").await?;
    Ok(Some(notice))
}

/// What stages 2–4 produce: the version that answers and the exact messages to send.
pub(super) struct Prepared {
    pub version: VersionInfo,
    pub messages: Vec<ChatMessage>,
    /// The turn's context for the request log ([`TurnContext`] + template version).
    pub context: serde_json::Value,
}

/// Stages 2–4 for `user_message`: the production version, the context, the render. None
/// when the turn cannot go on (no production version; a template error, logged as a
/// `render_error` request row).
pub(super) async fn prepare(state: &AppState, at: &SessionRef, user_message: &Message) -> AppResult<Option<Prepared>> {
    let Some(version) = production_version(state, at).await? else { return Ok(None) };
    let cx = context(state, at, MessageId(user_message.id)).await?;
    let additions = cx.system_additions();
    let input = TurnInput {
        user_id: &at.user_id,
        current_message: &user_message.content,
        history: &cx.history,
        memory: &cx.memory,
        summary: cx.summary.as_deref(),
        sentiment: cx.sentiment.as_ref(),
        system_additions: &additions,
    };
    let mut log = request_log(state, at, &version);
    log.context = Some(logged_context(&cx, &version));
    log.message_id = Some(MessageId(user_message.id));
    match render(&version, &input) {
        Ok(messages) => {
            let context = log.context.take().unwrap_or_default();
            Ok(Some(Prepared { version, messages, context }))
        }
        Err(e) => {
            tracing::warn!(error = %e, version = version.version, "persona failed to render");
            log.status = "render_error";
            log.error = Some(e);
            llm_requests::insert(&state.db, &log).await?;
            Ok(None)
        }
    }
}

/// Stage 2 — the version the chat is pinned to ([`super::VersionPin`]), else the one assigned to the user for this persona
/// ([`crate::engine::assignments`]), else the one `production` points to; None when the
/// persona was unpublished meanwhile (the turn fails).
async fn production_version(state: &AppState, at: &SessionRef) -> AppResult<Option<VersionInfo>> {
    if let Some(n) = sessions::pinned_version(&state.db, at.workspace_id, at.session_id).await? {
        match personas::version(&state.db, at.workspace_id, at.persona_id, n).await {
            Ok(v) => return Ok(Some(v)),
            Err(AppError::NotFound { .. }) => tracing::warn!(version = n, "pinned version is gone; production answers"),
            Err(e) => return Err(e),
        }
    }
    if let Some(v) = crate::engine::assignments::assigned_version(&state.db, at).await? {
        return Ok(Some(v));
    }
    match personas::production(&state.db, at.workspace_id, at.persona_id).await {
        Ok(v) => Ok(Some(v)),
        Err(AppError::NotFound { .. }) => {
            tracing::warn!(persona_id = %at.persona_id, "persona has no production version");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// What stage 3 gathers for one turn besides the message itself.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct TurnContext {
    /// The earlier messages sent, oldest first (sender, content, ms).
    pub history: Vec<messages::HistoryItem>,
    /// The user's memory, as the template's `memory`.
    pub memory: serde_json::Map<String, serde_json::Value>,
    /// The chat's summary of the turns older than `history` ([`crate::engine::summary`]).
    pub summary: Option<String>,
    /// The recent average sentiment ([`crate::engine::sentiment`]).
    pub sentiment: Option<serde_json::Value>,
    /// Guardrail `system_instruction` texts by priority ([`crate::engine::guardrails`]).
    pub instructions: Vec<String>,
    /// Operators' hidden notes ([`crate::engine::interventions`]).
    pub notes: Vec<String>,
}

impl TurnContext {
    /// What is added after the rendered template: instructions, then notes.
    pub fn system_additions(&self) -> Vec<String> {
        self.instructions.iter().chain(&self.notes).cloned().collect()
    }
}

/// Stage 3 — the context: the history window before message `id` (chosen by estimated
/// tokens, its start stable for several turns, see [`crate::engine::prompt::history_start`]),
/// the user's memory, the chat's summary and sentiment, guardrail instructions and hidden
/// notes.
pub(super) async fn context(state: &AppState, at: &SessionRef, id: MessageId) -> AppResult<TurnContext> {
    let history = summary::history_for(state, at.workspace_id, at.session_id, id).await?;
    let memory = memory::memory_map(&state.db, at.workspace_id, at.end_user_id).await?;
    Ok(TurnContext {
        history,
        memory,
        summary: summary::for_turn(state, at).await?,
        sentiment: sentiment::recent(state, at).await?,
        instructions: guardrails::instructions(state, at).await?,
        notes: interventions::notes(state, at).await?,
    })
}

/// The context as the request log keeps it: the [`TurnContext`] plus `template_version`.
fn logged_context(cx: &TurnContext, version: &VersionInfo) -> serde_json::Value {
    let mut value = serde_json::to_value(cx).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "turn context not serializable");
        serde_json::Value::Object(Default::default())
    });
    if let Some(map) = value.as_object_mut() {
        map.insert("template_version".into(), version.version.into());
    }
    value
}

/// Stage 4 — render the template into the messages to send. Errors: the template error,
/// as text for the request log.
fn render(version: &VersionInfo, input: &TurnInput<'_>) -> Result<Vec<ChatMessage>, String> {
    build_messages(version.kind, &version.content, &version.variables, &serde_json::Map::new(), input)
        .map_err(|e| e.to_string())
}

/// How a generation ended when it did not finish.
pub(super) enum GenerationEnd {
    /// The user pressed Stop ([`super::control::stop`]).
    Stopped,
    /// The provider failed (before or after the first token).
    Failed(LlmError),
}

impl GenerationEnd {
    /// Writes the end into the request-log row: `stopped`, or `error` with the cause.
    pub(super) fn log_on(&self, log: &mut RequestLog<'_>) {
        match self {
            GenerationEnd::Stopped => log.status = "stopped",
            GenerationEnd::Failed(e) => {
                tracing::warn!(error = %e, "LLM call failed");
                log.status = "error";
                log.error = Some(e.to_string());
            }
        }
    }
}

/// What stage 5 produced: the completion, or how it ended, and the text streamed so far
/// (untrimmed).
pub(super) struct Generated {
    pub result: Result<Completion, GenerationEnd>,
    pub text: String,
}

/// Stage 5 — the LLM with the version's settings, streamed: each piece is published
/// live ([`LiveEvent::Delta`], to the user and to operators) and sent to the watchers of
/// user message `reply_to`, until the text so far trips `output` (the rest is withheld:
/// the guardrail's reply will stand in for it); waiting for the model is published as
/// [`LiveEvent::Waiting`]. Stop ([`super::control::stop`]) ends it early. Records
/// provider, model, latency and time to first token (ms) on `log`. An empty completion
/// is an error.
pub(super) async fn call_llm(
    state: &AppState,
    at: &SessionRef,
    reply_to: MessageId,
    version: &VersionInfo,
    sent: &[ChatMessage],
    output: Option<&guardrails::OutputRules>,
    log: &mut RequestLog<'_>,
) -> Generated {
    let req = CompletionRequest::with_settings(sent.to_vec(), &version.settings);
    log.provider = state.llm.kind().to_string();
    log.model = state.llm.model_for(req.model.as_deref());
    let mut text = String::new();
    if let Err(e) = state.llm.check_provider(&version.settings.provider) {
        return Generated { result: Err(GenerationEnd::Failed(e)), text };
    }
    let started = Instant::now();
    let stop = state.turns.start_generation(at.session_id);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut withheld = false;
    let mut forward = |ev: StreamEvent, text: &mut String, log: &mut RequestLog<'_>| {
        let live = match &ev {
            StreamEvent::Delta(piece) => {
                if log.ttft_ms.is_none() {
                    log.ttft_ms = Some(started.elapsed().as_millis() as i64);
                }
                text.push_str(piece);
                withheld = withheld || output.is_some_and(|o| o.trips(text));
                if withheld {
                    return;
                }
                LiveEvent::Delta {
                    user_id: at.user_id.clone(),
                    session_id: at.session_id.get(),
                    reply_to: reply_to.get(),
                    text: piece.clone(),
                }
            }
            StreamEvent::Waiting { ahead } => LiveEvent::Waiting {
                user_id: at.user_id.clone(),
                session_id: at.session_id.get(),
                reply_to: reply_to.get(),
                ahead: *ahead,
            },
        };
        state.events.publish(at.workspace_id, live);
        state.turns.notify(reply_to, ev);
    };
    let result = {
        let generation = state.llm.stream(req, tx);
        tokio::pin!(generation);
        loop {
            tokio::select! {
                biased;
                _ = stop.cancelled() => break Err(GenerationEnd::Stopped),
                Some(ev) = rx.recv() => forward(ev, &mut text, log),
                r = &mut generation => break r.map_err(GenerationEnd::Failed),
            }
        }
    };
    // Pieces sent just before the end.
    while let Ok(ev) = rx.try_recv() {
        forward(ev, &mut text, log);
    }
    state.turns.end_generation(at.session_id, &stop);
    log.latency_ms = started.elapsed().as_millis() as i64;
    let result = match result {
        Ok(c) if c.content.trim().is_empty() => {
            Err(GenerationEnd::Failed(LlmError::Protocol("empty completion".into())))
        }
        Ok(c) => {
            if !c.model.is_empty() {
                log.model = c.model.clone();
            }
            Ok(c)
        }
        other => other,
    };
    Generated { result, text }
}

/// Stage 6 — the `llm_requests` row (with the completion), then the reply `shown` (the
/// completion's text, or what an output guardrail put instead; placed right after the
/// message it answers, marked truncated at `max_tokens`), published; the turn is `replied`.
async fn store_reply(
    state: &AppState,
    at: &SessionRef,
    version: &VersionInfo,
    id: MessageId,
    c: &Completion,
    shown: &str,
    mut log: RequestLog<'_>,
) -> AppResult<Message> {
    completion_on(&mut log, c);
    llm_requests::insert(&state.db, &log).await?;
    let meta = MessageMeta {
        reply_to: Some(id),
        persona_version: Some(version.version),
        truncated: c.finish_reason == FinishReason::Length,
        ..Default::default()
    };
    let reply = chat::store_message_with(state, at, Sender::Assistant, shown, meta).await?;
    messages::set_turn_status(&state.db, id, "replied").await?;
    Ok(reply)
}

/// Writes a finished completion's figures and text into the request-log row.
pub(super) fn completion_on<'a>(log: &mut RequestLog<'a>, c: &'a Completion) {
    log.prompt_tokens = Some(c.prompt_tokens);
    log.completion_tokens = Some(c.completion_tokens);
    log.cached_tokens = Some(c.cached_tokens);
    log.response = Some(&c.content);
}

/// After a replied turn: enqueues the background work it calls for (memory extraction,
/// sentiment, summary). Never fails the turn: an error is logged.
pub(super) async fn after_turn(state: &AppState, at: &SessionRef, user_message: &Message) {
    let results = [
        ("memory extraction", memory::extraction::after_turn(state, at, user_message).await),
        ("sentiment", sentiment::after_turn(state, at, user_message).await),
        ("summary", summary::after_turn(state, at, user_message).await),
    ];
    for (what, r) in results {
        if let Err(e) = r {
            tracing::warn!(error = %e, what, session_id = %at.session_id, "could not enqueue background work");
        }
    }
}
