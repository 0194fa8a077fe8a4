-- bench/console.mjs: 1,000,000 orders over the last 90 days (Beijing), in a local D1 file, straight
-- into SQLite (never through a public write path). :now is replaced by the script (UTC ISO, ms).
-- Mix: 70 % PAID, 3 % PARTIALLY_REFUNDED, 2 % REFUNDED, 10 % NOTPAY, 10 % CLOSED, 5 % CREATED.
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000),
s AS (
  SELECT i,
    CAST(round((julianday(:now, '-' || ((i * 7919) % (90 * 86400)) || ' seconds') - 2440587.5) * 86400000.0) AS INTEGER) AS created_at, -- epoch ms since 0018
    CASE WHEN i % 100 < 70 THEN 'PAID' WHEN i % 100 < 73 THEN 'PARTIALLY_REFUNDED' WHEN i % 100 < 75 THEN 'REFUNDED'
         WHEN i % 100 < 85 THEN 'NOTPAY' WHEN i % 100 < 95 THEN 'CLOSED' ELSE 'CREATED' END AS status,
    100 + (i * 104729) % 50000 AS fee,
    'o' || substr(hex(randomblob(14)), 1, 27) AS openid
  FROM n
)
INSERT INTO orders (out_trade_no, description, total_fee, fee_type, openid, status, sign_type, request_hash, prepay_id, prepay_openid,
  prepay_expires_at, transaction_id, bank_type, cash_fee, time_end, paid_at, closed_at, expires_at, created_at, updated_at,
  refund_reserved_fee, refunded_fee)
SELECT printf('BENCH%010d', i), '压测商品 ' || (i % 97), fee, 'CNY', NULL, status, 'HMAC-SHA256', 'bench',
  CASE WHEN status = 'CREATED' THEN NULL ELSE 'wx' || printf('%030d', i) END,
  CASE WHEN status = 'CREATED' THEN NULL ELSE openid END,
  CASE WHEN status = 'CREATED' THEN NULL ELSE created_at + 7200000 END,
  CASE WHEN status IN ('PAID','PARTIALLY_REFUNDED','REFUNDED') THEN '4200' || printf('%024d', i) END,
  CASE WHEN status IN ('PAID','PARTIALLY_REFUNDED','REFUNDED') THEN 'CMB_DEBIT' END,
  CASE WHEN status IN ('PAID','PARTIALLY_REFUNDED','REFUNDED') THEN fee END,
  NULL,
  CASE WHEN status IN ('PAID','PARTIALLY_REFUNDED','REFUNDED') THEN created_at + 30000 END,
  CASE WHEN status = 'CLOSED' THEN created_at + 7200000 END,
  created_at + 7200000, created_at, created_at,
  CASE WHEN status = 'REFUNDED' THEN fee WHEN status = 'PARTIALLY_REFUNDED' THEN fee / 2 ELSE 0 END,
  CASE WHEN status = 'REFUNDED' THEN fee WHEN status = 'PARTIALLY_REFUNDED' THEN fee / 2 ELSE 0 END
FROM s;

INSERT INTO ledger (out_trade_no, kind, amount_fen, transaction_id, created_at)
  SELECT out_trade_no, 'PAYMENT', total_fee, transaction_id, paid_at FROM orders WHERE paid_at IS NOT NULL;

INSERT INTO refunds (out_refund_no, out_trade_no, refund_fee, total_fee, reason, status, refund_id, request_hash, attempts, created_at, updated_at, succeeded_at)
  SELECT 'R' || out_trade_no, out_trade_no, refunded_fee, total_fee, '压测退款', 'SUCCESS', '5030' || substr(transaction_id, 5), 'bench', 1,
    paid_at + 3600000, paid_at + 3600000, paid_at + 3600000 -- epoch ms since 0015
  FROM orders WHERE refunded_fee > 0;

-- One applied notify per paid order of the last 30 days (raw bodies kept short).
INSERT INTO notifications (kind, out_trade_no, body_sha256, raw_body, verdict, received_at)
  SELECT 'PAY', out_trade_no, lower(hex(randomblob(32))),
    '<xml><result_code>SUCCESS</result_code><total_fee>' || total_fee || '</total_fee><transaction_id>' || transaction_id || '</transaction_id></xml>',
    'APPLIED', paid_at
  FROM orders WHERE paid_at >= CAST(round((julianday(:now, '-30 days') - 2440587.5) * 86400000.0) AS INTEGER);

INSERT INTO anomalies (kind, out_trade_no, body_sha256, detail, created_at, acknowledged_at, acknowledged_by, ack_note)
  SELECT 'AMOUNT_MISMATCH', out_trade_no, lower(hex(randomblob(32))), '{"expected":' || total_fee || ',"total_fee":1}',
    strftime('%Y-%m-%dT%H:%M:%fZ', paid_at / 1000.0, 'unixepoch'),
    CASE WHEN rowid % 10 = 0 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', paid_at / 1000.0, 'unixepoch') END, CASE WHEN rowid % 10 = 0 THEN NULL ELSE 'bench' END, CASE WHEN rowid % 10 = 0 THEN NULL ELSE 'ok' END
  FROM orders WHERE status = 'PAID' AND rowid % 700 = 0;

-- The rollup, exactly as migrations/0007 backfills it.
DELETE FROM console_daily;
INSERT INTO console_daily (day, paid_count, paid_fee)
  SELECT date(paid_at / 1000, 'unixepoch', '+8 hours'), COUNT(*), SUM(total_fee) FROM orders WHERE paid_at IS NOT NULL GROUP BY 1;
INSERT INTO console_daily (day, refund_count, refund_fee)
  SELECT date(succeeded_at / 1000, 'unixepoch', '+8 hours'), COUNT(*), SUM(refund_fee) FROM refunds WHERE status = 'SUCCESS' GROUP BY 1 ORDER BY 1
  ON CONFLICT (day) DO UPDATE SET refund_count = excluded.refund_count, refund_fee = excluded.refund_fee;
INSERT INTO console_daily (day, closed_count)
  SELECT date(closed_at / 1000, 'unixepoch', '+8 hours'), COUNT(*) FROM orders WHERE status = 'CLOSED' AND closed_at IS NOT NULL GROUP BY 1 ORDER BY 1
  ON CONFLICT (day) DO UPDATE SET closed_count = excluded.closed_count;
INSERT INTO console_daily (day, cohort_prepaid, cohort_paid)
  SELECT date(created_at / 1000, 'unixepoch', '+8 hours'), COUNT(*), SUM(paid_at IS NOT NULL) FROM orders WHERE prepay_id IS NOT NULL GROUP BY 1 ORDER BY 1
  ON CONFLICT (day) DO UPDATE SET cohort_prepaid = excluded.cohort_prepaid, cohort_paid = excluded.cohort_paid;
COMMIT;
