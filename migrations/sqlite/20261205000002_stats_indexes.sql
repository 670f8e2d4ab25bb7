-- Issue 11, measured on a 5,000,000-message workspace (sqlite; keep in step with the postgres
-- file). Reading every chat and cohort of a 30-day range cost ~50 ms on SQLite; these
-- per-day sums of stats_chats and stats_cohorts (rebuilt for the days an aggregation
-- touches) are what the Overview reads instead. And the start-up search for turns left
-- pending scanned every message; it reads messages_turn_status instead.
CREATE TABLE stats_chat_days (
    workspace_id       BIGINT NOT NULL,
    day                BIGINT NOT NULL,
    template_id        BIGINT NOT NULL,
    first_version      BIGINT NOT NULL,
    chats              BIGINT NOT NULL,
    messages           BIGINT NOT NULL,
    duration_ms        BIGINT NOT NULL,
    taken_over         BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, day, template_id, first_version)
);
CREATE TABLE stats_cohort_days (
    workspace_id       BIGINT NOT NULL,
    day                BIGINT NOT NULL,
    template_id        BIGINT NOT NULL,
    template_version   BIGINT NOT NULL,
    users              BIGINT NOT NULL,
    day1               BIGINT NOT NULL,
    day7               BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, day, template_id, template_version)
);
-- Which chats an aggregation touched (their last message is in its range).
CREATE INDEX stats_chats_last ON stats_chats (workspace_id, last_at, started_at);
CREATE INDEX messages_turn_status ON messages (turn_status, session_id);
