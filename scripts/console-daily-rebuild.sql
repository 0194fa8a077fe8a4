-- Recomputes the console's daily totals (console_daily) from the orders and refunds themselves.
-- Idempotent. Run it once after deploying the code that writes the rollup, to count what the previous
-- code committed between `d1 migrations apply` and `deploy`:
--   npx wrangler d1 execute wxpay-edge --env live --remote --file scripts/console-daily-rebuild.sql
-- The rules are the live code's: a payment on its paid_at day, a refund on its succeeded_at day, a
-- close on its closed_at day, the success-rate cohort on the order's creation day (Beijing days). Times
-- are epoch ms (an order's since migration 0018, a refund's since 0015).
INSERT INTO console_daily (day, paid_count, paid_fee)
  SELECT date(paid_at / 1000, 'unixepoch', '+8 hours'), COUNT(*), SUM(total_fee) FROM orders WHERE paid_at IS NOT NULL GROUP BY 1 ORDER BY 1
  ON CONFLICT (day) DO UPDATE SET paid_count = excluded.paid_count, paid_fee = excluded.paid_fee;
INSERT INTO console_daily (day, refund_count, refund_fee)
  SELECT date(succeeded_at / 1000, 'unixepoch', '+8 hours'), COUNT(*), SUM(refund_fee) FROM refunds WHERE status = 'SUCCESS' GROUP BY 1 ORDER BY 1
  ON CONFLICT (day) DO UPDATE SET refund_count = excluded.refund_count, refund_fee = excluded.refund_fee;
INSERT INTO console_daily (day, closed_count)
  SELECT date(closed_at / 1000, 'unixepoch', '+8 hours'), COUNT(*) FROM orders WHERE closed_at IS NOT NULL GROUP BY 1 ORDER BY 1
  ON CONFLICT (day) DO UPDATE SET closed_count = excluded.closed_count;
INSERT INTO console_daily (day, cohort_prepaid, cohort_paid)
  SELECT date(created_at / 1000, 'unixepoch', '+8 hours'), COUNT(*), SUM(paid_at IS NOT NULL) FROM orders WHERE prepay_id IS NOT NULL GROUP BY 1 ORDER BY 1
  ON CONFLICT (day) DO UPDATE SET cohort_prepaid = excluded.cohort_prepaid, cohort_paid = excluded.cohort_paid;
