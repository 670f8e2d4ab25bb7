-- Issue 10: the running summary of a chat's older turns, and what went into each turn.
-- Keep in step with the other dialect's file.

-- One summary per chat session: what the summary job wrote about the messages that fell
-- out of the history window, up to and including `through_message_id` (in conversation
-- order), and how many conversational messages that is. Replaced (compare-and-set on
-- `through_message_id`) each time newly dropped messages are folded in.
CREATE TABLE chat_summaries (
    session_id          BIGINT PRIMARY KEY REFERENCES chat_sessions(id) ON DELETE CASCADE,
    workspace_id        BIGINT NOT NULL REFERENCES workspaces(id),
    content             TEXT NOT NULL,
    through_message_id  BIGINT NOT NULL,
    covered             BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);

-- The turn's context as JSON (template version, memory, summary, sentiment, guardrail
-- instructions, hidden notes, history): what the inspector shows and a fork reuses.
-- NULL for rows from before this migration and for calls that are not chat turns.
ALTER TABLE llm_requests ADD COLUMN context TEXT;
-- The user message a chat turn answered (NULL for other calls). No foreign key: the
-- request log outlives deleted chats.
ALTER TABLE llm_requests ADD COLUMN message_id BIGINT;
CREATE INDEX llm_requests_message ON llm_requests (workspace_id, message_id);
