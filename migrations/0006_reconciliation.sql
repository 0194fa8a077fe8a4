-- T+1 reconciliation (src/worker/reconciliation): one run per Beijing bill date with its chunk
-- progress and both sides' totals, and the items (differences) of the day's current report.
-- Money in INTEGER fen; the bill's 5-decimal 手续费 in INTEGER 1/1000 fen (*_millifen). Times UTC ISO-8601.

CREATE TABLE reconciliation_runs (
  bill_date        TEXT PRIMARY KEY,          -- yyyyMMdd, Beijing
  status           TEXT NOT NULL CHECK (status IN ('PENDING','RUNNING','BALANCED','DISCREPANCIES','NO_BILL','ERROR')),
  generation       INTEGER NOT NULL,          -- +1 per (re-)run; a step of an older generation changes nothing
  phase            TEXT NOT NULL CHECK (phase IN ('FETCH','BILL','LOCAL','REFUNDS','DONE')),
  next_chunk       INTEGER NOT NULL DEFAULT 0, -- BILL: the next staged chunk to match
  chunk_count      INTEGER NOT NULL DEFAULT 0, -- chunks staged by FETCH
  local_cursor     TEXT NOT NULL DEFAULT '',   -- LOCAL / REFUNDS: keyset cursor (last key done)
  attempts         INTEGER NOT NULL DEFAULT 0, -- bill fetch attempts of this generation
  next_attempt_at  TEXT,                       -- PENDING: when the bill is fetched (again)
  error            TEXT,                       -- ERROR: a short reason, never upstream text
  no_bill          INTEGER NOT NULL DEFAULT 0, -- WeChat answered 20002 No Bill Exist
  bill_records           INTEGER,
  bill_payment_count     INTEGER,
  bill_paid_fee          INTEGER,
  bill_refund_count      INTEGER,
  bill_refund_fee        INTEGER,
  bill_service_millifen  INTEGER,
  local_payment_count    INTEGER,
  local_paid_fee         INTEGER,
  local_refund_count     INTEGER,
  local_refund_fee       INTEGER,
  requested_at     TEXT NOT NULL,
  finished_at      TEXT,
  updated_at       TEXT NOT NULL
);
CREATE INDEX reconciliation_runs_status ON reconciliation_runs (status, next_attempt_at);

CREATE TABLE reconciliation_items (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  bill_date      TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('MISSING_LOCALLY','MISSING_AT_WECHAT','AMOUNT_MISMATCH','STATUS_MISMATCH',
                   'REFUND_MISSING_LOCALLY','REFUND_MISSING_AT_WECHAT','REFUND_AMOUNT_MISMATCH')),
  ref            TEXT NOT NULL,                -- out_trade_no (payments) or out_refund_no (refunds)
  out_trade_no   TEXT,
  transaction_id TEXT,
  out_refund_no  TEXT,
  refund_id      TEXT,
  resolution     TEXT NOT NULL CHECK (resolution IN ('OPEN','APPLIED')),
  bill           TEXT,                         -- JSON: the bill's values (fen), or null
  local          TEXT,                         -- JSON: our values (fen), or null
  note           TEXT,
  generation     INTEGER NOT NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  UNIQUE (bill_date, kind, ref)
);

-- The local side of a day: paid orders by WeChat's time_end (yyyyMMddHHmmss, Beijing).
CREATE INDEX orders_time_end ON orders (time_end, out_trade_no) WHERE time_end IS NOT NULL;
