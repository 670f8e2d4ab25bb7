//! One end-user turn, from the stored message to the stored reply, on a task the server
//! owns.
//!
//! Order (see DESIGN.md, "The chat pipeline"):
//! 1. [`submit`]: resolve the persona and the chat session (the caller has already decided
//!    who the user is), store the user's message as `pending` — nothing a user sent is
//!    lost —, then hand the rest to a tracked task and wait for it. A client that goes
//!    away drops only the wait: the task runs to the end, and shutdown waits for it.
//! 2. [`run_session`]: turns of one chat session run one at a time, oldest message first
//!    (an in-process lock per session; on PostgreSQL also a transaction-scoped advisory
//!    lock, so it holds across server processes).
//! 3. [`run_one`], one stage function each: [`pause_if_halted`] (pause notice, no LLM),
//!    [`production_version`], [`context`] (memory, history window), [`render`], the LLM
//!    with the version's settings ([`call_llm`]), then [`store_reply`] with the
//!    `llm_requests` row. Every stored message is published. Streaming, guardrails and
//!    summaries are stages to add here.
//!
//! Resuming a halted user answers the last unanswered message of each of their chats
//! ([`answer_after_resume`]); pending turns left by a crash are run at start-up
//! ([`resume_pending`]).

use super::chat::{self, MessageMeta, PersonaChoice, SessionRef};
use super::db::{Db, Dialect};
use super::ids::{EndUserId, MessageId, PersonaId, SessionId, WorkspaceId};
use super::llm::{self, Completion, FinishReason, LlmError};
use super::locks::KeyedLocks;
use super::prompt::{build_messages, TurnInput};
use super::store::llm_requests::{self, RequestLog};
use super::store::{messages, sessions};
use super::{memory, personas, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{
    ChatMessage, Message, Sender, TurnOutcome, UserState, VersionInfo, PAUSE_NOTICE, UNAVAILABLE_NOTICE,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

/// `turn_status` of a user message whose turn has not finished.
pub const PENDING: &str = "pending";
/// Most turns that call the LLM at once in one process. Each holds a database connection
/// for its lock on PostgreSQL (pool: 16), so this leaves half the pool to the queries.
pub const MAX_CONCURRENT_TURNS: usize = 8;

/// The server's turn machinery: the tracker shutdown waits on, and the locks.
#[derive(Clone)]
pub struct Turns {
    tracker: TaskTracker,
    sessions: KeyedLocks,
    users: KeyedLocks,
    stores: KeyedLocks,
    permits: Arc<Semaphore>,
}

impl Default for Turns {
    fn default() -> Self {
        Self {
            tracker: TaskTracker::new(),
            sessions: KeyedLocks::default(),
            users: KeyedLocks::default(),
            stores: KeyedLocks::default(),
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT_TURNS)),
        }
    }
}

impl Turns {
    /// Stops taking new turns and waits up to `grace` for the running ones. Returns
    /// false when some were still running at the deadline.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait()).await.is_ok()
    }

    /// Turns running or queued now.
    pub fn running(&self) -> usize {
        self.tracker.len()
    }
}

/// A message to answer: who sends it, to which persona and which chat.
#[derive(Clone, Debug)]
pub struct TurnRequest {
    pub workspace_id: WorkspaceId,
    /// The end user, as the caller's identity decided it (cookie, operator on behalf of).
    pub user_id: String,
    pub persona: PersonaChoice,
    /// One of the user's chat sessions; None = their latest with the persona (created on
    /// the first message).
    pub session_id: Option<SessionId>,
    pub text: String,
}

