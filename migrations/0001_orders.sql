-- Money columns are INTEGER fen. Times are UTC ISO-8601 strings (…Z), which sort as text.
-- Forward-only: never edit this file once applied; add 0002_… instead.

CREATE TABLE orders (
  out_trade_no      TEXT PRIMARY KEY,
  description       TEXT NOT NULL,
  total_fee         INTEGER NOT NULL CHECK (total_fee > 0),
  fee_type          TEXT NOT NULL DEFAULT 'CNY',
  attach            TEXT,
  metadata          TEXT,                       -- merchant JSON, opaque to us
  openid            TEXT,                       -- buyer, from the merchant API or the OAuth session
  status            TEXT NOT NULL CHECK (status IN ('CREATED','NOTPAY','CLOSING','CLOSED','PAID',
                      'PAID_AFTER_CLOSE','PAYERROR','FAILED','REFUNDING','PARTIALLY_REFUNDED','REFUNDED')),
  sign_type         TEXT NOT NULL CHECK (sign_type IN ('MD5','HMAC-SHA256')),
  request_hash      TEXT NOT NULL,              -- SHA-256 of the create body: idempotent create vs 409
  prepay_id         TEXT,
  prepay_openid     TEXT,                       -- the openid the prepay_id was issued for
  prepay_expires_at TEXT,
  transaction_id    TEXT UNIQUE,
  bank_type         TEXT,
  cash_fee          INTEGER,
  time_end          TEXT,                       -- WeChat's yyyyMMddHHmmss (Beijing), verbatim
  paid_at           TEXT,
  closed_at         TEXT,
  last_notify_at    TEXT,
  last_synced_at    TEXT,                       -- last orderquery sync
  expires_at        TEXT NOT NULL,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
);
CREATE INDEX orders_created ON orders (created_at, out_trade_no);
CREATE INDEX orders_status_created ON orders (status, created_at, out_trade_no);

-- One credit per order and per WeChat transaction, whatever the delivery pattern.
CREATE TABLE ledger (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  out_trade_no   TEXT NOT NULL REFERENCES orders (out_trade_no),
  kind           TEXT NOT NULL CHECK (kind IN ('PAYMENT','REFUND')),
  amount_fen     INTEGER NOT NULL,
  transaction_id TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  UNIQUE (out_trade_no, kind, transaction_id)
);
CREATE UNIQUE INDEX ledger_one_payment ON ledger (out_trade_no) WHERE kind = 'PAYMENT';
CREATE UNIQUE INDEX ledger_payment_txn ON ledger (transaction_id) WHERE kind = 'PAYMENT';

-- Append-only record of every authentic notify: raw body, its hash, verdict, time received.
CREATE TABLE notifications (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT NOT NULL CHECK (kind IN ('PAY','REFUND')),
  out_trade_no TEXT,
  body_sha256  TEXT NOT NULL,
  raw_body     TEXT NOT NULL,
  verdict      TEXT NOT NULL,                   -- APPLIED, DUPLICATE, ANOMALY, …
  received_at  TEXT NOT NULL
);
CREATE INDEX notifications_order ON notifications (out_trade_no, received_at);

-- Authentic messages that cannot be applied (amount mismatch, unknown order, …): kept, alerted, acknowledged.
CREATE TABLE anomalies (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT NOT NULL,                   -- AMOUNT_MISMATCH, UNKNOWN_ORDER, PAID_AFTER_CLOSE, …
  out_trade_no TEXT,
  body_sha256  TEXT NOT NULL,
  detail       TEXT NOT NULL,                   -- JSON, never a key or a signature
  created_at   TEXT NOT NULL,
  UNIQUE (body_sha256, kind)
);
CREATE INDEX anomalies_order ON anomalies (out_trade_no);

-- Forged or malformed notifies leave only a bounded counter: no attacker-controlled rows.
CREATE TABLE notify_rejections (
  hour   TEXT NOT NULL,                         -- yyyy-mm-ddThh (UTC)
  reason TEXT NOT NULL,
  count  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (hour, reason)
);
