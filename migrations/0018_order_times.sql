-- Integer millisecond times for orders (issue 20, docs/scaling.md §5 lever 6), as 0015 did for payment
-- attempts and refunds: every *_at column as epoch ms (INTEGER: 6 bytes instead of 24 characters).
-- Forward-only: never edit this file once applied. Converts existing rows in place. The table is rebuilt
-- (a TEXT column would store a number as text); the other columns, their order, every CHECK, the keys and
-- the indexes are kept. time_end stays WeChat's yyyyMMddHHmmss text (the bill's day).
--
-- orders is the parent of ledger, payment_attempts and refunds (REFERENCES orders): dropping it orphans
-- their rows until the new orders table holds the same numbers again. The foreign keys are deferred to the
-- end of this migration's transaction, and the rows go back into a table named orders (an insert into the
-- parent settles the deferred violations; a rename would not), from a plain copy dropped afterwards.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE orders_0018 AS SELECT out_trade_no, description, total_fee, fee_type, attach, metadata, openid, status, sign_type,
  request_hash, prepay_id, prepay_openid,
  CAST(round((julianday(prepay_expires_at) - 2440587.5) * 86400000.0) AS INTEGER) AS prepay_expires_at,
  transaction_id, bank_type, cash_fee, time_end,
  CAST(round((julianday(paid_at) - 2440587.5) * 86400000.0) AS INTEGER) AS paid_at,
  CAST(round((julianday(closed_at) - 2440587.5) * 86400000.0) AS INTEGER) AS closed_at,
  CAST(round((julianday(last_notify_at) - 2440587.5) * 86400000.0) AS INTEGER) AS last_notify_at,
  CAST(round((julianday(last_synced_at) - 2440587.5) * 86400000.0) AS INTEGER) AS last_synced_at,
  CAST(round((julianday(expires_at) - 2440587.5) * 86400000.0) AS INTEGER) AS expires_at,
  CAST(round((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER) AS created_at,
  CAST(round((julianday(updated_at) - 2440587.5) * 86400000.0) AS INTEGER) AS updated_at,
  prepay_client_ip, refund_reserved_fee, refunded_fee, refund_version,
  CAST(round((julianday(next_check_at) - 2440587.5) * 86400000.0) AS INTEGER) AS next_check_at,
  check_count, payment_no, history_part, history_trade_type
FROM orders;
DROP TABLE orders;
CREATE TABLE orders (
  out_trade_no        TEXT PRIMARY KEY,
  description         TEXT NOT NULL,
  total_fee           INTEGER NOT NULL CHECK (total_fee > 0),
  fee_type            TEXT NOT NULL DEFAULT 'CNY',
  attach              TEXT,
  metadata            TEXT,                     -- merchant JSON, opaque to us
  openid              TEXT,                     -- buyer, from the merchant API or the OAuth session
  status              TEXT NOT NULL CHECK (status IN ('CREATED','NOTPAY','CLOSING','CLOSED','PAID',
                        'PAID_AFTER_CLOSE','PAYERROR','FAILED','REFUNDING','PARTIALLY_REFUNDED','REFUNDED')),
  sign_type           TEXT NOT NULL CHECK (sign_type IN ('MD5','HMAC-SHA256')),
  request_hash        TEXT NOT NULL,            -- SHA-256 of the create body, 32 bytes since 0011
  prepay_id           TEXT,
  prepay_openid       TEXT,                     -- the openid the prepay_id was issued for
  prepay_expires_at   INTEGER,                  -- epoch ms, as are the other *_at
  transaction_id      TEXT UNIQUE,
  bank_type           TEXT,
  cash_fee            INTEGER,
  time_end            TEXT,                     -- WeChat's yyyyMMddHHmmss (Beijing), verbatim
  paid_at             INTEGER,
  closed_at           INTEGER,
  last_notify_at      INTEGER,
  last_synced_at      INTEGER,                  -- last orderquery sync
  expires_at          INTEGER NOT NULL,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  prepay_client_ip    TEXT,                     -- 0002
  refund_reserved_fee INTEGER NOT NULL DEFAULT 0  -- 0004
    CHECK (refund_reserved_fee >= 0 AND refund_reserved_fee <= total_fee),
  refunded_fee        INTEGER NOT NULL DEFAULT 0
    CHECK (refunded_fee >= 0 AND refunded_fee <= refund_reserved_fee),
  refund_version      INTEGER NOT NULL DEFAULT 0,
  next_check_at       INTEGER,                  -- 0005
  check_count         INTEGER NOT NULL DEFAULT 0,
  payment_no          TEXT,                     -- 0009
  history_part        INTEGER,                  -- 0017
  history_trade_type  TEXT
);
INSERT INTO orders SELECT * FROM orders_0018;
DROP TABLE orders_0018;
CREATE INDEX orders_created ON orders (created_at, out_trade_no);
CREATE INDEX orders_status_created ON orders (status, created_at, out_trade_no);
CREATE INDEX orders_lifecycle ON orders (next_check_at) WHERE status IN ('CREATED','NOTPAY','CLOSING');
CREATE INDEX orders_time_end ON orders (time_end, out_trade_no) WHERE time_end IS NOT NULL;
CREATE INDEX orders_payer ON orders (COALESCE(prepay_openid, openid), created_at);
CREATE INDEX orders_history_hot ON orders (created_at, out_trade_no) WHERE history_part IS NULL;

-- The archive's sweep cursors are orders.created_at of the last order swept (whole orders: cursor_at;
-- histories, 0017: history_at): the same instants, now as the decimal text of their epoch ms (the columns
-- stay TEXT; '' is still the start).
UPDATE archive_state SET cursor_at = CAST(round((julianday(cursor_at) - 2440587.5) * 86400000.0) AS INTEGER)
  WHERE cursor_at <> '' AND julianday(cursor_at) IS NOT NULL;
UPDATE archive_state SET history_at = CAST(round((julianday(history_at) - 2440587.5) * 86400000.0) AS INTEGER)
  WHERE history_at <> '' AND julianday(history_at) IS NOT NULL;
