-- Integer millisecond times for payment attempts and refunds (issue 20, docs/scaling.md §5 lever 6): their
-- *_at columns as epoch ms (INTEGER: 6 bytes instead of 24 characters).
-- Forward-only: never edit this file once applied. Converts existing rows in place. The
-- tables are rebuilt (a TEXT column would store a number as text); keys, the other columns, their order and the
-- indexes are kept. time_end stays WeChat's yyyyMMddHHmmss text (the bill's day).
CREATE TABLE payment_attempts_v2 (
  payment_no     TEXT PRIMARY KEY CHECK (length(payment_no) BETWEEN 1 AND 32),
  out_trade_no   TEXT NOT NULL REFERENCES orders (out_trade_no),
  trade_type     TEXT NOT NULL CHECK (trade_type IN ('JSAPI','MINIPROGRAM','NATIVE','MWEB','APP')),
  appid          TEXT,
  openid         TEXT,
  client_ip      TEXT,
  prepay_id      TEXT,
  code_url       TEXT,
  mweb_url       TEXT,
  status         TEXT NOT NULL CHECK (status IN ('PENDING','PAID','CLOSED','REFUNDING','REFUNDED')),
  transaction_id TEXT UNIQUE,
  expires_at     INTEGER NOT NULL,            -- epoch ms, as are the other *_at
  paid_at        INTEGER,
  time_end       TEXT,
  closed_at      INTEGER,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
INSERT INTO payment_attempts_v2 (payment_no, out_trade_no, trade_type, appid, openid, client_ip, prepay_id, code_url, mweb_url,
  status, transaction_id, expires_at, paid_at, time_end, closed_at, created_at, updated_at)
SELECT payment_no, out_trade_no, trade_type, appid, openid, client_ip, prepay_id, code_url, mweb_url, status, transaction_id,
  CAST(round((julianday(expires_at) - 2440587.5) * 86400000.0) AS INTEGER),
  CAST(round((julianday(paid_at) - 2440587.5) * 86400000.0) AS INTEGER),
  time_end,
  CAST(round((julianday(closed_at) - 2440587.5) * 86400000.0) AS INTEGER),
  CAST(round((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER),
  CAST(round((julianday(updated_at) - 2440587.5) * 86400000.0) AS INTEGER)
FROM payment_attempts;
DROP TABLE payment_attempts;
ALTER TABLE payment_attempts_v2 RENAME TO payment_attempts;
CREATE INDEX payment_attempts_order ON payment_attempts (out_trade_no, created_at);
CREATE INDEX payment_attempts_open ON payment_attempts (created_at) WHERE status = 'PENDING';

CREATE TABLE refunds_v2 (
  out_refund_no     TEXT PRIMARY KEY CHECK (length(out_refund_no) BETWEEN 1 AND 64),
  out_trade_no      TEXT NOT NULL REFERENCES orders (out_trade_no),
  refund_fee        INTEGER NOT NULL CHECK (refund_fee > 0),
  total_fee         INTEGER NOT NULL CHECK (total_fee > 0 AND refund_fee <= total_fee),
  reason            TEXT,
  status            TEXT NOT NULL CHECK (status IN ('SUBMITTING','PROCESSING','SUCCESS','CHANGE','REFUNDCLOSE','FAILED')),
  refund_id         TEXT UNIQUE,
  failure_reason    TEXT,
  request_hash      TEXT NOT NULL,              -- 32 bytes since 0011 (an automatic refund's marker: text)
  attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_attempt_at   INTEGER,                    -- epoch ms, as are the other *_at
  last_synced_at    INTEGER,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  succeeded_at      INTEGER,
  payment_no        TEXT,
  duplicate         INTEGER NOT NULL DEFAULT 0 CHECK (duplicate IN (0, 1)),
  automatic         INTEGER NOT NULL DEFAULT 0 CHECK (automatic IN (0, 1) AND automatic >= duplicate),
  CHECK ((status = 'SUCCESS') = (succeeded_at IS NOT NULL))
);
INSERT INTO refunds_v2 (out_refund_no, out_trade_no, refund_fee, total_fee, reason, status, refund_id, failure_reason, request_hash,
  attempts, last_attempt_at, last_synced_at, created_at, updated_at, succeeded_at, payment_no, duplicate, automatic)
SELECT out_refund_no, out_trade_no, refund_fee, total_fee, reason, status, refund_id, failure_reason, request_hash, attempts,
  CAST(round((julianday(last_attempt_at) - 2440587.5) * 86400000.0) AS INTEGER),
  CAST(round((julianday(last_synced_at) - 2440587.5) * 86400000.0) AS INTEGER),
  CAST(round((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER),
  CAST(round((julianday(updated_at) - 2440587.5) * 86400000.0) AS INTEGER),
  CAST(round((julianday(succeeded_at) - 2440587.5) * 86400000.0) AS INTEGER),
  payment_no, duplicate, automatic
FROM refunds;
DROP TABLE refunds;
ALTER TABLE refunds_v2 RENAME TO refunds;
CREATE INDEX refunds_order ON refunds (out_trade_no, created_at);
CREATE INDEX refunds_open ON refunds (status, updated_at) WHERE status IN ('SUBMITTING','PROCESSING');
CREATE INDEX refunds_created ON refunds (created_at, out_refund_no);
