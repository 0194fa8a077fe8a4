-- Payment attempts (issue 18): an order has N attempts, each a payment at WeChat under its own number.
-- Forward-only: never edit this file once applied.
--
-- `payment_no` is the out_trade_no WeChat knows the attempt by. An order's first attempt takes the
-- order's own number when it is free, so orders made before this migration keep their number as
-- their one attempt's number (backfilled below). Notifies, queries, closes, refunds and bill rows
-- name the attempt; the attempt names the order.
CREATE TABLE payment_attempts (
  payment_no     TEXT PRIMARY KEY CHECK (length(payment_no) BETWEEN 1 AND 32),
  out_trade_no   TEXT NOT NULL REFERENCES orders (out_trade_no),
  trade_type     TEXT NOT NULL CHECK (trade_type IN ('JSAPI','MINIPROGRAM','NATIVE','MWEB','APP')),
  appid          TEXT,                        -- the appid it was placed under; NULL only for backfilled rows (the 公众号 appid)
  openid         TEXT,                        -- JSAPI/MINIPROGRAM: the buyer it was issued for; others: who paid, once known
  client_ip      TEXT,                        -- spbill_create_ip, repeated on every unifiedorder of the attempt
  prepay_id      TEXT,
  code_url       TEXT,                        -- NATIVE
  mweb_url       TEXT,                        -- MWEB
  -- PENDING: payable; PAID: the order's payment; CLOSED: closed at WeChat or never issued;
  -- REFUNDING / REFUNDED: paid after another attempt paid the order (a duplicate), being / given back.
  status         TEXT NOT NULL CHECK (status IN ('PENDING','PAID','CLOSED','REFUNDING','REFUNDED')),
  transaction_id TEXT UNIQUE,
  expires_at     TEXT NOT NULL,               -- when we stop offering it (WeChat's own expiry may be later)
  paid_at        TEXT,
  time_end       TEXT,                        -- WeChat's yyyyMMddHHmmss (Beijing) of a duplicate's payment: the bill's day
  closed_at      TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE INDEX payment_attempts_order ON payment_attempts (out_trade_no, created_at);
-- The lifecycle sweep: unfinished attempts to close at WeChat once their order no longer needs them.
CREATE INDEX payment_attempts_open ON payment_attempts (created_at) WHERE status = 'PENDING';

-- The attempt that paid the order.
ALTER TABLE orders ADD COLUMN payment_no TEXT;

INSERT INTO payment_attempts (payment_no, out_trade_no, trade_type, appid, openid, client_ip, prepay_id, status,
  transaction_id, expires_at, paid_at, closed_at, created_at, updated_at)
SELECT out_trade_no, out_trade_no, 'JSAPI', NULL, prepay_openid, prepay_client_ip, prepay_id,
  CASE WHEN transaction_id IS NOT NULL THEN 'PAID' WHEN status IN ('CLOSED','FAILED') THEN 'CLOSED' ELSE 'PENDING' END,
  transaction_id, COALESCE(prepay_expires_at, expires_at), paid_at, closed_at, created_at, updated_at
FROM orders WHERE prepay_id IS NOT NULL OR transaction_id IS NOT NULL;
UPDATE orders SET payment_no = out_trade_no WHERE transaction_id IS NOT NULL;

-- The ledger learns duplicates: the credit of an attempt paid after another paid the order, and its
-- refund. The order's own PAYMENT stays one per order; every transaction is credited once.
CREATE TABLE ledger_v2 (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  out_trade_no   TEXT NOT NULL REFERENCES orders (out_trade_no),
  kind           TEXT NOT NULL CHECK (kind IN ('PAYMENT','REFUND','DUPLICATE_PAYMENT','DUPLICATE_REFUND')),
  amount_fen     INTEGER NOT NULL,
  transaction_id TEXT NOT NULL,               -- PAYMENT kinds: WeChat's transaction_id; REFUND kinds: out_refund_no
  created_at     TEXT NOT NULL,
  UNIQUE (out_trade_no, kind, transaction_id)
);
INSERT INTO ledger_v2 (id, out_trade_no, kind, amount_fen, transaction_id, created_at)
  SELECT id, out_trade_no, kind, amount_fen, transaction_id, created_at FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_v2 RENAME TO ledger;
CREATE UNIQUE INDEX ledger_one_payment ON ledger (out_trade_no) WHERE kind = 'PAYMENT';
CREATE UNIQUE INDEX ledger_payment_txn ON ledger (transaction_id) WHERE kind IN ('PAYMENT','DUPLICATE_PAYMENT');

-- A refund names the attempt whose money it returns (NULL: refunds made before attempts, the order's
-- own number). `automatic`: filed by the gateway (a duplicate payment's, or a payment after close's);
-- `duplicate`: a duplicate's, outside the order's refund sums.
ALTER TABLE refunds ADD COLUMN payment_no TEXT;
ALTER TABLE refunds ADD COLUMN duplicate INTEGER NOT NULL DEFAULT 0 CHECK (duplicate IN (0, 1));
ALTER TABLE refunds ADD COLUMN automatic INTEGER NOT NULL DEFAULT 0 CHECK (automatic IN (0, 1) AND automatic >= duplicate);
