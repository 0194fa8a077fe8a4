-- Merchant webhooks (Standard Webhooks) and the lifecycle cron's bookkeeping.
-- Forward-only: never edit this file once applied.

-- The transactional outbox: one row per event, written in the same D1 batch as the change it reports
-- (src/worker/d1/events-repo.ts outboxStatement). `seq` orders the feed (GET /v1/events?after=…);
-- `dedupe_key` makes each change emit its event once, whatever the retries of the batch around it.
CREATE TABLE events (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  id                TEXT NOT NULL UNIQUE,           -- evt_…: webhook-id, the same on every attempt
  type              TEXT NOT NULL,                  -- order.paid, order.closed, order.anomaly, refund.*, …
  out_trade_no      TEXT,                           -- null for an anomaly about an unknown order number
  dedupe_key        TEXT NOT NULL UNIQUE,           -- e.g. order.paid:<out_trade_no>
  data              TEXT NOT NULL DEFAULT '{}',     -- JSON: data fields beside `order` (anomaly, refund)
  order_snapshot    TEXT,                           -- JSON: the orders row as the same transaction left it
  created_at        TEXT NOT NULL,
  status            TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','delivered','failed')),
  attempts          INTEGER NOT NULL DEFAULT 0,     -- every attempt ever made
  window_started_at TEXT NOT NULL,                  -- the 3-day retry window: creation, or the last redelivery
  window_attempts   INTEGER NOT NULL DEFAULT 0,     -- attempts inside the window: the step of the schedule
  next_attempt_at   TEXT NOT NULL,                  -- when the current queue message should run (a lease while it runs)
  queue_token       TEXT NOT NULL,                  -- fences queue messages: only the message carrying it may deliver
  delivered_at      TEXT,
  failed_at         TEXT
);
CREATE INDEX events_type_seq ON events (type, seq);
CREATE INDEX events_pending_due ON events (next_attempt_at) WHERE status = 'pending';
CREATE INDEX events_order ON events (out_trade_no, seq);

-- Every delivery attempt: when, the HTTP status (null: no answer), latency, the first 1 KiB of the answer.
CREATE TABLE event_attempts (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id         TEXT NOT NULL REFERENCES events (id),
  attempted_at     TEXT NOT NULL,
  webhook_timestamp INTEGER NOT NULL,              -- the signed unix seconds of this attempt
  trigger          TEXT NOT NULL CHECK (trigger IN ('QUEUE','REDELIVER')),
  http_status      INTEGER,
  error            TEXT,                            -- TIMEOUT, NETWORK, NOT_2XX
  latency_ms       INTEGER NOT NULL,
  response_excerpt TEXT NOT NULL DEFAULT ''
);
CREATE INDEX event_attempts_event ON event_attempts (event_id, id);

-- The lifecycle cron: when this order is next looked at (orderquery for a missed notify, or the
-- expiry close), and how many times the cron has asked WeChat about it.
ALTER TABLE orders ADD COLUMN next_check_at TEXT;
ALTER TABLE orders ADD COLUMN check_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX orders_lifecycle ON orders (next_check_at) WHERE status IN ('CREATED','NOTPAY','CLOSING');
