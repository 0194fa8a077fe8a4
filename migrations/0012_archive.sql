-- The hot window and the archive (docs/scaling.md §6): orders older than HOT_DAYS, once final, move to
-- R2 (ARCHIVE) as gzip'd NDJSON, one gzip member per order, in parts of one Beijing day. What stays in
-- D1 is one small lookup row per number, the parts' bookkeeping and the run's lease and cursor.

-- One verified R2 object: written, read back and checked (SHA-256 of the bytes, every member decoded)
-- before this row exists. INDEXED: its lookup rows are in and its orders are being deleted; DONE: deleted.
CREATE TABLE archive_parts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  day         INTEGER NOT NULL,                 -- yyyymmdd, the Beijing day the orders were created
  object_key  TEXT NOT NULL UNIQUE,             -- archive/v1/<yyyy-mm-dd>/p<n>-<token>.ndjson.gz
  schema      TEXT NOT NULL,                    -- the last D1 migration applied when it was written
  order_count INTEGER NOT NULL,
  row_count   INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  sha256      TEXT NOT NULL,                    -- of the whole object, as read back
  state       TEXT NOT NULL CHECK (state IN ('INDEXED','DONE')),
  verified_at TEXT NOT NULL,
  done_at     TEXT
);
CREATE INDEX archive_parts_open ON archive_parts (id) WHERE state = 'INDEXED';

-- Number → where its order's member is: one ranged GET. kind 0: an out_trade_no; 1: a payment
-- attempt's payment_no that differs from its order's number (a late notify names it).
CREATE TABLE archive_lookup (
  number  TEXT NOT NULL,
  kind    INTEGER NOT NULL CHECK (kind IN (0, 1)),
  day     INTEGER NOT NULL,
  part    INTEGER NOT NULL,
  pos     INTEGER NOT NULL,                     -- byte offset of the member in the object
  len     INTEGER NOT NULL,                     -- its length in bytes
  PRIMARY KEY (number, kind)
) WITHOUT ROWID;

-- The orders of an INDEXED part not deleted yet, with the fence their rows had when they were read
-- (row counts and change marks, archive/archived-tables-repo.ts): a delete goes ahead only while it still matches.
CREATE TABLE archive_pending (
  part          INTEGER NOT NULL,
  out_trade_no  TEXT NOT NULL,
  fence         TEXT NOT NULL,
  doomed        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (part, out_trade_no)
) WITHOUT ROWID;

-- One run at a time (the lease), and where the sweep has got to (the keyset cursor over orders).
CREATE TABLE archive_state (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  lease_holder TEXT,
  lease_until  INTEGER NOT NULL DEFAULT 0,      -- epoch ms
  cursor_at    TEXT NOT NULL DEFAULT '',        -- orders.created_at of the last order swept
  cursor_no    TEXT NOT NULL DEFAULT ''
);
INSERT INTO archive_state (id) VALUES (1);
