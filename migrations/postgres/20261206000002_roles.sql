-- Issue 11 (keep in step with the other dialect): an operator's role in their workspace —
-- viewer (reads only), editor (changes personas, guardrails, memory, conversations),
-- owner (also keys, members, workspace settings). Every operator so far created their own
-- workspace, so each is its owner.
ALTER TABLE accounts ADD COLUMN role TEXT NOT NULL DEFAULT 'owner';
