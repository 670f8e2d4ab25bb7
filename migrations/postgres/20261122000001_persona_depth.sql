-- Issue 3: model settings, kinds and declared variables per version; labels and their
-- moves; active / shared / soft-deleted personas; clone sources; request sources.
-- Keep in step with ../sqlite/.

ALTER TABLE templates ADD COLUMN is_active BIGINT NOT NULL DEFAULT 1;
ALTER TABLE templates ADD COLUMN is_shared BIGINT NOT NULL DEFAULT 0;
-- Soft delete: the name is moved to deleted_name (so it can be reused) until a restore.
ALTER TABLE templates ADD COLUMN deleted_at BIGINT;
ALTER TABLE templates ADD COLUMN deleted_by TEXT;
ALTER TABLE templates ADD COLUMN deleted_name TEXT;
-- Where a clone came from (another workspace's shared persona; no foreign key across tenants).
ALTER TABLE templates ADD COLUMN source_template_id BIGINT;
ALTER TABLE templates ADD COLUMN source_version BIGINT;
ALTER TABLE templates ADD COLUMN source_workspace TEXT;
ALTER TABLE templates ADD COLUMN source_name TEXT;

-- kind: chat | text. settings: ModelSettings JSON. variables: declared variables JSON.
ALTER TABLE template_versions ADD COLUMN kind TEXT NOT NULL DEFAULT 'chat';
ALTER TABLE template_versions ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE template_versions ADD COLUMN variables TEXT NOT NULL DEFAULT '[]';

-- chat | playground | draft
ALTER TABLE llm_requests ADD COLUMN source TEXT NOT NULL DEFAULT 'chat';

CREATE TABLE template_labels (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    template_id   BIGINT NOT NULL REFERENCES templates(id),
    name          TEXT NOT NULL,
    version       BIGINT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (template_id, name)
);

CREATE TABLE label_moves (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    template_id   BIGINT NOT NULL REFERENCES templates(id),
    label         TEXT NOT NULL,
    from_version  BIGINT,
    to_version    BIGINT,
    actor         TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX label_moves_template ON label_moves (template_id, id);

-- Until now chat used the latest version: production starts there.
INSERT INTO template_labels (workspace_id, template_id, name, version, updated_by, updated_at)
SELECT t.workspace_id, t.id, 'production', MAX(v.version), 'migration', MAX(v.created_at)
FROM templates t JOIN template_versions v ON v.template_id = t.id
GROUP BY t.workspace_id, t.id;
