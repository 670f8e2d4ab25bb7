//! One end-user turn, from the stored message to the stored reply, on a task the server
//! owns.
//!
//! Order (see DESIGN.md, "The chat pipeline"):
//! 1. [`submit`] / [`submit_streaming`]: resolve the persona and the chat session (the
//!    caller has already decided who the user is), store the user's message as `pending`
//!    — nothing a user sent is lost —, then hand the rest to a tracked task. A client
//!    that goes away drops only the wait: the task runs to the end, and shutdown waits.
//! 2. [`run_session`]: turns of one chat session run one at a time, oldest message first
//!    (an in-process lock per session; on PostgreSQL also a transaction-scoped advisory
//!    lock, so it holds across server processes).
//! 3. [`stages`]: pause if halted (no LLM), the production version, the context (memory,
//!    history window), the render, the LLM streamed piece by piece (published live and
//!    to the turn's watchers, time to first token logged), then the reply with its
//!    `llm_requests` row.
//! 4. [`control`]: Stop (the partial reply is kept, marked incomplete), Regenerate (the
//!    earlier reply stays as an alternate) and choosing an alternate.
//!
//! Resuming a halted user answers the last unanswered message of each of their chats
//! ([`answer_after_resume`]); pending turns left by a crash are queued at start-up
//! ([`resume_pending`]) and run by the job runner ([`run_job`]).

mod control;
mod draft;
mod stages;

pub use control::{choose_alternate, regenerate, regenerate_streaming, stop};
pub use draft::draft_reply;

use super::chat::{self, MessageMeta, PersonaChoice, SessionRef};
use super::db::{Db, Dialect};
use super::ids::{EndUserId, MessageId, PersonaId, SessionId, WorkspaceId};
use super::llm::StreamEvent;
use super::locks::KeyedLocks;
use super::queue::{self, JobError, JobKind};
use super::store::advisory::{self, LockKind};
use super::store::{messages, sessions};
use super::AppState;
use crate::error::{AppError, AppResult};
use crate::types::{Message, Sender, TurnOutcome, UserState, UNAVAILABLE_NOTICE};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// `turn_status` of a user message whose turn has not finished.
pub const PENDING: &str = "pending";
/// Most turns that call the LLM at once in one process. Each holds a database connection
/// for its lock on PostgreSQL (pool: 16), so this leaves half the pool to the queries.
pub const MAX_CONCURRENT_TURNS: usize = 8;

/// The server's turn machinery: the tracker shutdown waits on, the locks, who watches
/// which turn's pieces, and the stop switches of running generations.
#[derive(Clone)]
pub struct Turns {
    tracker: TaskTracker,
    sessions: KeyedLocks,
    users: KeyedLocks,
    stores: KeyedLocks,
    permits: Arc<Semaphore>,
    /// User message id → the channels its turn's pieces also go to (a streaming caller).
    watchers: Arc<Mutex<HashMap<i64, Vec<UnboundedSender<StreamEvent>>>>>,
    /// Session id → the stop switch of the generation running in it.
    generating: Arc<Mutex<HashMap<i64, CancellationToken>>>,
}

impl Default for Turns {
    fn default() -> Self {
        Self {
            tracker: TaskTracker::new(),
            sessions: KeyedLocks::default(),
            users: KeyedLocks::default(),
            stores: KeyedLocks::default(),
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT_TURNS)),
            watchers: Arc::default(),
            generating: Arc::default(),
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

    /// A channel that receives the pieces of user message `id`'s turn (dropped at its end).
    fn watch(&self, id: MessageId) -> UnboundedReceiver<StreamEvent> {
        let (tx, rx) = unbounded_channel();
        self.watchers.lock().unwrap_or_else(|e| e.into_inner()).entry(id.get()).or_default().push(tx);
        rx
    }

    /// Sends a piece of message `id`'s turn to its watchers.
    fn notify(&self, id: MessageId, ev: StreamEvent) {
        if let Some(list) = self.watchers.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&id.get()) {
            list.retain(|tx| tx.send(ev.clone()).is_ok());
        }
    }

    /// Ends the watch of message `id`'s turn: its watchers' channels close.
    fn unwatch(&self, id: MessageId) {
        self.watchers.lock().unwrap_or_else(|e| e.into_inner()).remove(&id.get());
    }

    /// Registers the generation starting in `session`; returns its stop switch.
    fn start_generation(&self, session: SessionId) -> CancellationToken {
        let token = CancellationToken::new();
        self.generating.lock().unwrap_or_else(|e| e.into_inner()).insert(session.get(), token.clone());
        token
    }

    /// Unregisters the generation of `session` (if `token` is still the current one).
    fn end_generation(&self, session: SessionId, token: &CancellationToken) {
        let mut map = self.generating.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(&session.get()).is_some_and(|t| t == token) {
            map.remove(&session.get());
        }
    }

    /// Stops the generation running in `session`; false when none is.
    fn stop_generation(&self, session: SessionId) -> bool {
        match self.generating.lock().unwrap_or_else(|e| e.into_inner()).get(&session.get()) {
            Some(t) => {
                t.cancel();
                true
            }
            None => false,
        }
    }
}

