//! The job runner: claims queued jobs from the database ([`super::store::jobs`]) and runs
//! each with its kind's handler. A top-level module: it depends on the handlers (turn
//! recovery, memory extraction, sentiment, summary, webhooks); only start-up depends on it.
//! Services enqueue through [`super::queue`].
//!
//! - Any number of processes may run one on a PostgreSQL database: a claim locks its rows
//!   (`FOR UPDATE SKIP LOCKED`), so one job goes to one worker. SQLite has one process and
//!   one writer: one job at a time.
//! - A claimed job is leased for [`LEASE`], renewed while it runs; a worker that stops
//!   leaves its lease to run out, then another claims the job again (delivery is at least
//!   once, handlers are idempotent). Only the lease holder can finish a job.
//! - A failed attempt ([`JobError::Retry`], a panic) is tried again after an exponential
//!   backoff ([`backoff_ms`]) until the kind's limit, then the job is `failed` with the
//!   error; [`JobError::Fail`] fails it at once. Nothing a job does touches a chat turn.
//! - Chat turns go first: while turns run or wait in this process, jobs that call the LLM
//!   are not claimed (the embedded model serves one request at a time).

use super::db::Dialect;
use super::queue::{JobError, JobKind};
use super::store::jobs::{self as store, Claimed};
use super::{alerts, memory, now_ms, queue, sentiment, summary, turn, AppState};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How often the runner looks for due jobs when nothing wakes it earlier.
pub const POLL: Duration = Duration::from_millis(500);
/// How long a claim holds a job before another worker may take it; renewed every third.
pub const LEASE: Duration = Duration::from_secs(60);
/// The wait before the second attempt; doubled for each later one, at most [`BACKOFF_MAX_MS`].
pub const BACKOFF_BASE_MS: i64 = 1_000;
/// The longest wait between two attempts (10 minutes).
pub const BACKOFF_MAX_MS: i64 = 600_000;

/// Jobs one process runs at once: several on PostgreSQL, one on SQLite (one writer).
pub fn concurrency(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Postgres => 4,
        Dialect::Sqlite => 1,
    }
}

/// The wait (ms) before the attempt after failed attempt number `attempt` (1-based).
pub fn backoff_ms(attempt: i64) -> i64 {
    let doublings = (attempt - 1).clamp(0, 20) as u32;
    BACKOFF_BASE_MS.saturating_mul(1 << doublings).min(BACKOFF_MAX_MS)
}

/// A running job runner; [`Runner::shutdown`] stops it.
pub struct Runner {
    worker: String,
    cancel: CancellationToken,
    tracker: TaskTracker,
    task: JoinHandle<()>,
    state: AppState,
}

/// Starts the runner of this process on a task of its own.
pub fn start(state: &AppState) -> Runner {
    let worker = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let task = tokio::spawn(run_loop(state.clone(), worker.clone(), cancel.clone(), tracker.clone()));
    Runner { worker, cancel, tracker, task, state: state.clone() }
}

impl Runner {
    /// This process's worker name (`jobs.locked_by`).
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Stops claiming, waits up to `grace` for the running jobs, then gives the unfinished
    /// ones back to the queue (another process, or the next start, runs them). Returns
    /// false when some were still running at the deadline.
    pub async fn shutdown(self, grace: Duration) -> bool {
        self.cancel.cancel();
        let _ = self.task.await;
        self.tracker.close();
        let finished = tokio::time::timeout(grace, self.tracker.wait()).await.is_ok();
        match store::release(&self.state.db, &self.worker, now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "unfinished jobs given back to the queue"),
            Err(e) => tracing::warn!(error = %e, "could not give unfinished jobs back; their leases run out"),
        }
        finished
    }
}

/// The kinds not claimed while chat turns run or wait in this process.
fn llm_kinds() -> Vec<&'static str> {
    JobKind::ALL.into_iter().filter(|k| k.uses_llm()).map(JobKind::as_str).collect()
}

