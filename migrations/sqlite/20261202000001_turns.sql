-- Issue 7: turns that outlive their request, one at a time per chat session.
-- Keep in step with the other dialect's file.

-- On a user message: pending (stored, its turn not finished) | replied | paused | failed.
-- NULL on other senders and on user messages stored before this migration.
ALTER TABLE messages ADD COLUMN turn_status TEXT;
-- On a reply or pause notice: the user message it answers.
ALTER TABLE messages ADD COLUMN reply_to BIGINT;
-- On an assistant reply: the persona version that wrote it.
ALTER TABLE messages ADD COLUMN template_version BIGINT;
-- 1 when an assistant reply stopped at max_tokens (finish reason `length`).
ALTER TABLE messages ADD COLUMN truncated BIGINT NOT NULL DEFAULT 0;
CREATE INDEX messages_pending ON messages (session_id, turn_status, id);

-- The original API answers a memory write with its `memory_id`: the row id, stable across updates.
ALTER TABLE user_memory ADD COLUMN id BIGINT;
UPDATE user_memory SET id = rowid;
CREATE TRIGGER user_memory_id AFTER INSERT ON user_memory BEGIN
    UPDATE user_memory SET id = NEW.rowid WHERE rowid = NEW.rowid;
END;
