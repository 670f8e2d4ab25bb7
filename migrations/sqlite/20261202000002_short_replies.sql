-- Issue 7, item 10: the seeded default persona (Ava) gets the new default max_tokens, 160
-- (a companion's reply of one to three sentences; 256 let the small model ramble).
-- Only version 1 as seeded (note and content checksum unchanged) and only while it still
-- holds the old default (256, or nothing stored: a database from before settings existed);
-- every other version keeps what it stores. The repetition penalty is not stored: versions
-- without one get the default (on). Keep in step with ../postgres/.

UPDATE template_versions
SET settings = json_set(settings, '$.max_tokens', 160)
WHERE version = 1
  AND note = 'Default persona'
  AND checksum = 'f11776a1b5e047f59378b2f2e6cd0cdfe610cb86c6ae3b902113030469fa49eb'
  AND json_valid(settings)
  AND COALESCE(json_extract(settings, '$.max_tokens'), 256) = 256;
