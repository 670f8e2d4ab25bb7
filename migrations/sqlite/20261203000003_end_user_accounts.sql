-- Issue 9: end-user accounts and who may chat. Keep in step with the other dialect's file.

-- An end user's login: email (lower-cased, unique per workspace), an argon2id hash and a
-- display name. All NULL for users who only come through the chat cookie or an API.
ALTER TABLE end_users ADD COLUMN email TEXT;
ALTER TABLE end_users ADD COLUMN display_name TEXT;
ALTER TABLE end_users ADD COLUMN password_hash TEXT;
-- 0 = deactivated: cannot log in, and a live login stops working at its next request.
ALTER TABLE end_users ADD COLUMN is_active BIGINT NOT NULL DEFAULT 1;
-- Last change of the account (ms); 0 for rows from before this migration.
ALTER TABLE end_users ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
-- Last login (ms); NULL = never logged in.
ALTER TABLE end_users ADD COLUMN last_seen BIGINT;
UPDATE end_users SET updated_at = created_at;

-- NULLs are distinct in both dialects: any number of users without an email.
CREATE UNIQUE INDEX end_users_email ON end_users (workspace_id, email);

-- Whether a browser known only by its chat cookie may chat in the workspace (1 = yes, the
-- default, so a fresh install chats without setup).
ALTER TABLE workspaces ADD COLUMN anonymous_chat BIGINT NOT NULL DEFAULT 1;
