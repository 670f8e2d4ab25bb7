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
//! 3. [`run_one`]: halted → pause notice, no LLM; else the `production` version, the
//!    context (memory, history window), render, the LLM with the version's settings,
//!    then the reply and the `llm_requests` row. Every stored message is published.
//!
//! Resuming a halted user answers the last unanswered message of each of their chats
//! ([`answer_after_resume`]); pending turns left by a crash are run at start-up
//! ([`resume_pending`]).

use super::chat::{
    self, build_messages, complete, history_window, is_halted, log_request, memory_map, MessageMeta, PersonaChoice,
    RequestLog, SessionRef, TurnInput,
};
use super::db::{Db, Dialect};
use super::llm::{FinishReason, LlmError};
use super::{now_ms, personas, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{Message, Sender, TurnOutcome, UserState, PAUSE_NOTICE, UNAVAILABLE_NOTICE};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedMutexGuard, Semaphore};
use tokio_util::task::TaskTracker;

/// `turn_status` of a user message whose turn has not finished.
pub const PENDING: &str = "pending";
/// Most turns that call the LLM at once in one process. Each holds a database connection
/// for its lock on PostgreSQL (pool: 16), so this leaves half the pool to the queries.
pub const MAX_CONCURRENT_TURNS: usize = 8;

/// Async locks by key (a session or an end user id): FIFO per key, entries dropped when
/// nobody holds or waits for them.
#[derive(Clone, Default)]
pub struct KeyedLocks(Arc<Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>);

/// Held while a key is locked; unlocks on drop.
pub struct KeyedGuard {
    key: i64,
    map: Arc<Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl KeyedLocks {
    /// Waits for `key`, in the order callers asked.
    pub async fn lock(&self, key: i64) -> KeyedGuard {
        let lock = self.0.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_default().clone();
        let guard = lock.lock_owned().await;
        KeyedGuard { key, map: self.0.clone(), guard: Some(guard) }
    }

    /// Keys with a holder or a waiter (for tests).
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for KeyedGuard {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(&self.key).is_some_and(|l| Arc::strong_count(l) == 1) {
            map.remove(&self.key);
        }
    }
}

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
    pub workspace_id: i64,
    /// The end user, as the caller's identity decided it (cookie, operator on behalf of).
    pub user_id: String,
    pub persona: PersonaChoice,
    /// One of the user's chat sessions; None = their latest with the persona (created on
    /// the first message).
    pub session_id: Option<i64>,
    pub text: String,
}

