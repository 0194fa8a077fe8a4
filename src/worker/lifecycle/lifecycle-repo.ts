// The lifecycle cron's SQL: which open orders are due, and the per-order claim (next_check_at as a
// compare-and-set) that keeps two ticks off the same order.
import { orderOfStored, type OrderRow } from '../orders';
import { storedMs } from '../platform/stored-time';

/** An orders row with the 0005 bookkeeping columns (times as ISO text, stored as epoch ms since 0018). */
export interface LifecycleRow extends OrderRow {
  next_check_at: string | null;
  check_count: number;
}

/**
 * Open orders the cron may have to act on, oldest due first: NOTPAY/CLOSING orders never looked at
 * (next_check_at null) or due, and CREATED orders (no prepay) past expiry and the 5-minute close rule.
 */
export async function dueOrders(db: D1Database, now: string, closableCreatedBefore: string, limit: number): Promise<LifecycleRow[]> {
  const [open, created] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `SELECT * FROM orders WHERE status IN ('NOTPAY','CLOSING') AND (next_check_at IS NULL OR next_check_at <= ?1)
         ORDER BY COALESCE(next_check_at, created_at) LIMIT ?2`,
      )
      .bind(storedMs(now), limit),
    db
      .prepare(
        `SELECT * FROM orders WHERE status = 'CREATED' AND expires_at <= ?1 AND created_at <= ?2
           AND (next_check_at IS NULL OR next_check_at <= ?1)
         ORDER BY expires_at LIMIT ?3`,
      )
      .bind(storedMs(now), storedMs(closableCreatedBefore), limit),
  ]);
  return [...(open?.results ?? []), ...(created?.results ?? [])].map((r) => orderOfStored<LifecycleRow>(r));
}

/**
 * Moves the order's next look from `seen` (what this tick read) to `next`; `count` adds one to
 * check_count (a WeChat call is about to be made). False: another tick or a state change got there
 * first, and this tick leaves the order alone.
 */
export async function claimOrder(db: D1Database, outTradeNo: string, status: string, seen: string | null, next: string, count: boolean): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE orders SET next_check_at = ?4, check_count = check_count + ?5
       WHERE out_trade_no = ?1 AND status = ?2 AND next_check_at IS ?3`,
    )
    .bind(outTradeNo, status, seen === null ? null : storedMs(seen), storedMs(next), count ? 1 : 0)
    .run();
  return res.meta.changes === 1;
}
