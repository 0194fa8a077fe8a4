-- Collecting orphaned R2 objects (docs/scaling.md §6, "Orphans"): a run cut after its object was written
-- or verified, before D1 recorded it, leaves an object that no archive_parts or evidence_parts row names.
-- The nightly job lists the bucket's two prefixes in turn, a few pages a run, resuming after the last key
-- it handled; this row is where it stopped.
CREATE TABLE archive_orphans (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  prefix    TEXT NOT NULL DEFAULT 'archive/v1/', -- the prefix being listed: archive/v1/ or evidence/v1/
  after_key TEXT NOT NULL DEFAULT '',            -- the last key handled ('' : the prefix from its start)
  moved_at  INTEGER NOT NULL DEFAULT 0           -- epoch ms of the run that moved it last
);
INSERT INTO archive_orphans (id) VALUES (1);
