-- PromptDev initial schema (SQLite). Keep in step with ../postgres/.
-- Conventions: times are BIGINT milliseconds since the Unix epoch (UTC); flags are
-- BIGINT 0/1 (sqlx's Any driver cannot decode SQLite booleans); JSON is TEXT.
-- Every row that belongs to a tenant carries workspace_id, and every query filters on it.

CREATE TABLE workspaces (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id   BIGINT NOT NULL REFERENCES workspaces(id),
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    is_super       BIGINT NOT NULL DEFAULT 0,
    is_active      BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL
);

CREATE TABLE templates (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE template_versions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    template_id   BIGINT NOT NULL REFERENCES templates(id),
    version       BIGINT NOT NULL,
    content       TEXT NOT NULL,
    checksum      TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    author        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (template_id, version)
);

CREATE TABLE end_users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    external_id   TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, external_id)
);

CREATE TABLE chat_sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    end_user_id   BIGINT NOT NULL REFERENCES end_users(id),
    template_id   BIGINT NOT NULL REFERENCES templates(id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX chat_sessions_user ON chat_sessions (workspace_id, end_user_id, template_id);

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    session_id    BIGINT NOT NULL REFERENCES chat_sessions(id),
    end_user_id   BIGINT NOT NULL REFERENCES end_users(id),
    sender        TEXT NOT NULL,
    content       TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX messages_session ON messages (session_id, id);
CREATE INDEX messages_user ON messages (workspace_id, end_user_id, id);

CREATE TABLE user_memory (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    end_user_id   BIGINT NOT NULL REFERENCES end_users(id),
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (end_user_id, key)
);

CREATE TABLE user_state (
    end_user_id   BIGINT PRIMARY KEY REFERENCES end_users(id),
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    halted        BIGINT NOT NULL DEFAULT 0,
    reason        TEXT,
    halted_by     TEXT,
    halted_at     BIGINT
);

CREATE TABLE llm_requests (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id       BIGINT NOT NULL REFERENCES workspaces(id),
    end_user_id        BIGINT REFERENCES end_users(id),
    session_id         BIGINT REFERENCES chat_sessions(id),
    template_id        BIGINT REFERENCES templates(id),
    template_version   BIGINT,
    provider           TEXT NOT NULL,
    model              TEXT NOT NULL,
    messages           TEXT NOT NULL,
    response           TEXT,
    prompt_tokens      BIGINT,
    completion_tokens  BIGINT,
    latency_ms         BIGINT NOT NULL,
    status             TEXT NOT NULL,
    error              TEXT,
    created_at         BIGINT NOT NULL
);
CREATE INDEX llm_requests_ws ON llm_requests (workspace_id, id);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    target        TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL
);
