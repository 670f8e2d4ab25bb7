-- Issue 11 (keep in step with the other dialect): API keys per workspace, and the version
-- an OpenAI-compatible request pinned a chat to (`model: "persona@v3"` or `persona@label`).
--
-- A key is shown once; only its SHA-256 is kept (the key is 190 random bits, so a fast
-- hash is enough — a password needs argon2 because people choose weak ones). `prefix` is
-- the key's first characters, shown in the list so an operator can tell keys apart.
-- `scopes` is a comma-separated subset of chat, read, manage.
CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_by    BIGINT NOT NULL REFERENCES accounts(id),
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id, created_at);

-- NULL: the chat's version is the user's assignment or production, as before.
ALTER TABLE chat_sessions ADD COLUMN pinned_version BIGINT;