/// Stores the user's message and runs its turn to the end on a server-owned task; the
/// caller waits for the outcome, but the turn does not depend on the caller staying.
/// Errors (nothing stored): `Invalid` (user id, message; a session of another persona),
/// `NotFound` (persona unknown, deleted or a draft; session not the user's),
/// `Conflict` (persona inactive). An LLM or template failure is not an error: the
/// outcome is [`TurnOutcome::Failed`].
#[tracing::instrument(skip(state, req), fields(workspace_id = %req.workspace_id, user_id = %req.user_id))]
pub async fn submit(state: &AppState, req: TurnRequest) -> AppResult<TurnOutcome> {
    let user_id = chat::parse_user_id(&req.user_id)?;
    let text = chat::parse_message(&req.text)?;
    let ws = req.workspace_id;
    let (at, active) = match req.session_id {
        Some(session_id) => {
            let at = sessions::of_user(&state.db, ws, &user_id, session_id)
                .await?
                .ok_or_else(|| AppError::not_found("chat session"))?;
            if matches!(req.persona, PersonaChoice::Id(id) if id != at.persona_id) {
                return Err(AppError::invalid("session_id", "this chat session is with another persona"));
            }
            let (_, active) = chat::chat_persona(&state.db, ws, &PersonaChoice::Id(at.persona_id)).await?;
            (at, active)
        }
        None => {
            let (persona, active) = chat::chat_persona(&state.db, ws, &req.persona).await?;
            if !active {
                return Err(AppError::Conflict { message: UNAVAILABLE_NOTICE.into() });
            }
            let end_user_id = chat::ensure_end_user(&state.db, ws, &user_id).await?;
            let persona_id = PersonaId(persona.id);
            let session_id = ensure_session(state, ws, end_user_id, persona_id).await?;
            let at = SessionRef {
                workspace_id: ws,
                user_id,
                end_user_id,
                session_id,
                persona_id,
                persona_name: persona.name,
            };
            (at, active)
        }
    };
    // Refused before anything is stored: the chat keeps the draft and shows why.
    if !active {
        return Err(AppError::Conflict { message: UNAVAILABLE_NOTICE.into() });
    }

    // Nothing a user sent is ever lost: store first. From here on the turn is the server's.
    let user_message = store_user_message(state, &at, &text).await?;
    let task = {
        let state = state.clone();
        let id = MessageId(user_message.id);
        state.turns.tracker.clone().spawn(async move { run_session(&state, &at, id).await })
    };
    match task.await {
        Ok(outcome) => outcome,
        Err(e) => Err(super::internal("turn task", e)),
    }
}

/// Stores a user message as `pending`. Messages of one session are stored one at a time
/// (in process, and on PostgreSQL under an advisory lock), so their ids — the order
/// turns run in — are also the order they became visible: a turn never runs before an
/// earlier message of its chat is stored.
async fn store_user_message(state: &AppState, at: &SessionRef, text: &str) -> AppResult<Message> {
    let _local = state.turns.stores.lock(at.session_id.get()).await;
    let meta = MessageMeta { turn_status: Some(PENDING), ..Default::default() };
    if state.db.dialect != Dialect::Postgres {
        return chat::store_message_with(state, at, Sender::User, text, meta).await;
    }
    let mut lock = state.db.pool.begin().await?;
    sqlx::query("SELECT 1 AS locked FROM pg_advisory_xact_lock(2, CAST($1 AS INTEGER))")
        .bind(at.session_id)
        .execute(&mut *lock)
        .await?;
    // Autocommit on another connection: committed before the lock is released.
    let stored = chat::store_message_with(state, at, Sender::User, text, meta).await;
    lock.commit().await?;
    stored
}

/// The user's latest chat session with this persona, created if there is none yet. The
/// first messages of a new user sent at once create one session: creation is serialised
/// per user (in process, and on PostgreSQL by an advisory lock).
async fn ensure_session(
    state: &AppState,
    ws: WorkspaceId,
    end_user: EndUserId,
    persona: PersonaId,
) -> AppResult<SessionId> {
    if let Some(id) = sessions::latest(&state.db.pool, ws, end_user, persona).await? {
        return Ok(id);
    }
    let _local = state.turns.users.lock(end_user.get()).await;
    if state.db.dialect != Dialect::Postgres {
        // One process owns an SQLite file: the in-process lock is enough (and a read-then-
        // write transaction could fail with SQLITE_BUSY_SNAPSHOT under concurrent writers).
        if let Some(id) = sessions::latest(&state.db.pool, ws, end_user, persona).await? {
            return Ok(id);
        }
        return sessions::insert(&state.db.pool, ws, end_user, persona).await;
    }
    let mut tx = state.db.pool.begin().await?;
    // Two-key advisory locks live apart from the one-key ones used for sessions.
    sqlx::query("SELECT 1 AS locked FROM pg_advisory_xact_lock(1, CAST($1 AS INTEGER))")
        .bind(end_user)
        .execute(&mut *tx)
        .await?;
    let id = match sessions::latest(&mut *tx, ws, end_user, persona).await? {
        Some(id) => id,
        None => sessions::insert(&mut *tx, ws, end_user, persona).await?,
    };
    tx.commit().await?;
    Ok(id)
}

/// Runs the session's pending turns in message order up to and including `message_id`,
/// then returns that message's outcome (run here, or by whoever held the lock before).
async fn run_session(state: &AppState, at: &SessionRef, message_id: MessageId) -> AppResult<TurnOutcome> {
    let _local = state.turns.sessions.lock(at.session_id.get()).await;
    let _permit = state.turns.permits.acquire().await.map_err(|e| super::internal("turn permits", e))?;
    // Held until the loop ends, then rolled back explicitly: a dropped transaction's
    // rollback would only be sent when its connection is next used, keeping the lock.
    let mut pg_lock = None;
    if state.db.dialect == Dialect::Postgres {
        let mut tx = state.db.pool.begin().await?;
        sqlx::query("SELECT 1 AS locked FROM pg_advisory_xact_lock($1)").bind(at.session_id).execute(&mut *tx).await?;
        pg_lock = Some(tx);
    }
    let ran = run_pending(state, at, message_id).await;
    if let Some(tx) = pg_lock {
        tx.rollback().await?;
    }
    match ran? {
        Some(outcome) => Ok(outcome),
        None => stored_outcome(&state.db, at.workspace_id, message_id).await,
    }
}

