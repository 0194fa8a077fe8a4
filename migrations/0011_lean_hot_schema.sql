-- A leaner hot schema (issue 20, docs/scaling.md §5): the same facts in fewer bytes per paid order.
-- Forward-only: never edit this file once applied. Converts existing rows in place.

-- 1. Events store what they say. `order_snapshot` (a JSON copy of the whole order per event, ~640 B)
-- becomes the few fields a later change may rewrite; the rest of the webhook's `data.order` is read
-- from the order when the event is shown or sent (src/worker/webhooks/payload.ts): fields set once and
-- never rewritten. The payer (prepay_openid) is kept only for events before payment (the payment may
-- still set it). An event without an order (unknown number, reconciliation) keeps nulls.
ALTER TABLE events ADD COLUMN order_status TEXT;
ALTER TABLE events ADD COLUMN order_updated_at TEXT;
ALTER TABLE events ADD COLUMN order_refunded_fee INTEGER;
ALTER TABLE events ADD COLUMN order_reserved_fee INTEGER;
ALTER TABLE events ADD COLUMN order_payer TEXT;
UPDATE events SET
  order_status = json_extract(order_snapshot, '$.status'),
  order_updated_at = json_extract(order_snapshot, '$.updated_at'),
  order_refunded_fee = json_extract(order_snapshot, '$.refunded_fee'),
  order_reserved_fee = json_extract(order_snapshot, '$.refund_reserved_fee'),
  order_payer = CASE WHEN json_extract(order_snapshot, '$.status') IN ('PAID','PAID_AFTER_CLOSE','REFUNDING','PARTIALLY_REFUNDED','REFUNDED')
    THEN NULL ELSE json_extract(order_snapshot, '$.prepay_openid') END
WHERE order_snapshot IS NOT NULL;
ALTER TABLE events DROP COLUMN order_snapshot;

-- 2. SHA-256 values as their 32 bytes instead of 64 hex characters (the code binds hex through
-- unhex(), src/worker/platform/stored-hash.ts). The columns keep their TEXT declaration: a BLOB stored
-- in a TEXT column stays a BLOB. Only well-formed hex is converted: an automatic refund's marker
-- (`late:…`, `duplicate:…`) stays text.
UPDATE orders SET request_hash = unhex(request_hash)
  WHERE typeof(request_hash) = 'text' AND length(request_hash) = 64 AND unhex(request_hash) IS NOT NULL;
UPDATE refunds SET request_hash = unhex(request_hash)
  WHERE typeof(request_hash) = 'text' AND length(request_hash) = 64 AND unhex(request_hash) IS NOT NULL;
UPDATE notifications SET body_sha256 = unhex(body_sha256)
  WHERE typeof(body_sha256) = 'text' AND length(body_sha256) = 64 AND unhex(body_sha256) IS NOT NULL;
UPDATE anomalies SET body_sha256 = unhex(body_sha256)
  WHERE typeof(body_sha256) = 'text' AND length(body_sha256) = 64 AND unhex(body_sha256) IS NOT NULL;

-- 3. Webhook attempts: an answer is kept only when the attempt failed (a 2xx's answer explains
-- nothing); the event named by its integer `seq` instead of its 28-character id; the time as epoch
-- milliseconds, from which the signed webhook-timestamp (its whole seconds) follows. Column renamed:
-- event_id → event_seq; webhook_timestamp dropped (attempted_at / 1000).
CREATE TABLE event_attempts_v2 (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  event_seq        INTEGER NOT NULL REFERENCES events (seq),
  attempted_at     INTEGER NOT NULL,                -- epoch ms; webhook-timestamp = attempted_at / 1000
  trigger          TEXT NOT NULL CHECK (trigger IN ('QUEUE','REDELIVER')),
  http_status      INTEGER,
  error            TEXT,                            -- TIMEOUT, NETWORK, NOT_2XX
  latency_ms       INTEGER NOT NULL,
  response_excerpt TEXT NOT NULL DEFAULT ''         -- a failed attempt's first 1 KiB of the answer
);
INSERT INTO event_attempts_v2 (id, event_seq, attempted_at, trigger, http_status, error, latency_ms, response_excerpt)
  SELECT a.id, e.seq, CAST(round((julianday(a.attempted_at) - 2440587.5) * 86400000.0) AS INTEGER), a.trigger, a.http_status, a.error,
    a.latency_ms, CASE WHEN a.error IS NULL THEN '' ELSE a.response_excerpt END
  FROM event_attempts AS a JOIN events AS e ON e.id = a.event_id;
DROP TABLE event_attempts;
ALTER TABLE event_attempts_v2 RENAME TO event_attempts;
CREATE INDEX event_attempts_event ON event_attempts (event_seq);

-- 4. Narrower indexes. An index entry always carries the rowid, so a rowid alias (events.seq) as a
-- last key column is a second copy of it: the same order, fewer bytes. (notifications_order loses its
-- time below: a notify's arrival order is its id.)
DROP INDEX events_type_seq;
CREATE INDEX events_type ON events (type);
DROP INDEX events_order;
CREATE INDEX events_order ON events (out_trade_no);

-- 5. Integer millisecond times where only a few repos write and read them: the ledger's created_at and a
-- notification's received_at as epoch ms (INTEGER: 6 bytes instead of 24 characters). The tables are
-- rebuilt, a TEXT column would store a number as text; ids, keys and every other column are kept.
CREATE TABLE ledger_v3 (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  out_trade_no   TEXT NOT NULL REFERENCES orders (out_trade_no),
  kind           TEXT NOT NULL CHECK (kind IN ('PAYMENT','REFUND','DUPLICATE_PAYMENT','DUPLICATE_REFUND')),
  amount_fen     INTEGER NOT NULL,
  transaction_id TEXT NOT NULL,               -- PAYMENT kinds: WeChat's transaction_id; REFUND kinds: out_refund_no
  created_at     INTEGER NOT NULL,            -- epoch ms
  UNIQUE (out_trade_no, kind, transaction_id)
);
INSERT INTO ledger_v3 (id, out_trade_no, kind, amount_fen, transaction_id, created_at)
  SELECT id, out_trade_no, kind, amount_fen, transaction_id, CAST(round((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER) FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_v3 RENAME TO ledger;
CREATE UNIQUE INDEX ledger_one_payment ON ledger (out_trade_no) WHERE kind = 'PAYMENT';
CREATE UNIQUE INDEX ledger_payment_txn ON ledger (transaction_id) WHERE kind IN ('PAYMENT','DUPLICATE_PAYMENT');

CREATE TABLE notifications_v2 (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT NOT NULL CHECK (kind IN ('PAY','REFUND')),
  out_trade_no TEXT,
  body_sha256  BLOB NOT NULL,                   -- 32 bytes
  raw_body     TEXT NOT NULL,
  verdict      TEXT NOT NULL,                   -- APPLIED, DUPLICATE, ANOMALY, …
  received_at  INTEGER NOT NULL                 -- epoch ms
);
INSERT INTO notifications_v2 (id, kind, out_trade_no, body_sha256, raw_body, verdict, received_at)
  SELECT id, kind, out_trade_no, body_sha256, raw_body, verdict, CAST(round((julianday(received_at) - 2440587.5) * 86400000.0) AS INTEGER)
  FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_v2 RENAME TO notifications;
CREATE INDEX notifications_order ON notifications (out_trade_no);
