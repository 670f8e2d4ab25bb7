-- Issue 9: streamed replies, stop, regenerate. Keep in step with the other dialect's file.

-- Time to first token of a streamed completion (ms from the request to the first piece);
-- NULL for requests that streamed nothing (errors before the first token, old rows).
ALTER TABLE llm_requests ADD COLUMN ttft_ms BIGINT;
-- Prompt tokens the provider reused from an earlier request (the embedded model's cache).
ALTER TABLE llm_requests ADD COLUMN cached_tokens BIGINT;

-- 1 when an assistant reply's generation was stopped or failed after its first token.
ALTER TABLE messages ADD COLUMN incomplete BIGINT NOT NULL DEFAULT 0;
-- A regenerated reply is one message with several versions: how many, and which one
-- (1-based) is in content (the one later turns see).
ALTER TABLE messages ADD COLUMN alternates BIGINT NOT NULL DEFAULT 1;
ALTER TABLE messages ADD COLUMN alternate BIGINT NOT NULL DEFAULT 1;

-- Every version of a regenerated reply (written at the first regenerate: version 1 is the
-- original). A reply never regenerated has no rows here.
CREATE TABLE message_alternates (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id      BIGINT NOT NULL REFERENCES workspaces(id),
    message_id        BIGINT NOT NULL REFERENCES messages(id),
    position          BIGINT NOT NULL,
    content           TEXT NOT NULL,
    template_version  BIGINT,
    truncated         BIGINT NOT NULL DEFAULT 0,
    incomplete        BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    UNIQUE (message_id, position)
);