/// The loop of [`run_session`] (the caller holds the locks): pending turns up to
/// `message_id`, oldest first; that message's outcome if this call ran it.
async fn run_pending(state: &AppState, at: &SessionRef, message_id: MessageId) -> AppResult<Option<TurnOutcome>> {
    loop {
        let next = messages::next_with_status(&state.db, at.workspace_id, at.session_id, PENDING, message_id).await?;
        let Some(id) = next else { return Ok(None) };
        let user_message = chat::message(&state.db, at.workspace_id, id).await?;
        let outcome = run_one(state, at, user_message).await?;
        if id == message_id {
            return Ok(Some(outcome));
        }
    }
}

/// The outcome of a finished turn, read back from what it stored.
async fn stored_outcome(db: &Db, ws: WorkspaceId, message_id: MessageId) -> AppResult<TurnOutcome> {
    let user_message = chat::message(db, ws, message_id).await?;
    let status = messages::turn_status(db, ws, message_id).await?;
    let answer = match messages::answer_to(db, ws, message_id).await? {
        Some(id) => Some(chat::message(db, ws, id).await?),
        None => None,
    };
    Ok(match (status.as_deref(), answer) {
        (Some("replied"), Some(reply)) => TurnOutcome::Replied { user_message, reply },
        (Some("paused"), Some(notice)) => TurnOutcome::Paused { user_message, notice },
        _ => TurnOutcome::Failed { user_message, error: AppError::LlmFailed.to_string() },
    })
}

/// What a failed turn answers (the chat shows a retry).
fn failed(user_message: Message) -> TurnOutcome {
    TurnOutcome::Failed { user_message, error: AppError::LlmFailed.to_string() }
}

