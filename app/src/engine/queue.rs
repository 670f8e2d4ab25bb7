//! The job queue's public face: what kinds of background work exist and how to enqueue
//! one. A leaf module (only the store below it), so the pipeline and every service can
//! enqueue without depending on the runner ([`super::jobs`]), which depends on them.
//!
//! Delivery is at least once: a handler may see the same job again after a crash or an
//! expired lease, so every handler is idempotent.

use super::db::Db;
use super::ids::WorkspaceId;
use crate::error::{AppError, AppResult};
use crate::types::{JobFilter, JobInfo, JobPage, JOB_STATES};

/// What a job does; stored as its `kind` text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Run a chat turn whose user message is stored as pending (recovery after a crash).
    /// Payload: `{"message_id", "session_id", "user_id"}`.
    Turn,
    /// Ask the LLM for durable facts about the user after a turn. Payload:
    /// `{"workspace_id", "session_id", "message_id"}` (the user message the facts come from).
    ExtractMemory,
    /// Score one user message's sentiment. Payload: `{"workspace_id", "message_id"}`.
    ScoreSentiment,
    /// Summarize the turns of a chat older than its history budget. Payload: `{"session_id"}`
    /// (the workspace is the session's).
    Summarize,
    /// POST an alert to the workspace's webhook. Payload: the alert JSON.
    Webhook,
}

impl JobKind {
    /// Every kind, in a fixed order.
    pub const ALL: [JobKind; 5] =
        [JobKind::Turn, JobKind::ExtractMemory, JobKind::ScoreSentiment, JobKind::Summarize, JobKind::Webhook];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Turn => "turn",
            JobKind::ExtractMemory => "extract_memory",
            JobKind::ScoreSentiment => "score_sentiment",
            JobKind::Summarize => "summarize",
            JobKind::Webhook => "webhook",
        }
    }

    /// The kind with this stored name.
    pub fn parse(s: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the job calls the LLM (on the embedded model it waits while chat turns are
    /// queued).
    pub fn uses_llm(self) -> bool {
        matches!(self, JobKind::ExtractMemory | JobKind::ScoreSentiment | JobKind::Summarize)
    }

    /// Attempts before the job is `failed`: a webhook receiver may be down for a while;
    /// the LLM jobs and turn recovery give up sooner.
    pub fn max_attempts(self) -> i64 {
        match self {
            JobKind::Webhook => 5,
            JobKind::Turn | JobKind::ExtractMemory | JobKind::ScoreSentiment | JobKind::Summarize => 3,
        }
    }
}

/// Why a job handler did not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt later (provider down, timeout): retried with backoff until
    /// the kind's attempt limit, then `failed`.
    #[error("retry: {0}")]
    Retry(String),
    /// Will never work (the message was deleted, the payload is unreadable): `failed` now.
    #[error("failed: {0}")]
    Fail(String),
}

/// Enqueues a job to run as soon as a worker is free. With a `dedupe_key`, a job of the
/// same kind and key that is still queued or running is not added again (returns false).
/// Wakes this process's runner at once (others poll). Errors: database.
pub async fn enqueue(
    db: &Db,
    ws: WorkspaceId,
    kind: JobKind,
    payload: &serde_json::Value,
    dedupe_key: Option<&str>,
) -> AppResult<bool> {
    let added =
        super::store::jobs::insert(db, ws, kind.as_str(), payload, dedupe_key, kind.max_attempts(), super::now_ms())
            .await?;
    if added {
        enqueued().notify_waiters();
    }
    Ok(added)
}

/// Signalled on every enqueue in this process; the runner waits on it between polls.
/// Process-wide rather than in the state because [`enqueue`] only gets the database: a
/// wake-up meant for one runner reaching another (tests run several apps in one process)
/// only makes it poll early.
pub fn enqueued() -> &'static tokio::sync::Notify {
    static ENQUEUED: std::sync::LazyLock<tokio::sync::Notify> = std::sync::LazyLock::new(tokio::sync::Notify::new);
    &ENQUEUED
}

/// Most jobs one page lists.
pub const MAX_PAGE: i64 = 200;

/// The workspace's jobs matching `filter` (state and kind checked; limit clamped to
/// 1..=[`MAX_PAGE`], default 50), newest first. Errors: `Invalid` (unknown state or kind).
pub async fn list(db: &Db, ws: WorkspaceId, filter: &JobFilter) -> AppResult<JobPage> {
    let state = filter.state.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = state {
        if !JOB_STATES.contains(&s) {
            return Err(AppError::invalid("state", "state is queued, running, done or failed"));
        }
    }
    let kind = filter.kind.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(k) = kind {
        if JobKind::parse(k).is_none() {
            let names: Vec<&str> = JobKind::ALL.iter().map(|k| k.as_str()).collect();
            return Err(AppError::invalid("kind", format!("kind is one of {}", names.join(", "))));
        }
    }
    let limit = filter.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let offset = filter.offset.unwrap_or(0).max(0);
    super::store::jobs::list(db, ws, state, kind, limit, offset).await
}

/// Queues a failed job again (attempts from zero). Errors: `NotFound` (not the
/// workspace's job), `Conflict` (not failed, or the same work is already queued).
pub async fn retry(db: &Db, ws: WorkspaceId, id: i64) -> AppResult<JobInfo> {
    let job = super::store::jobs::requeue_failed(db, ws, id, super::now_ms()).await?;
    enqueued().notify_waiters();
    Ok(job)
}