async fn run_loop(state: AppState, worker: String, cancel: CancellationToken, tracker: TaskTracker) {
    let slots = concurrency(state.db.dialect);
    let finished = std::sync::Arc::new(tokio::sync::Notify::new());
    let llm = llm_kinds();
    loop {
        // Registered before the claim, so an enqueue during it is not missed.
        let woken = queue::enqueued().notified();
        let done = finished.notified();
        tokio::pin!(woken, done);
        woken.as_mut().enable();
        done.as_mut().enable();
        let free = slots.saturating_sub(tracker.len());
        if free > 0 {
            let skip: &[&str] = if state.turns.running() > 0 { &llm } else { &[] };
            let now = now_ms();
            let lease_until = now + LEASE.as_millis() as i64;
            match store::claim(&state.db, &worker, now, lease_until, free as i64, skip).await {
                Ok(jobs) => {
                    for job in jobs {
                        let (state, worker, finished) = (state.clone(), worker.clone(), finished.clone());
                        tracker.spawn(async move {
                            run_one(&state, &worker, job).await;
                            finished.notify_one();
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not claim jobs"),
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = &mut woken => {}
            _ = &mut done => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// One attempt of `job`, then its end written (done, queued again, failed) — if this
/// worker still holds it.
async fn run_one(state: &AppState, worker: &str, job: Claimed) {
    let kind = JobKind::parse(&job.kind);
    let result = match kind {
        _ if job.attempts > job.max_attempts => {
            Err(JobError::Fail("gave up: the worker of the last attempt stopped before it ended".into()))
        }
        None => Err(JobError::Fail(format!("unknown job kind {:?}", job.kind))),
        Some(kind) => match serde_json::from_str::<serde_json::Value>(&job.payload) {
            Err(e) => Err(JobError::Fail(format!("unreadable payload: {e}"))),
            Ok(payload) => match attempt(state, worker, &job, kind, payload).await {
                Some(r) => r,
                // Lost the lease: the job is another worker's now.
                None => return,
            },
        },
    };
    let now = now_ms();
    let written = match &result {
        Ok(()) => store::complete(&state.db, job.id, worker, now).await,
        Err(JobError::Retry(e)) if job.attempts < job.max_attempts => {
            let after = now + backoff_ms(job.attempts);
            tracing::info!(job_id = job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed; retrying");
            store::retry_later(&state.db, job.id, worker, e, after, now).await
        }
        Err(JobError::Retry(e)) => {
            let error = format!("{e} (gave up after {} attempts)", job.attempts);
            tracing::warn!(job_id = job.id, kind = %job.kind, %error, "job failed");
            store::fail(&state.db, job.id, worker, &error, now).await
        }
        Err(JobError::Fail(e)) => {
            tracing::warn!(job_id = job.id, kind = %job.kind, error = %e, "job failed");
            store::fail(&state.db, job.id, worker, e, now).await
        }
    };
    match written {
        Ok(true) => {}
        Ok(false) => tracing::warn!(job_id = job.id, "job ended after its lease passed to another worker"),
        Err(e) => tracing::warn!(job_id = job.id, error = %e, "could not record the job's end; its lease runs out"),
    }
}

/// Runs the handler on a task of its own (a panic is a failed attempt), renewing the lease
/// meanwhile. None when the lease was lost (the handler is stopped).
async fn attempt(
    state: &AppState,
    worker: &str,
    job: &Claimed,
    kind: JobKind,
    payload: serde_json::Value,
) -> Option<Result<(), JobError>> {
    let mut handler = tokio::spawn(dispatch(state.clone(), kind, job.workspace_id, payload));
    let mut renew = tokio::time::interval(LEASE / 3);
    renew.tick().await;
    loop {
        tokio::select! {
            r = &mut handler => {
                return Some(match r {
                    Ok(r) => r,
                    Err(e) if e.is_panic() => Err(JobError::Retry("the job's handler panicked".into())),
                    Err(e) => Err(JobError::Retry(format!("the job's task ended: {e}"))),
                });
            }
            _ = renew.tick() => {
                let until = now_ms() + LEASE.as_millis() as i64;
                match store::renew(&state.db, job.id, worker, until).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(job_id = job.id, "lost the job's lease; stopping it");
                        handler.abort();
                        return None;
                    }
                    // The database is away: keep going, the next renewal tries again.
                    Err(e) => tracing::warn!(job_id = job.id, error = %e, "could not renew a job's lease"),
                }
            }
        }
    }
}

/// The kind's handler.
async fn dispatch(
    state: AppState,
    kind: JobKind,
    ws: super::ids::WorkspaceId,
    payload: serde_json::Value,
) -> Result<(), JobError> {
    match kind {
        JobKind::Turn => turn::run_job(&state, ws, &payload).await,
        JobKind::ExtractMemory => memory::extraction::run_job(&state, &payload).await,
        JobKind::ScoreSentiment => sentiment::run_job(&state, &payload).await,
        JobKind::Summarize => summary::run_job(&state, &payload).await,
        JobKind::Webhook => alerts::run_job(&state, ws, &payload).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_up_to_ten_minutes() {
        assert_eq!(backoff_ms(1), 1_000);
        assert_eq!(backoff_ms(2), 2_000);
        assert_eq!(backoff_ms(4), 8_000);
        assert_eq!(backoff_ms(30), BACKOFF_MAX_MS);
        assert_eq!(backoff_ms(0), 1_000);
    }

    #[test]
    fn only_llm_kinds_wait_for_chat_turns() {
        assert_eq!(llm_kinds(), vec!["extract_memory", "score_sentiment", "summarize"]);
    }
}
