//! `jobs`: the background job queue (see `engine::queue` and `engine::jobs`).
//!
//! A job is claimed by one worker at a time: the claim sets `locked_by` and a lease
//! (`locked_until`), and every later write of the attempt's end names the worker
//! (`WHERE id = $1 AND locked_by = $2 AND state = 'running'`), so a worker whose lease
//! ran out and was claimed by another cannot finish the job a second time.

use crate::engine::db::{Db, Dialect};
use crate::engine::ids::WorkspaceId;
use crate::error::{AppError, AppResult};
use crate::types::{JobInfo, JobPage};

/// Adds a queued job runnable from `now` (ms), failed after `max_attempts`. With
/// `dedupe_key`, nothing is added when a job of this kind and key is queued or running;
/// returns whether a row was added.
pub async fn insert(
    db: &Db,
    ws: WorkspaceId,
    kind: &str,
    payload: &serde_json::Value,
    dedupe_key: Option<&str>,
    max_attempts: i64,
    now: i64,
) -> AppResult<bool> {
    // Without a conflict target: the partial unique index (kind, dedupe_key) of unfinished
    // jobs is the only unique constraint an insert can hit.
    let r = sqlx::query(
        "INSERT INTO jobs (workspace_id, kind, payload, state, attempts, max_attempts, run_after, dedupe_key, \
         created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $5, $5) ON CONFLICT DO NOTHING",
    )
    .bind(ws)
    .bind(kind)
    .bind(payload.to_string())
    .bind(max_attempts)
    .bind(now)
    .bind(dedupe_key)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A job a worker claimed: what it needs to run one attempt.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub kind: String,
    pub payload: String,
    /// This attempt's number (1 for the first).
    pub attempts: i64,
    pub max_attempts: i64,
}

/// Claims up to `limit` runnable jobs for `worker` until `lease_until` (ms): queued ones
/// due by `now`, and running ones whose lease ran out (their worker stopped). Kinds in
/// `skip_kinds` are left for later. On PostgreSQL, concurrent claims by other processes
/// skip the rows this one locks (`FOR UPDATE SKIP LOCKED`); SQLite has one writer.
pub async fn claim(
    db: &Db,
    worker: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
    skip_kinds: &[&str],
) -> AppResult<Vec<Claimed>> {
    // Placeholders $5… for the skipped kinds (the Any driver binds no arrays).
    let skip = if skip_kinds.is_empty() {
        String::new()
    } else {
        let marks: Vec<String> = (0..skip_kinds.len()).map(|i| format!("${}", i + 5)).collect();
        format!(" AND kind NOT IN ({})", marks.join(", "))
    };
    let lock = if db.dialect == Dialect::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, \
         updated_at = $3 WHERE id IN (SELECT id FROM jobs WHERE ((state = 'queued' AND run_after <= $3) \
         OR (state = 'running' AND locked_until < $3)){skip} ORDER BY run_after, id LIMIT $4{lock}) \
         RETURNING id, workspace_id, kind, payload, attempts, max_attempts"
    );
    let mut q = sqlx::query_as::<_, Claimed>(&sql).bind(worker).bind(lease_until).bind(now).bind(limit);
    for k in skip_kinds {
        q = q.bind(*k);
    }
    let mut rows = q.fetch_all(&db.pool).await?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Extends `worker`'s lease on job `id` to `lease_until`; false when it is no longer theirs.
