-- Issue 10: memory with provenance, automatic extraction with an approval queue, sentiment.
-- Keep in step with the other dialect's file.

-- Who or what set a memory entry: `operator` (dashboard), `api` (REST API), `extraction`
-- (the memory job). `set_by`: the operator's email (for `extraction`, the operator who
-- approved it; NULL when written without approval). `source_message_id`: the user message
-- an extracted fact came from (no foreign key: the entry outlives a deleted message).
ALTER TABLE user_memory ADD COLUMN source TEXT NOT NULL DEFAULT 'operator';
ALTER TABLE user_memory ADD COLUMN set_by TEXT;
ALTER TABLE user_memory ADD COLUMN source_message_id BIGINT;

-- Per persona: automatic memory `off` | `on` | `approval`; sentiment scoring 0/1.
ALTER TABLE templates ADD COLUMN memory_extraction TEXT NOT NULL DEFAULT 'off';
ALTER TABLE templates ADD COLUMN sentiment_enabled BIGINT NOT NULL DEFAULT 0;
-- Per chat: NULL = as the persona says; 0/1 overrides it.
ALTER TABLE chat_sessions ADD COLUMN sentiment_enabled BIGINT;

-- Facts the memory job extracted, waiting for an operator (`approval` personas):
-- `pending` → `approved` (written to user_memory, maybe edited) | `rejected`.
CREATE TABLE memory_candidates (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id      BIGINT NOT NULL REFERENCES workspaces(id),
    end_user_id       BIGINT NOT NULL REFERENCES end_users(id) ON DELETE CASCADE,
    session_id        BIGINT REFERENCES chat_sessions(id) ON DELETE CASCADE,
    source_message_id BIGINT NOT NULL,
    key               TEXT NOT NULL,
    value             TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending',
    created_at        BIGINT NOT NULL,
    decided_by        TEXT,
    decided_at        BIGINT,
    UNIQUE (source_message_id, key)
);
CREATE INDEX memory_candidates_status ON memory_candidates (workspace_id, status, id);

-- One score per user message (the sentiment job).
CREATE TABLE message_sentiment (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id      BIGINT NOT NULL REFERENCES workspaces(id),
    message_id        BIGINT NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
    session_id        BIGINT NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
    end_user_id       BIGINT NOT NULL REFERENCES end_users(id) ON DELETE CASCADE,
    valence           REAL NOT NULL,
    arousal           REAL NOT NULL,
    dominance         REAL NOT NULL,
    trust             REAL NOT NULL,
    engagement        REAL NOT NULL,
    overall_sentiment REAL NOT NULL,
    confidence        REAL NOT NULL,
    model             TEXT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX message_sentiment_session ON message_sentiment (workspace_id, session_id, message_id);
CREATE INDEX message_sentiment_user ON message_sentiment (workspace_id, end_user_id, message_id);