/// Stores the user's message and runs its turn to the end on a server-owned task; the
/// caller waits for the outcome, but the turn does not depend on the caller staying.
/// Errors (nothing stored): `Invalid` (user id, message; a session of another persona),
/// `NotFound` (persona unknown, deleted or a draft; session not the user's),
/// `Conflict` (persona inactive). An LLM or template failure is not an error: the
/// outcome is [`TurnOutcome::Failed`].
#[tracing::instrument(skip(state, req), fields(workspace_id = req.workspace_id, user_id = %req.user_id))]
pub async fn submit(state: &AppState, req: TurnRequest) -> AppResult<TurnOutcome> {
    let user_id = chat::parse_user_id(&req.user_id)?;
    let text = chat::parse_message(&req.text)?;
    let ws = req.workspace_id;
    let (at, active) = match req.session_id {
        Some(session_id) => {
            let at = session_of(&state.db, ws, &user_id, session_id).await?;
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
            let session_id = ensure_session(state, ws, end_user_id, persona.id).await?;
            let at = SessionRef {
                workspace_id: ws,
                user_id,
                end_user_id,
                session_id,
                persona_id: persona.id,
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
        let id = user_message.id;
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
    let _local = state.turns.stores.lock(at.session_id).await;
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

/// The user's session `session_id`. Errors: `NotFound` when it is not theirs (or the
/// user never chatted), so ids of other users' chats tell nothing.
async fn session_of(db: &Db, workspace_id: i64, user_id: &str, session_id: i64) -> AppResult<SessionRef> {
    let row = sqlx::query(
        "SELECT s.end_user_id, s.template_id, t.name FROM chat_sessions s JOIN end_users u ON u.id = s.end_user_id \
         JOIN templates t ON t.id = s.template_id \
         WHERE s.workspace_id = $1 AND s.id = $2 AND u.external_id = $3 AND t.deleted_at IS NULL",
    )
    .bind(workspace_id)
    .bind(session_id)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(|| AppError::not_found("chat session"))?;
    Ok(session_ref(&row, workspace_id, user_id, session_id)?)
}

/// A [`SessionRef`] from a row with the session's `end_user_id`, `template_id` and the
/// persona's `name`.
fn session_ref(
    row: &sqlx::any::AnyRow,
    workspace_id: i64,
    user_id: &str,
    session_id: i64,
) -> Result<SessionRef, sqlx::Error> {
    Ok(SessionRef {
        workspace_id,
        user_id: user_id.to_string(),
        end_user_id: row.try_get("end_user_id")?,
        session_id,
        persona_id: row.try_get("template_id")?,
        persona_name: row.try_get("name")?,
    })
}

/// The user's latest chat session with this persona, created if there is none yet. The
/// first messages of a new user sent at once create one session: creation is serialised
/// per user (in process, and on PostgreSQL by an advisory lock).
async fn ensure_session(state: &AppState, workspace_id: i64, end_user_id: i64, persona_id: i64) -> AppResult<i64> {
    if let Some(id) = chat::latest_session(&state.db, workspace_id, end_user_id, persona_id).await? {
        return Ok(id);
    }
    let _local = state.turns.users.lock(end_user_id).await;
    if state.db.dialect != Dialect::Postgres {
        // One process owns an SQLite file: the in-process lock is enough (and a read-then-
        // write transaction could fail with SQLITE_BUSY_SNAPSHOT under concurrent writers).
        if let Some(id) = chat::latest_session(&state.db, workspace_id, end_user_id, persona_id).await? {
            return Ok(id);
        }
        return insert_session(&state.db.pool, workspace_id, end_user_id, persona_id).await;
    }
    let mut tx = state.db.pool.begin().await?;
    // Two-key advisory locks live apart from the one-key ones used for sessions.
    sqlx::query("SELECT 1 AS locked FROM pg_advisory_xact_lock(1, CAST($1 AS INTEGER))")
        .bind(end_user_id)
        .execute(&mut *tx)
        .await?;
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM chat_sessions WHERE workspace_id = $1 AND end_user_id = $2 AND template_id = $3 ORDER BY id DESC LIMIT 1",
    )
    .bind(workspace_id)
    .bind(end_user_id)
    .bind(persona_id)
    .fetch_optional(&mut *tx)
    .await?;
    let id = match existing {
        Some(id) => id,
        None => insert_session(&mut *tx, workspace_id, end_user_id, persona_id).await?,
    };
    tx.commit().await?;
    Ok(id)
}

async fn insert_session<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    workspace_id: i64,
    end_user_id: i64,
    persona_id: i64,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO chat_sessions (workspace_id, end_user_id, template_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(workspace_id)
    .bind(end_user_id)
    .bind(persona_id)
    .bind(now_ms())
    .fetch_one(db)
    .await?)
}

/// Runs the session's pending turns in message order up to and including `message_id`,
/// then returns that message's outcome (run here, or by whoever held the lock before).
async fn run_session(state: &AppState, at: &SessionRef, message_id: i64) -> AppResult<TurnOutcome> {
    let _local = state.turns.sessions.lock(at.session_id).await;
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
async fn run_pending(state: &AppState, at: &SessionRef, message_id: i64) -> AppResult<Option<TurnOutcome>> {
    loop {
        let next = sqlx::query(
            "SELECT id FROM messages WHERE workspace_id = $1 AND session_id = $2 AND turn_status = $3 AND id <= $4 \
             ORDER BY id LIMIT 1",
        )
        .bind(at.workspace_id)
        .bind(at.session_id)
        .bind(PENDING)
        .bind(message_id)
        .fetch_optional(&state.db.pool)
        .await?;
        let Some(row) = next else { return Ok(None) };
        let id: i64 = row.try_get("id")?;
        let user_message = chat::message(&state.db, at.workspace_id, id).await?;
        let outcome = run_one(state, at, user_message).await?;
        if id == message_id {
            return Ok(Some(outcome));
        }
    }
}

/// The outcome of a finished turn, read back from what it stored.
async fn stored_outcome(db: &Db, workspace_id: i64, message_id: i64) -> AppResult<TurnOutcome> {
    let user_message = chat::message(db, workspace_id, message_id).await?;
    let status: Option<String> = sqlx::query_scalar("SELECT turn_status FROM messages WHERE id = $1")
        .bind(message_id)
        .fetch_one(&db.pool)
        .await?;
    let answer: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM messages WHERE workspace_id = $1 AND reply_to = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(workspace_id)
    .bind(message_id)
    .fetch_optional(&db.pool)
    .await?;
    let answer = match answer {
        Some(id) => Some(chat::message(db, workspace_id, id).await?),
        None => None,
    };
    Ok(match (status.as_deref(), answer) {
        (Some("replied"), Some(reply)) => TurnOutcome::Replied { user_message, reply },
        (Some("paused"), Some(notice)) => TurnOutcome::Paused { user_message, notice },
        _ => TurnOutcome::Failed { user_message, error: AppError::LlmFailed.to_string() },
    })
}

async fn set_turn_status(db: &Db, message_id: i64, status: &str) -> AppResult<()> {
    sqlx::query("UPDATE messages SET turn_status = $1 WHERE id = $2")
        .bind(status)
        .bind(message_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// One turn for a stored user message (the caller holds the session's lock).
async fn run_one(state: &AppState, at: &SessionRef, user_message: Message) -> AppResult<TurnOutcome> {
    let ws = at.workspace_id;
    let answering = |reply_to| MessageMeta { reply_to: Some(reply_to), ..Default::default() };

    // Halted: the pause notice, no LLM.
    if is_halted(&state.db, ws, at.end_user_id).await? {
        let notice =
            chat::store_message_with(state, at, Sender::Notice, PAUSE_NOTICE, answering(user_message.id)).await?;
        set_turn_status(&state.db, user_message.id, "paused").await?;
        return Ok(TurnOutcome::Paused { user_message, notice });
    }
    let failed = |user_message: Message| TurnOutcome::Failed { user_message, error: AppError::LlmFailed.to_string() };

    // The version `production` points to (a persona unpublished meanwhile has none).
    let version = match personas::production(&state.db, ws, at.persona_id).await {
        Ok(v) => v,
        Err(AppError::NotFound { .. }) => {
            tracing::warn!(persona_id = at.persona_id, "persona has no production version");
            set_turn_status(&state.db, user_message.id, "failed").await?;
            return Ok(failed(user_message));
        }
        Err(e) => return Err(e),
    };
    // The context.
    let history = history_window(&state.db, ws, at.session_id, user_message.id, state.config.history_window).await?;
    let memory = memory_map(&state.db, ws, at.end_user_id).await?;
    let input =
        TurnInput { user_id: &at.user_id, current_message: &user_message.content, history: &history, memory: &memory };
    let mut log = RequestLog {
        end_user_id: Some(at.end_user_id),
        session_id: Some(at.session_id),
        template_id: Some(at.persona_id),
        template_version: Some(version.version),
        ..RequestLog::new(state, ws, "chat", &version.settings)
    };

    // Render.
    let messages =
        match build_messages(version.kind, &version.content, &version.variables, &serde_json::Map::new(), &input) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, version = version.version, "persona failed to render");
                log.status = "render_error";
                log.error = Some(e.to_string());
                log_request(state, log).await?;
                set_turn_status(&state.db, user_message.id, "failed").await?;
                return Ok(failed(user_message));
            }
        };
    log.messages = &messages;

    // The LLM, with the version's model settings.
    let started = Instant::now();
    let (result, provider, model) = complete(state, &version.settings, messages.clone()).await;
    log.latency_ms = started.elapsed().as_millis() as i64;
    log.provider = provider;
    log.model = model;
    match result {
        Ok(c) if !c.content.trim().is_empty() => {
            log.prompt_tokens = Some(c.prompt_tokens);
            log.completion_tokens = Some(c.completion_tokens);
            log.response = Some(&c.content);
            log_request(state, log).await?;
            let meta = MessageMeta {
                reply_to: Some(user_message.id),
                persona_version: Some(version.version),
                truncated: c.finish_reason == FinishReason::Length,
                ..Default::default()
            };
            let reply = chat::store_message_with(state, at, Sender::Assistant, &c.content, meta).await?;
            set_turn_status(&state.db, user_message.id, "replied").await?;
            Ok(TurnOutcome::Replied { user_message, reply })
        }
        other => {
            let err = match other {
                Err(e) => e,
                Ok(_) => LlmError::Protocol("empty completion".into()),
            };
            tracing::warn!(error = %err, "LLM call failed");
            log.status = "error";
            log.error = Some(err.to_string());
            log_request(state, log).await?;
            set_turn_status(&state.db, user_message.id, "failed").await?;
            Ok(failed(user_message))
        }
    }
}

/// Starts a background turn for `message_id` (already stored as pending) in `at`.
fn spawn_turn(state: &AppState, at: SessionRef, message_id: i64) {
    let state2 = state.clone();
    state.turns.tracker.spawn(async move {
        if let Err(e) = run_session(&state2, &at, message_id).await {
            tracing::error!(error = %e, session_id = at.session_id, message_id, "background turn failed");
        }
    });
}

/// After a resume: in each of the user's chats whose last user message has no assistant
/// reply after it (pause notices and operator messages do not count), runs a turn for
/// that message in the background; replies are pushed live. Returns how many turns started.
pub async fn answer_after_resume(state: &AppState, workspace_id: i64, user_id: &str) -> AppResult<usize> {
    let rows = sqlx::query(
        "SELECT s.id AS session_id, s.end_user_id, s.template_id, t.name, \
         (SELECT MAX(m.id) FROM messages m WHERE m.session_id = s.id AND m.sender = 'user') AS last_user \
         FROM chat_sessions s JOIN end_users u ON u.id = s.end_user_id JOIN templates t ON t.id = s.template_id \
         WHERE s.workspace_id = $1 AND u.external_id = $2 AND t.deleted_at IS NULL",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_all(&state.db.pool)
    .await?;
    let mut started = 0;
    for r in rows {
        let Some(last_user) = r.try_get::<Option<i64>, _>("last_user")? else { continue };
        let session_id: i64 = r.try_get("session_id")?;
        let answered: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE session_id = $1 AND id > $2 AND sender = 'assistant' LIMIT 1",
        )
        .bind(session_id)
        .bind(last_user)
        .fetch_optional(&state.db.pool)
        .await?;
        if answered.is_some() {
            continue;
        }
        set_turn_status(&state.db, last_user, PENDING).await?;
        spawn_turn(state, session_ref(&r, workspace_id, user_id, session_id)?, last_user);
        started += 1;
    }
    Ok(started)
}

/// Resumes a halted user ([`super::monitor::resume`]) and answers what they sent while
/// halted ([`answer_after_resume`]). Errors: `NotFound` (user).
pub async fn resume(state: &AppState, workspace_id: i64, user_id: &str, by: &str) -> AppResult<UserState> {
    let st = super::monitor::resume(state, workspace_id, user_id, by).await?;
    answer_after_resume(state, workspace_id, user_id).await?;
    Ok(st)
}

/// At start-up: runs the turns a previous process left pending (it stopped mid-turn).
pub async fn resume_pending(state: &AppState) -> AppResult<usize> {
    let rows = sqlx::query(
        "SELECT m.workspace_id, m.session_id, MAX(m.id) AS last_pending, s.end_user_id, s.template_id, t.name, u.external_id \
         FROM messages m JOIN chat_sessions s ON s.id = m.session_id JOIN templates t ON t.id = s.template_id \
         JOIN end_users u ON u.id = s.end_user_id WHERE m.turn_status = $1 \
         GROUP BY m.workspace_id, m.session_id, s.end_user_id, s.template_id, t.name, u.external_id",
    )
    .bind(PENDING)
    .fetch_all(&state.db.pool)
    .await?;
    let count = rows.len();
    for r in rows {
        let user_id: String = r.try_get("external_id")?;
        let at = session_ref(&r, r.try_get("workspace_id")?, &user_id, r.try_get("session_id")?)?;
        spawn_turn(state, at, r.try_get("last_pending")?);
    }
    if count > 0 {
        tracing::info!(sessions = count, "running turns left pending by the previous process");
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keyed_locks_serialise_one_key_and_forget_it_afterwards() {
        let locks = KeyedLocks::default();
        let g = locks.lock(7).await;
        // Another key is free.
        let other = tokio::time::timeout(Duration::from_millis(50), locks.lock(8)).await;
        assert!(other.is_ok());
        drop(other);
        // The same key waits until the first guard goes.
        assert!(tokio::time::timeout(Duration::from_millis(50), locks.lock(7)).await.is_err());
        drop(g);
        let again = tokio::time::timeout(Duration::from_millis(50), locks.lock(7)).await.expect("free again");
        drop(again);
        assert!(locks.is_empty(), "unused keys are dropped");
    }
}
