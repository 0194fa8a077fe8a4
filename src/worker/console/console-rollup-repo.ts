// The console's daily totals (migrations/0007 console_daily): statements that ride in the same D1
// batch as the money-state change they count, through the one batch hook `consoleRollupHook`
// (model/batch.ts; wired in compose/wiring.ts), so the money code never names the console. Each is guarded by an EXISTS on the row that change
// leaves behind (not by `changes()`, so they can be appended after any other statement), and so
// lands exactly when the change does: a lost compare-and-set counts nothing.

import type { MoneyChange } from '../model';
import { storedMs } from '../platform/stored-time';

/** The Beijing calendar day (UTC+8) of a stored time (epoch ms: an order's since 0018, a refund's since 0015), in SQL. */
const BJ_DAY = (expr: string) => `date(${expr} / 1000, 'unixepoch', '+8 hours')`;

/**
 * After commitPayment's CAS to PAID/PAID_AFTER_CLOSE, ONE statement (less D1 work in the hot batch,
 * issue 20): one paid order on the day of paid_at, and one paid order in its creation cohort if it had
 * a prepay (the success rate's numerator), summed per day so that one day is upserted once.
 */
function rollupPayment(db: D1Database, outTradeNo: string, transactionId: string, to: string, paidAt: string): D1PreparedStatement {
  const guard = 'FROM orders WHERE out_trade_no = ?1 AND transaction_id = ?2 AND status = ?3 AND paid_at = ?4';
  return db
    .prepare(
      `INSERT INTO console_daily (day, paid_count, paid_fee, cohort_paid)
       SELECT day, SUM(paid), SUM(fee), SUM(cohort) FROM (
         SELECT ${BJ_DAY('?4')} AS day, 1 AS paid, total_fee AS fee, 0 AS cohort ${guard}
         UNION ALL
         SELECT ${BJ_DAY('created_at')}, 0, 0, 1 ${guard} AND prepay_id IS NOT NULL
       ) GROUP BY day
       ON CONFLICT (day) DO UPDATE SET paid_count = paid_count + excluded.paid_count, paid_fee = paid_fee + excluded.paid_fee,
         cohort_paid = cohort_paid + excluded.cohort_paid`,
    )
    .bind(outTradeNo, transactionId, to, storedMs(paidAt)); // an order's times are epoch ms since 0018
}

/** After commitRefundResult moved a refund to SUCCESS (updated_at = `now`): one refund on the Beijing day of succeeded_at (epoch ms). */
function rollupRefundSuccess(db: D1Database, outRefundNo: string, now: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO console_daily (day, refund_count, refund_fee)
       SELECT ${BJ_DAY('COALESCE(succeeded_at, ?2)')}, 1, refund_fee FROM refunds
       WHERE out_refund_no = ?1 AND status = 'SUCCESS' AND updated_at = ?2
       ON CONFLICT (day) DO UPDATE SET refund_count = refund_count + 1, refund_fee = refund_fee + excluded.refund_fee`,
    )
    .bind(outRefundNo, storedMs(now)); // a refund's times are epoch ms since 0015
}

/** After a CAS into CLOSED at `now` (closed_at = now). */
function rollupClosed(db: D1Database, outTradeNo: string, now: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO console_daily (day, closed_count)
       SELECT ${BJ_DAY('?2')}, 1 FROM orders WHERE out_trade_no = ?1 AND status = 'CLOSED' AND closed_at = ?2
       ON CONFLICT (day) DO UPDATE SET closed_count = closed_count + 1`,
    )
    .bind(outTradeNo, storedMs(now));
}

/**
 * Directly after storePrepay's CAS CREATED→NOTPAY, in the same batch (`changes() = 1`: only if that
 * CAS wrote): one prepaid order in its creation cohort (the success rate's denominator). Only
 * FIRST_PREPAY runs it, so a refreshed prepay (NOTPAY→NOTPAY) is not counted.
 */
function rollupFirstPrepay(db: D1Database, outTradeNo: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO console_daily (day, cohort_prepaid)
       SELECT ${BJ_DAY('created_at')}, 1 FROM orders WHERE changes() = 1 AND out_trade_no = ?1 AND status = 'NOTPAY'
       ON CONFLICT (day) DO UPDATE SET cohort_prepaid = cohort_prepaid + 1`,
    )
    .bind(outTradeNo);
}

/** The batch hook: each money change's rollup statements. */
export function consoleRollupHook(db: D1Database, change: MoneyChange): D1PreparedStatement[] {
  switch (change.kind) {
    case 'PAID':
      return [rollupPayment(db, change.outTradeNo, change.transactionId, change.status, change.at)];
    case 'CLOSED':
      return [rollupClosed(db, change.outTradeNo, change.at)];
    case 'REFUND_SUCCEEDED':
      return [rollupRefundSuccess(db, change.outRefundNo, change.at)];
    case 'FIRST_PREPAY':
      return [rollupFirstPrepay(db, change.outTradeNo)];
  }
}