/// A turn handed to the server: the stored user message, the pieces of its reply as they
/// are generated (the channel closes when the turn ends), and the outcome.
pub struct StreamingTurn {
    pub user_message: Message,
    pub events: UnboundedReceiver<StreamEvent>,
    pub outcome: JoinHandle<AppResult<TurnOutcome>>,
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
    /// A guardrail set by name (the original's `guardrail_config`): the workspace's own or
    /// a preset. Stored on the chat session, so later turns and recovery use it too.
    pub guardrail: Option<String>,
    /// The version the chat's turns use from now on ([`VersionPin`]).
    pub pin: VersionPin,
}

/// Which version a chat answers with, when the request says: kept on the chat session,
/// so later turns and recovery use it too. Stage 2 reads it before the user's assignment
/// and production.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VersionPin {
    /// Leave the chat as it is (the chat page, `POST /chat`).
    #[default]
    Unchanged,
    /// Unpin: the user's assignment or production answers (`model: "persona"`).
    Serving,
    /// Version n of the persona (`model: "persona@v3"`, or a label resolved to its version).
    Version(i64),
}

/// Stores the user's message and runs its turn to the end on a server-owned task; the
/// caller waits for the outcome, but the turn does not depend on the caller staying.
/// Errors (nothing stored): `Invalid` (user id, message; a session of another persona),
/// `NotFound` (persona unknown, deleted or a draft; session not the user's),
/// `Conflict` (persona inactive). An LLM or template failure is not an error: the
/// outcome is [`TurnOutcome::Failed`].
#[tracing::instrument(skip(state, req), fields(workspace_id = %req.workspace_id, user_id = %req.user_id))]
pub async fn submit(state: &AppState, req: TurnRequest) -> AppResult<TurnOutcome> {
    let turn = submit_streaming(state, req).await?;
    join(turn.outcome).await
}

/// The outcome of a turn's task.
pub async fn join(task: JoinHandle<AppResult<TurnOutcome>>) -> AppResult<TurnOutcome> {
    match task.await {
        Ok(outcome) => outcome,
        Err(e) => Err(super::internal("turn task", e)),
    }
}