/// One turn for a stored user message (the caller holds the session's lock): the stages
/// in order, each ending the turn early when it must.
async fn run_one(state: &AppState, at: &SessionRef, user_message: Message) -> AppResult<TurnOutcome> {
    let id = MessageId(user_message.id);
    if let Some(notice) = pause_if_halted(state, at, id).await? {
        return Ok(TurnOutcome::Paused { user_message, notice });
    }
    let Some(version) = production_version(state, at).await? else {
        messages::set_turn_status(&state.db, id, "failed").await?;
        return Ok(failed(user_message));
    };
    let (history, memory) = context(state, at, id).await?;
    let input =
        TurnInput { user_id: &at.user_id, current_message: &user_message.content, history: &history, memory: &memory };
    let mut log = RequestLog {
        end_user_id: Some(at.end_user_id),
        session_id: Some(at.session_id),
        template_id: Some(at.persona_id),
        template_version: Some(version.version),
        ..RequestLog::new(&state.llm, at.workspace_id, "chat", &version.settings)
    };
    let Some(messages) = render(state, &version, &input, &mut log).await? else {
        messages::set_turn_status(&state.db, id, "failed").await?;
        return Ok(failed(user_message));
    };
    log.messages = &messages;
    match call_llm(state, &version, &messages, &mut log).await {
        Ok(c) => {
            let reply = store_reply(state, at, &version, id, &c, log).await?;
            Ok(TurnOutcome::Replied { user_message, reply })
        }
        Err(err) => {
            tracing::warn!(error = %err, "LLM call failed");
            log.status = "error";
            log.error = Some(err.to_string());
            llm_requests::insert(&state.db, &log).await?;
            messages::set_turn_status(&state.db, id, "failed").await?;
            Ok(failed(user_message))
        }
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

/// Stage 2 — the version `production` points to; None when the persona was unpublished
/// meanwhile (the turn fails).
async fn production_version(state: &AppState, at: &SessionRef) -> AppResult<Option<VersionInfo>> {
    match personas::production(&state.db, at.workspace_id, at.persona_id).await {
        Ok(v) => Ok(Some(v)),
        Err(AppError::NotFound { .. }) => {
            tracing::warn!(persona_id = %at.persona_id, "persona has no production version");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Stage 3 — the context: the history window before message `id`, and the user's memory.
async fn context(
    state: &AppState,
    at: &SessionRef,
    id: MessageId,
) -> AppResult<(Vec<messages::HistoryItem>, serde_json::Map<String, serde_json::Value>)> {
    let history =
        messages::history_window(&state.db, at.workspace_id, at.session_id, id, state.config.history_window).await?;
    let memory = memory::memory_map(&state.db, at.workspace_id, at.end_user_id).await?;
    Ok((history, memory))
}

/// Stage 4 — render the template into the messages to send; on a template error, logs a
/// `render_error` request row and returns None (the turn fails).
async fn render(
    state: &AppState,
    version: &VersionInfo,
    input: &TurnInput<'_>,
    log: &mut RequestLog<'_>,
) -> AppResult<Option<Vec<ChatMessage>>> {
    match build_messages(version.kind, &version.content, &version.variables, &serde_json::Map::new(), input) {
        Ok(m) => Ok(Some(m)),
        Err(e) => {
            tracing::warn!(error = %e, version = version.version, "persona failed to render");
            log.status = "render_error";
            log.error = Some(e.to_string());
            llm_requests::insert(&state.db, log).await?;
            Ok(None)
        }
    }
}

/// Stage 5 — the LLM with the version's settings; records provider, model and latency
/// (ms) on `log`. An empty completion is an error.
async fn call_llm(
    state: &AppState,
    version: &VersionInfo,
    messages: &[ChatMessage],
    log: &mut RequestLog<'_>,
) -> Result<Completion, LlmError> {
    let started = Instant::now();
    let (result, provider, model) = llm::complete(&state.llm, &version.settings, messages.to_vec()).await;
    log.latency_ms = started.elapsed().as_millis() as i64;
    log.provider = provider;
    log.model = model;
    match result {
        Ok(c) if c.content.trim().is_empty() => Err(LlmError::Protocol("empty completion".into())),
        other => other,
    }
}

/// Stage 6 — the `llm_requests` row, then the reply (placed right after the message it
/// answers, marked truncated at `max_tokens`), published; the turn is `replied`.
async fn store_reply(
    state: &AppState,
    at: &SessionRef,
    version: &VersionInfo,
    id: MessageId,
    c: &Completion,
    mut log: RequestLog<'_>,
) -> AppResult<Message> {
    log.prompt_tokens = Some(c.prompt_tokens);
    log.completion_tokens = Some(c.completion_tokens);
    log.response = Some(&c.content);
    llm_requests::insert(&state.db, &log).await?;
    let meta = MessageMeta {
        reply_to: Some(id),
        persona_version: Some(version.version),
        truncated: c.finish_reason == FinishReason::Length,
        ..Default::default()
    };
    let reply = chat::store_message_with(state, at, Sender::Assistant, &c.content, meta).await?;
    messages::set_turn_status(&state.db, id, "replied").await?;
    Ok(reply)
}

/// Starts a background turn for `message_id` (already stored as pending) in `at`.
fn spawn_turn(state: &AppState, at: SessionRef, message_id: MessageId) {
    let state2 = state.clone();
    state.turns.tracker.spawn(async move {
        if let Err(e) = run_session(&state2, &at, message_id).await {
            tracing::error!(error = %e, session_id = %at.session_id, %message_id, "background turn failed");
        }
    });
}

/// After a resume: in each of the user's chats whose last user message has no assistant
/// reply after it (pause notices and operator messages do not count), runs a turn for
/// that message in the background; replies are pushed live. Returns how many turns started.
pub async fn answer_after_resume(state: &AppState, ws: WorkspaceId, user_id: &str) -> AppResult<usize> {
    let mut started = 0;
    for (at, last_user) in sessions::with_last_user_message(&state.db, ws, user_id).await? {
        let Some(last_user) = last_user else { continue };
        if messages::assistant_after(&state.db, at.session_id, last_user).await? {
            continue;
        }
        messages::set_turn_status(&state.db, last_user, PENDING).await?;
        spawn_turn(state, at, last_user);
        started += 1;
    }
    Ok(started)
}

/// Resumes a halted user ([`super::monitor::resume`]) and answers what they sent while
/// halted ([`answer_after_resume`]). Errors: `NotFound` (user).
pub async fn resume(state: &AppState, ws: WorkspaceId, user_id: &str, by: &str) -> AppResult<UserState> {
    let st = super::monitor::resume(state, ws, user_id, by).await?;
    answer_after_resume(state, ws, user_id).await?;
    Ok(st)
}

/// At start-up: runs the turns a previous process left pending (it stopped mid-turn).
pub async fn resume_pending(state: &AppState) -> AppResult<usize> {
    let pending = sessions::with_status(&state.db, PENDING).await?;
    let count = pending.len();
    for (at, last_pending) in pending {
        spawn_turn(state, at, last_pending);
    }
    if count > 0 {
        tracing::info!(sessions = count, "running turns left pending by the previous process");
    }
    Ok(count)
}
