-- Issue 9: several chats per end user and persona. Keep in step with the other dialect's file.

-- The chat's name as the user gave it; NULL = derived from its first user message.
ALTER TABLE chat_sessions ADD COLUMN title TEXT;
-- When the user archived the chat (ms); NULL = not archived. An archived chat keeps its
-- messages and can be reopened; `POST /chat` without a session never writes into it.
ALTER TABLE chat_sessions ADD COLUMN archived_at BIGINT;
-- Last activity (ms): creation, then each stored message. Orders the user's chat list.
ALTER TABLE chat_sessions ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

UPDATE chat_sessions SET updated_at = COALESCE(
    (SELECT MAX(m.created_at) FROM messages m WHERE m.session_id = chat_sessions.id),
    created_at
);

CREATE INDEX chat_sessions_recent ON chat_sessions (workspace_id, end_user_id, updated_at);