pub async fn renew(db: &Db, id: i64, worker: &str, lease_until: i64) -> AppResult<bool> {
    let r = sqlx::query("UPDATE jobs SET locked_until = $3 WHERE id = $1 AND locked_by = $2 AND state = 'running'")
        .bind(id)
        .bind(worker)
        .bind(lease_until)
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Marks job `id` done if `worker` still holds it; false when it does not (nothing changes).
pub async fn complete(db: &Db, id: i64, worker: &str, now: i64) -> AppResult<bool> {
    let r = sqlx::query(
        "UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, error = NULL, updated_at = $3, \
         finished_at = $3 WHERE id = $1 AND locked_by = $2 AND state = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Puts job `id` back in the queue until `run_after` with the attempt's `error`, if
/// `worker` still holds it.
pub async fn retry_later(db: &Db, id: i64, worker: &str, error: &str, run_after: i64, now: i64) -> AppResult<bool> {
    let r = sqlx::query(
        "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL, error = $3, run_after = $4, \
         updated_at = $5 WHERE id = $1 AND locked_by = $2 AND state = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(error)
    .bind(run_after)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Marks job `id` failed with `error`, if `worker` still holds it.
pub async fn fail(db: &Db, id: i64, worker: &str, error: &str, now: i64) -> AppResult<bool> {
    let r = sqlx::query(
        "UPDATE jobs SET state = 'failed', locked_by = NULL, locked_until = NULL, error = $3, updated_at = $4, \
         finished_at = $4 WHERE id = $1 AND locked_by = $2 AND state = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(error)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// At shutdown: gives `worker`'s unfinished jobs back to the queue, runnable now, the
/// interrupted attempt not counted. Returns how many.
pub async fn release(db: &Db, worker: &str, now: i64) -> AppResult<u64> {
    let r = sqlx::query(
        "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL, run_after = $2, \
         attempts = attempts - 1, updated_at = $2 WHERE locked_by = $1 AND state = 'running'",
    )
    .bind(worker)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected())
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    kind: String,
    state: String,
    attempts: i64,
    max_attempts: i64,
    run_after: i64,
    error: Option<String>,
    payload: String,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

impl TryFrom<JobRow> for JobInfo {
    type Error = super::Corrupt;

    fn try_from(r: JobRow) -> Result<Self, Self::Error> {
        Ok(JobInfo {
            id: r.id,
            payload: super::json("jobs.payload", &r.payload)?,
            kind: r.kind,
            state: r.state,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            run_after: r.run_after,
            error: r.error,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        })
    }
}

const COLUMNS: &str =
    "id, kind, state, attempts, max_attempts, run_after, error, payload, created_at, updated_at, finished_at";

/// The workspace's jobs in `state` and of `kind` (None = any), newest first.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    state: Option<&str>,
    kind: Option<&str>,
    limit: i64,
    offset: i64,
) -> AppResult<JobPage> {
    let filter = "WHERE workspace_id = $1 AND ($2 IS NULL OR state = $2) AND ($3 IS NULL OR kind = $3)";
    let rows: Vec<JobRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs {filter} ORDER BY id DESC LIMIT $4 OFFSET $5"))
            .bind(ws)
            .bind(state)
            .bind(kind)
            .bind(limit)
            .bind(offset)
            .fetch_all(&db.pool)
            .await?;
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM jobs {filter}"))
        .bind(ws)
        .bind(state)
        .bind(kind)
        .fetch_one(&db.pool)
        .await?;
    Ok(JobPage { jobs: super::convert(rows)?, total, offset, limit })
}

/// Job `id` of the workspace, if any.
pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> AppResult<Option<JobInfo>> {
    let row: Option<JobRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1 AND workspace_id = $2"))
            .bind(id)
            .bind(ws)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(JobInfo::try_from).transpose()?)
}

/// Queues failed job `id` again, attempts from zero, runnable at `now`. Errors: `NotFound`
/// (not the workspace's), `Conflict` (not failed; or the same work is queued again already).
pub async fn requeue_failed(db: &Db, ws: WorkspaceId, id: i64, now: i64) -> AppResult<JobInfo> {
    let r = sqlx::query(
        "UPDATE jobs SET state = 'queued', attempts = 0, run_after = $3, error = NULL, finished_at = NULL, \
         updated_at = $3 WHERE id = $1 AND workspace_id = $2 AND state = 'failed'",
    )
    .bind(id)
    .bind(ws)
    .bind(now)
    .execute(&db.pool)
    .await;
    let r = match r {
        Ok(r) => r,
        Err(e) if crate::engine::is_unique_violation(&e) => {
            return Err(AppError::Conflict { message: "the same job is already queued or running".into() })
        }
        Err(e) => return Err(e.into()),
    };
    let job = get(db, ws, id).await?.ok_or_else(|| AppError::not_found("job"))?;
    if r.rows_affected() == 0 {
        return Err(AppError::Conflict {
            message: format!("only a failed job can be retried; this one is {}", job.state),
        });
    }
    Ok(job)
}

/// Jobs of every workspace by state: (state, count), for the metrics.
pub async fn counts_by_state(db: &Db) -> AppResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as("SELECT state, CAST(COUNT(*) AS BIGINT) FROM jobs GROUP BY state").fetch_all(&db.pool).await?)
}
