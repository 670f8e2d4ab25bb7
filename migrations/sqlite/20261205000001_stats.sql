-- Issue 11: pre-aggregated statistics for the Overview (sqlite). Keep in step with the
-- postgres file. Built by engine::stats::aggregate from the raw tables, one closed UTC hour
-- at a time; the hours after the watermark are read from the raw tables directly.

-- One row per (workspace, hour, persona, version, model, kind). `kind` says which raw
-- table a row sums ('request', 'message', 'hit', 'sentiment'); its other counters are 0.
-- template_id / template_version 0: none (a request outside a persona, an operator
-- message); model '' for rows that are not requests. Latency columns count chat turns
-- that succeeded; lat_le_N counts those at or under N ms (cumulative, like Prometheus).
CREATE TABLE stats_hourly (
    workspace_id       BIGINT NOT NULL,
    hour               BIGINT NOT NULL,
    template_id        BIGINT NOT NULL,
    template_version   BIGINT NOT NULL,
    model              TEXT NOT NULL,
    kind               TEXT NOT NULL,
    requests           BIGINT NOT NULL DEFAULT 0,
    chat_requests      BIGINT NOT NULL DEFAULT 0,
    chat_errors        BIGINT NOT NULL DEFAULT 0,
    latency_sum_ms     BIGINT NOT NULL DEFAULT 0,
    latency_n          BIGINT NOT NULL DEFAULT 0,
    ttft_sum_ms        BIGINT NOT NULL DEFAULT 0,
    ttft_n             BIGINT NOT NULL DEFAULT 0,
    lat_le_250         BIGINT NOT NULL DEFAULT 0,
    lat_le_500         BIGINT NOT NULL DEFAULT 0,
    lat_le_1000        BIGINT NOT NULL DEFAULT 0,
    lat_le_2000        BIGINT NOT NULL DEFAULT 0,
    lat_le_4000        BIGINT NOT NULL DEFAULT 0,
    lat_le_8000        BIGINT NOT NULL DEFAULT 0,
    lat_le_16000       BIGINT NOT NULL DEFAULT 0,
    prompt_tokens      BIGINT NOT NULL DEFAULT 0,
    completion_tokens  BIGINT NOT NULL DEFAULT 0,
    user_messages      BIGINT NOT NULL DEFAULT 0,
    replies            BIGINT NOT NULL DEFAULT 0,
    operator_messages  BIGINT NOT NULL DEFAULT 0,
    guardrail_hits     BIGINT NOT NULL DEFAULT 0,
    sentiment_sum      DOUBLE PRECISION NOT NULL DEFAULT 0,
    sentiment_n        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, hour, template_id, template_version, model, kind)
);

-- Per chat, over the aggregated hours: when it started and was last written to, the
-- version of its first reply, how many messages and how many an operator wrote.
CREATE TABLE stats_chats (
    session_id         BIGINT PRIMARY KEY,
    workspace_id       BIGINT NOT NULL,
    template_id        BIGINT NOT NULL,
    first_version      BIGINT NOT NULL,
    started_at         BIGINT NOT NULL,
    last_at            BIGINT NOT NULL,
    messages           BIGINT NOT NULL,
    operator_messages  BIGINT NOT NULL
);
CREATE INDEX stats_chats_started ON stats_chats (workspace_id, started_at);

-- Per end user: the UTC day (ms) of their first reply, the persona and version of it,
-- and whether they came back on day 1 and day 7 after it (N-day retention).
CREATE TABLE stats_cohorts (
    end_user_id        BIGINT PRIMARY KEY,
    workspace_id       BIGINT NOT NULL,
    first_day          BIGINT NOT NULL,
    template_id        BIGINT NOT NULL,
    template_version   BIGINT NOT NULL,
    day1               BIGINT NOT NULL DEFAULT 0,
    day7               BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX stats_cohorts_day ON stats_cohorts (workspace_id, first_day);

-- Hours before this (ms, an hour boundary) are in the tables above. One row.
CREATE TABLE stats_watermark (
    id     BIGINT PRIMARY KEY,
    until  BIGINT NOT NULL
);
INSERT INTO stats_watermark (id, until) VALUES (1, 0);

-- Range scans by time: the aggregation's hour, active users, the request log.
CREATE INDEX messages_recent ON messages (workspace_id, created_at, sender, end_user_id);
CREATE INDEX llm_requests_user ON llm_requests (workspace_id, end_user_id, created_at);
CREATE INDEX llm_requests_recent ON llm_requests (workspace_id, created_at);
CREATE INDEX guardrail_hits_recent ON guardrail_hits (workspace_id, created_at);
CREATE INDEX message_sentiment_recent ON message_sentiment (workspace_id, created_at);
CREATE INDEX user_state_halted ON user_state (workspace_id, halted);

-- What a model costs the workspace (USD per million tokens), for the estimated cost.
CREATE TABLE model_prices (
    workspace_id              BIGINT NOT NULL REFERENCES workspaces(id),
    model                     TEXT NOT NULL,
    prompt_usd_per_mtok       DOUBLE PRECISION NOT NULL,
    completion_usd_per_mtok   DOUBLE PRECISION NOT NULL,
    updated_at                BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, model)
);

-- The request log's retention: after this many days a request keeps its figures and
-- loses its texts (messages sent, reply, context). NULL: keep them.
ALTER TABLE workspaces ADD COLUMN request_body_days BIGINT;
ALTER TABLE llm_requests ADD COLUMN bodies_dropped BIGINT NOT NULL DEFAULT 0;
CREATE INDEX llm_requests_persona ON llm_requests (workspace_id, template_id, id);
