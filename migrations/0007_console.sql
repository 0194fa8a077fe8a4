-- The merchant console (issue 13). Forward-only: never edit this file once applied.
--
-- console_daily: one row per Beijing calendar day (yyyy-mm-dd, UTC+8), so the overview reads at most
-- 30 rows instead of scanning orders. Each counter is written in the SAME D1 batch as the money-state
-- change it counts (payments-repo commitPayment / moveStatus, refunds-repo commitRefundResult,
-- orders-repo storePrepay), guarded so that it lands exactly when that change does.
--   paid_*      orders that became PAID or PAID_AFTER_CLOSE, by the Beijing day of paid_at
--   refund_*    refunds that reached SUCCESS, by the Beijing day of succeeded_at
--   closed_count orders that reached CLOSED, by the Beijing day of closed_at
--   cohort_*    success rate by creation cohort: orders created that day that got a prepay
--               (CREATED→NOTPAY), and how many of those were then paid
CREATE TABLE console_daily (
  day            TEXT PRIMARY KEY CHECK (length(day) = 10),
  paid_count     INTEGER NOT NULL DEFAULT 0,
  paid_fee       INTEGER NOT NULL DEFAULT 0,
  refund_count   INTEGER NOT NULL DEFAULT 0,
  refund_fee     INTEGER NOT NULL DEFAULT 0,
  closed_count   INTEGER NOT NULL DEFAULT 0,
  cohort_prepaid INTEGER NOT NULL DEFAULT 0,
  cohort_paid    INTEGER NOT NULL DEFAULT 0
);

-- Backfill from what already exists (one pass at migration time; afterwards only the batches write).
INSERT INTO console_daily (day, paid_count, paid_fee)
  SELECT date(paid_at, '+8 hours'), COUNT(*), SUM(total_fee) FROM orders WHERE paid_at IS NOT NULL GROUP BY 1;
INSERT INTO console_daily (day, refund_count, refund_fee)
  SELECT date(succeeded_at, '+8 hours'), COUNT(*), SUM(refund_fee) FROM refunds WHERE status = 'SUCCESS' GROUP BY 1 ORDER BY 1
  ON CONFLICT (day) DO UPDATE SET refund_count = excluded.refund_count, refund_fee = excluded.refund_fee;
INSERT INTO console_daily (day, closed_count)
  SELECT date(closed_at, '+8 hours'), COUNT(*) FROM orders WHERE closed_at IS NOT NULL GROUP BY 1 ORDER BY 1
  ON CONFLICT (day) DO UPDATE SET closed_count = excluded.closed_count;
INSERT INTO console_daily (day, cohort_prepaid, cohort_paid)
  SELECT date(created_at, '+8 hours'), COUNT(*), SUM(paid_at IS NOT NULL) FROM orders WHERE prepay_id IS NOT NULL GROUP BY 1 ORDER BY 1
  ON CONFLICT (day) DO UPDATE SET cohort_prepaid = excluded.cohort_prepaid, cohort_paid = excluded.cohort_paid;

-- Acknowledging an anomaly: who (the console operator), when, and their note. Open = not acknowledged.
ALTER TABLE anomalies ADD COLUMN acknowledged_at TEXT;
ALTER TABLE anomalies ADD COLUMN acknowledged_by TEXT;
ALTER TABLE anomalies ADD COLUMN ack_note TEXT;
CREATE INDEX anomalies_created ON anomalies (created_at, id);
CREATE INDEX anomalies_open ON anomalies (created_at, id) WHERE acknowledged_at IS NULL;

-- Console lists and searches without scanning: refunds newest first; orders by the payer's openid
-- (the one the prepay was issued for, else the one the merchant named) for the masked-openid search.
CREATE INDEX refunds_created ON refunds (created_at, out_refund_no);
CREATE INDEX orders_payer ON orders (COALESCE(prepay_openid, openid), created_at);

-- Console sessions: the signed cookie names a row; logout (or expiry) ends it server-side.
CREATE TABLE admin_sessions (
  id          TEXT PRIMARY KEY,                 -- 128-bit random, base64url
  operator    TEXT NOT NULL,                    -- the name typed at login, or the Access identity
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  revoked_at  TEXT
);
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);

-- Failed console logins per client IP per 15-minute window (rate limit; no token or attempt text kept).
CREATE TABLE admin_login_failures (
  ip          TEXT NOT NULL,
  window      TEXT NOT NULL,                    -- UTC ISO-8601 start of the window
  count       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (ip, window)
);
