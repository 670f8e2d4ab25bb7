-- Issue 10: interventions, the audit log, the live wall. Keep in step with the other dialect's file.

-- Every change as before → after (JSON; NULL = created / deleted, or an entry that is
-- not a change: see `detail`).
ALTER TABLE audit_log ADD COLUMN before_json TEXT;
ALTER TABLE audit_log ADD COLUMN after_json TEXT;
-- The audit page (newest first, filtered) and "the last operator action on a user".
CREATE INDEX audit_log_recent ON audit_log (workspace_id, created_at, id);
CREATE INDEX audit_log_target ON audit_log (workspace_id, target, created_at);

-- A message an operator wrote or edited (a takeover, a sent draft): the operator's email,
-- and 1 when it was a draft the operator changed. Shown to operators only.
ALTER TABLE messages ADD COLUMN author TEXT;
ALTER TABLE messages ADD COLUMN edited BIGINT NOT NULL DEFAULT 0;

-- Hidden notes: context an operator gives the persona for the next replies of one chat.
-- Never a message, so no chat query can show them to the user. No foreign keys on the
-- user and the chat: deleting either leaves the note unreachable (ids are not reused).
CREATE TABLE operator_notes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    end_user_id   BIGINT NOT NULL,
    session_id    BIGINT NOT NULL,
    author        TEXT NOT NULL,
    content       TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX operator_notes_session ON operator_notes (workspace_id, session_id, id);

-- A persona, label or pinned version assigned to one end user (a test, a rescue). NULL
-- columns are not assigned; a pinned version needs the persona it belongs to.
CREATE TABLE assignments (
    end_user_id   BIGINT PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    persona_id    BIGINT,
    label         TEXT,
    version       BIGINT,
    assigned_by   TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX assignments_label ON assignments (workspace_id, label);

-- When each operator last opened a user's conversation: the newest message id they saw
-- (unread = messages with a greater id).
CREATE TABLE operator_seen (
    workspace_id     BIGINT NOT NULL REFERENCES workspaces(id),
    operator         TEXT NOT NULL,
    end_user_id      BIGINT NOT NULL,
    seen_message_id  BIGINT NOT NULL,
    seen_at          BIGINT NOT NULL,
    PRIMARY KEY (end_user_id, operator)
);

-- The wall's text search and persona filter.
CREATE INDEX chat_sessions_template ON chat_sessions (workspace_id, template_id, end_user_id);
