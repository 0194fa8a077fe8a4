-- Raw notify bodies leave the hot tables (docs/scaling.md §5 lever 1, as built): a notification keeps
-- its body in D1 for EVIDENCE_DAYS, then the nightly cron moves it into an R2 part of the archive bucket
-- (one gzip member per body, content-addressed: the member's text hashes to the row's body_sha256)
-- and keeps only where it is: the part and the member's offset and length.
--
-- The table is rebuilt because raw_body becomes NULL-able. Column types follow 0011 (a 32-byte BLOB
-- hash, epoch-ms time); their affinities keep whatever the rows hold (64-character hex and ISO text
-- before 0011 stay as they are), so this runs the same with or without 0011 before it.
CREATE TABLE notifications_v4 (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT NOT NULL CHECK (kind IN ('PAY','REFUND')),
  out_trade_no TEXT,
  body_sha256  BLOB NOT NULL,                   -- 32 bytes (0011); 64 hex characters before it
  raw_body     TEXT,                            -- NULL once moved to R2 (body_part > 0)
  verdict      TEXT NOT NULL,                   -- APPLIED, DUPLICATE, ANOMALY, …
  received_at  INTEGER NOT NULL,                -- epoch ms (0011); ISO text before it
  body_part    INTEGER,                         -- evidence_parts.id once moved; 0: stays in D1 (its text is not what was hashed)
  body_pos     INTEGER,                         -- byte offset of its gzip member in the part
  body_len     INTEGER,                         -- the member's length
  CHECK (raw_body IS NOT NULL OR (body_part > 0 AND body_pos IS NOT NULL AND body_len IS NOT NULL))
);
INSERT INTO notifications_v4 (id, kind, out_trade_no, body_sha256, raw_body, verdict, received_at)
  SELECT id, kind, out_trade_no, body_sha256, raw_body, verdict, received_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_v4 RENAME TO notifications;
CREATE INDEX notifications_order ON notifications (out_trade_no);
-- The bodies still to move, oldest first: only the last EVIDENCE_DAYS of notifies are in it.
CREATE INDEX notifications_body_hot ON notifications (id) WHERE raw_body IS NOT NULL AND body_part IS NULL;

-- One R2 object of moved bodies, written, read back and verified (the object's SHA-256 and every body's)
-- before this row exists. MOVING: its rows are being cleared; DONE: all cleared (or found cleared).
CREATE TABLE evidence_parts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  object_key  TEXT NOT NULL UNIQUE,             -- evidence/v1/<yyyy-mm-dd>/p<token>.gz
  header_len  INTEGER NOT NULL,                 -- the header member (its list of bodies) is bytes [0, header_len)
  body_count  INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  sha256      TEXT NOT NULL,                    -- of the whole object, as read back
  state       TEXT NOT NULL CHECK (state IN ('MOVING','DONE')),
  verified_at TEXT NOT NULL
);
CREATE INDEX evidence_parts_open ON evidence_parts (id) WHERE state = 'MOVING';

-- Where a clearing transaction holds the rows it moves between their delete and their re-insert (the
-- bodies left out): SQLite frees b-tree pages on deletes only, so an UPDATE that empties raw_body would
-- leave its pages allocated and 90 % empty. Empty between transactions.
CREATE TABLE evidence_moving (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,
  out_trade_no TEXT,
  body_sha256  BLOB NOT NULL,
  verdict      TEXT NOT NULL,
  received_at  INTEGER NOT NULL,
  body_part    INTEGER NOT NULL,
  body_pos     INTEGER NOT NULL,
  body_len     INTEGER NOT NULL
);
