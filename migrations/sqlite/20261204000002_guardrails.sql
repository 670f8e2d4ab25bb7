-- Issue 10: guardrails (sqlite). Keep in step with the other dialect's file.
-- Rule sets per workspace; workspace_id NULL = a preset every workspace may use.
-- `rules` is a JSON array (see app::types::GuardrailRule).
CREATE TABLE guardrails (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    description   TEXT,
    rules         TEXT NOT NULL DEFAULT '[]',
    is_active     BIGINT NOT NULL DEFAULT 1,
    created_by    TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
-- One name per workspace; presets share the namespace 0.
CREATE UNIQUE INDEX guardrails_name ON guardrails ((COALESCE(workspace_id, 0)), name);

-- Guardrail hits: which rule did what to which message. `message_id` is the user's
-- message (input rules) or the stored reply (output rules); names are copied, so a hit
-- stays readable after its rule set is edited or deleted.
CREATE TABLE guardrail_hits (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    message_id    BIGINT NOT NULL,
    session_id    BIGINT NOT NULL,
    guardrail     TEXT NOT NULL,
    rule          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    action        TEXT NOT NULL,
    excerpt       TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX guardrail_hits_message ON guardrail_hits (workspace_id, message_id);

-- The rule set a persona uses (NULL: none); a chat session's own choice (the request's
-- `guardrail_config`) wins over its persona's.
ALTER TABLE templates ADD COLUMN guardrail_id BIGINT REFERENCES guardrails(id);
ALTER TABLE chat_sessions ADD COLUMN guardrail_id BIGINT REFERENCES guardrails(id);

-- Presets (workspace_id NULL): the original's three, same descriptions and instructions,
-- plus companion_safety. Workspaces read and copy them, never change them.
INSERT INTO guardrails (workspace_id, name, description, rules, is_active, created_by, created_at, updated_at) VALUES
(NULL, 'unrestricted', 'No content filtering - full model capabilities', '[]', 1, 'system', 0, 0),
(NULL, 'research_safe', 'Academic research mode with source citation requirements',
 '[{"type": "system_instruction", "content": "Always cite sources and maintain academic rigor."}]', 1, 'system', 0, 0),
(NULL, 'clinical', 'Healthcare-appropriate responses with medical disclaimers',
 '[{"type": "system_instruction", "content": "Include appropriate medical disclaimers and recommend professional consultation."}]', 1, 'system', 0, 0),
(NULL, 'companion_safety', 'Companion safety: self-harm, abuse and age signals halt the conversation for review',
 '[{"type": "system_instruction", "priority": 10, "content": "If the user mentions self-harm, abuse or being under 18, stop any romantic or sexual roleplay, answer with care and encourage them to contact someone they trust or local emergency services."},
   {"type": "block_input", "name": "self-harm", "action": "halt", "keywords": ["kill myself", "killing myself", "suicide", "suicidal", "end my life", "want to die", "hurt myself", "self harm", "self-harm", "cut myself", "cutting myself"]},
   {"type": "block_input", "name": "abuse", "action": "halt", "keywords": ["abuses me", "being abused", "molested me"], "regex": "(?i)\\b(?:he|she|they|my (?:dad|father|mom|mother|stepdad|stepmom|husband|wife|boyfriend|girlfriend|partner|brother|uncle))\\s+(?:hits|beats|hurts|chokes|kicks|slaps|punches)\\s+me\\b"},
   {"type": "block_input", "name": "minor", "action": "halt", "keywords": ["i am a minor", "i\u0027m a minor", "in middle school"], "regex": "(?i)\\b(?:i\u0027?m|i am)\\s+(?:only\\s+|just\\s+)?(?:1[0-7]|[1-9])(?:\\s*(?:years?|yrs?)\\s*old|\\s*yo)?\\s*(?:[.!?,]|$)"},
   {"type": "block_output", "name": "unsafe-reply", "action": "block", "regex": "(?i)\\b(?:how to (?:kill|hurt) yourself|you should (?:kill|hurt) yourself)\\b", "reply": "I can\u0027t help with that. If you are struggling, please reach out to someone you trust or your local emergency number."}]',
 1, 'system', 0, 0);