/// [`submit`] for a caller that shows the reply as it is generated: returns once the
/// message is stored, with the pieces of the reply on a channel and the outcome on a
/// handle. Errors: as [`submit`]; `Conflict` also when `session_id` is a chat with
/// another persona than the one named (the message names the chat's persona).
pub async fn submit_streaming(state: &AppState, req: TurnRequest) -> AppResult<StreamingTurn> {
    let user_id = chat::parse_user_id(&req.user_id)?;
    let text = chat::parse_message(&req.text)?;
    let ws = req.workspace_id;
    // An unknown guardrail is refused before anything is stored or called.
    let guardrail = match req.guardrail.as_deref() {
        Some(name) => Some(super::guardrails::sets::resolve_for_chat(&state.db, ws, name).await?),
        None => None,
    };
    let (at, active) = match req.session_id {
        Some(session_id) => {
            let at = sessions::of_user(&state.db, ws, &user_id, session_id)
                .await?
                .ok_or_else(|| AppError::not_found("chat session"))?;
            // An unknown persona name is 404 even with a session: nothing runs.
            let named = match &req.persona {
                PersonaChoice::First => None,
                choice => Some(chat::chat_persona(&state.db, ws, choice).await?.0),
            };
            if named.is_some_and(|p| p.id != at.persona_id.get()) {
                return Err(AppError::Conflict {
                    message: format!(
                        "this chat is with the persona \"{}\"; start a new chat to talk to another one",
                        at.persona_name
                    ),
                });
            }
            let (_, active) = chat::chat_persona(&state.db, ws, &PersonaChoice::Id(at.persona_id)).await?;
            (at, active)
        }
        None => {
            let choice =
                crate::engine::assignments::persona_choice(&state.db, ws, &user_id, req.persona.clone()).await?;
            let (persona, active) = chat::chat_persona(&state.db, ws, &choice).await?;
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

    if let Some(g) = guardrail {
        super::store::guardrails::set_for_session(&state.db, ws, at.session_id, g).await?;
    }
    match req.pin {
        VersionPin::Unchanged => {}
        VersionPin::Serving => sessions::set_pinned_version(&state.db, ws, at.session_id, None).await?,
        VersionPin::Version(n) => sessions::set_pinned_version(&state.db, ws, at.session_id, Some(n)).await?,
    }
    // Nothing a user sent is ever lost: store first. From here on the turn is the server's.
    let user_message = store_user_message(state, &at, &text).await?;
    let id = MessageId(user_message.id);
    let events = state.turns.watch(id);
    let outcome = {
        let state = state.clone();
        state.turns.tracker.clone().spawn(async move {
            let outcome = run_session(&state, &at, id).await;
            state.turns.unwatch(id);
            outcome
        })
    };
    Ok(StreamingTurn { user_message, events, outcome })
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
    advisory::lock(&mut lock, LockKind::SessionMessages, at.session_id.get()).await?;
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
    advisory::lock(&mut tx, LockKind::UserSessions, end_user.get()).await?;
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
    let ran = in_session(state, at, run_pending(state, at, message_id)).await?;
    match ran {
        Some(outcome) => Ok(outcome),
        None => stored_outcome(&state.db, at.workspace_id, message_id).await,
    }
}

/// Runs `work` holding the session's turn lock (in process, and on PostgreSQL a
/// transaction-scoped advisory lock) and a turn permit.
async fn in_session<T>(
    state: &AppState,
    at: &SessionRef,
    work: impl std::future::Future<Output = AppResult<T>>,
) -> AppResult<T> {
    let _local = state.turns.sessions.lock(at.session_id.get()).await;
    let _permit = state.turns.permits.acquire().await.map_err(|e| super::internal("turn permits", e))?;
    // Held until the work ends, then rolled back explicitly: a dropped transaction's
    // rollback would only be sent when its connection is next used, keeping the lock.
    let mut pg_lock = None;
    if state.db.dialect == Dialect::Postgres {
        let mut tx = state.db.pool.begin().await?;
        advisory::lock(&mut tx, LockKind::SessionTurns, at.session_id.get()).await?;
        pg_lock = Some(tx);
    }
    let ran = work.await;
    if let Some(tx) = pg_lock {
        tx.rollback().await?;
    }
    ran
}

/// The loop of [`run_session`] (the caller holds the locks): pending turns up to
/// `message_id`, oldest first; that message's outcome if this call ran it.
async fn run_pending(state: &AppState, at: &SessionRef, message_id: MessageId) -> AppResult<Option<TurnOutcome>> {
    loop {
        let next = messages::next_with_status(&state.db, at.workspace_id, at.session_id, PENDING, message_id).await?;
        let Some(id) = next else { return Ok(None) };
        let user_message = chat::message(&state.db, at.workspace_id, id).await?;
        let outcome = stages::run_one(state, at, user_message).await?;
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
        (Some("replied" | super::guardrails::BLOCKED), Some(reply)) => TurnOutcome::Replied { user_message, reply },
        (Some("paused"), Some(notice)) => TurnOutcome::Paused { user_message, notice },
        _ => TurnOutcome::Failed { user_message, error: AppError::LlmFailed.to_string() },
    })
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

/// At start-up: enqueues a [`JobKind::Turn`] job for each chat with a turn a previous
/// process left pending (it stopped mid-turn), keyed by the newest pending message so
/// that several processes starting at once add one job each. The job runner then runs
/// them ([`run_job`]). Returns how many jobs were added.
pub async fn resume_pending(state: &AppState) -> AppResult<usize> {
    let pending = sessions::with_status(&state.db, PENDING).await?;
    let mut added = 0;
    for (at, last_pending) in pending {
        let payload = serde_json::json!({
            "message_id": last_pending,
            "session_id": at.session_id,
            "user_id": at.user_id,
        });
        let key = last_pending.to_string();
        if queue::enqueue(&state.db, at.workspace_id, JobKind::Turn, &payload, Some(&key)).await? {
            added += 1;
        }
    }
    if added > 0 {
        tracing::info!(sessions = added, "queued the turns left pending by the previous process");
    }
    Ok(added)
}

/// What a [`JobKind::Turn`] job names.
#[derive(serde::Deserialize)]
struct TurnJob {
    message_id: MessageId,
    session_id: SessionId,
    user_id: String,
}

/// The [`JobKind::Turn`] job: runs the chat's pending turns up to `message_id` through the
/// normal path ([`run_session`], on a tracked task: shutdown waits for it, and LLM jobs
/// wait while it runs). A turn that already ended (another process ran it) is not run
/// again. A failed LLM call is the turn's outcome (the chat offers a retry), not the job's
/// failure. Errors: `Fail` (unreadable payload, the chat or its persona is gone),
/// `Retry` (database).
pub async fn run_job(state: &AppState, ws: WorkspaceId, payload: &serde_json::Value) -> Result<(), JobError> {
    let job: TurnJob =
        serde_json::from_value(payload.clone()).map_err(|e| JobError::Fail(format!("unreadable payload: {e}")))?;
    let at = sessions::of_user(&state.db, ws, &job.user_id, job.session_id)
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?
        .ok_or_else(|| JobError::Fail("the chat or its persona was deleted".into()))?;
    let task = {
        let state = state.clone();
        state.turns.tracker.clone().spawn(async move { run_session(&state, &at, job.message_id).await })
    };
    match task.await {
        Ok(Ok(_outcome)) => Ok(()),
        Ok(Err(e)) => Err(JobError::Retry(e.to_string())),
        Err(e) => Err(JobError::Retry(format!("the turn's task ended: {e}"))),
    }
}
