-- Issue 10: the background job queue, live events across processes, webhook alerts.
-- Keep in step with the other dialect's file.

-- One unit of background work (see app/src/engine/queue.rs). Times are ms since the epoch.
-- state: queued → running → done | failed (a failed attempt below the limit goes back to
-- queued with a later run_after). A running job belongs to the worker in locked_by until
-- locked_until; past it, any worker may claim it again.
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'queued',
    attempts      BIGINT NOT NULL DEFAULT 0,
    max_attempts  BIGINT NOT NULL,
    run_after     BIGINT NOT NULL,
    locked_by     TEXT,
    locked_until  BIGINT,
    error         TEXT,
    dedupe_key    TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    finished_at   BIGINT
);

-- What the claim scans: runnable jobs in order.
CREATE INDEX jobs_runnable ON jobs (state, run_after, id);
-- The dashboard's list: a workspace's jobs by state, newest first.
CREATE INDEX jobs_workspace ON jobs (workspace_id, state, id);
-- Enqueue is idempotent per (kind, dedupe_key) while a job is not finished.
CREATE UNIQUE INDEX jobs_dedupe ON jobs (kind, dedupe_key)
    WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');

-- Live events too big for a NOTIFY payload (8000 bytes): stored here, their id notified.
-- Rows are pruned a few minutes after they were written.
CREATE TABLE live_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    payload     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- The workspace's webhook for alerts (http or https); NULL = none.
ALTER TABLE workspaces ADD COLUMN webhook_url TEXT;
