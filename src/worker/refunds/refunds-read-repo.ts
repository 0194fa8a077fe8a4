// Reconciliation's read of our refunds: by number, a day's page, a day's totals.
import type { LocalRefund } from '../../core';
import { storedMs } from '../platform/stored-time';

export interface LocalRefundRow extends LocalRefund {
  outRefundNo: string;
  outTradeNo: string;
}

interface Row {
  out_refund_no: string;
  out_trade_no: string;
  refund_id: string | null;
  refund_fee: number;
  status: string;
}

const toRefund = (r: Row): LocalRefundRow => ({
  outRefundNo: r.out_refund_no,
  outTradeNo: r.out_trade_no,
  refundId: r.refund_id,
  refundFee: r.refund_fee,
  status: r.status,
});

/** Our refunds by out_refund_no. */
export async function refundsByNo(db: D1Database, outRefundNos: string[]): Promise<Map<string, LocalRefundRow>> {
  if (outRefundNos.length === 0) return new Map();
  const { results } = await db
    .prepare('SELECT out_refund_no, out_trade_no, refund_id, refund_fee, status FROM refunds WHERE out_refund_no IN (SELECT value FROM json_each(?1))')
    .bind(JSON.stringify(outRefundNos))
    .all<Row>();
  return new Map(results.map((r) => [r.out_refund_no, toRefund(r)]));
}

/**
 * Which of our refunds are on day T's bill, as WeChat draws it (src/sandbox/bill.ts, and the 退款申请时间
 * column): every refund WeChat accepted, dated by its application (our `created_at`, UTC ISO-8601, in the
 * Beijing day [fromIso, toIso); not by its success time), whatever it became since (PROCESSING, SUCCESS,
 * CHANGE: money that left or may leave) except REFUNDCLOSE; never one WeChat refused (FAILED). SUBMITTING
 * is left out: whether WeChat accepted it is not known yet (the lifecycle cron settles it). A refund
 * applied within seconds of midnight may sit on the next day's bill (our clock against WeChat's): it
 * then shows as REFUND_MISSING_AT_WECHAT on day T and matches on day T+1.
 */
export const REFUND_ON_BILL: readonly string[] = ['PROCESSING', 'SUCCESS', 'CHANGE'];
const ON_BILL = `status IN (${REFUND_ON_BILL.map((s) => `'${s}'`).join(',')})`;

/** One page of our refunds on the day's bill (ON_BILL), after `cursor` (an out_refund_no). */
export async function refundsOfDayPage(db: D1Database, fromIso: string, toIso: string, cursor: string, limit: number): Promise<LocalRefundRow[]> {
  const { results } = await db
    .prepare(
      `SELECT out_refund_no, out_trade_no, refund_id, refund_fee, status FROM refunds
       WHERE created_at >= ?1 AND created_at < ?2 AND ${ON_BILL} AND out_refund_no > ?3 ORDER BY out_refund_no LIMIT ?4`,
    )
    .bind(storedMs(fromIso), storedMs(toIso), cursor, limit)
    .all<Row>();
  return results.map(toRefund);
}

/** Our refund count and sum for the day (the refunds on its bill: ON_BILL) */
export async function refundTotals(db: D1Database, fromIso: string, toIso: string): Promise<{ n: number; fee: number }> {
  const row = await db
    .prepare(`SELECT count(*) AS n, coalesce(sum(refund_fee), 0) AS fee FROM refunds WHERE created_at >= ?1 AND created_at < ?2 AND ${ON_BILL}`)
    .bind(storedMs(fromIso), storedMs(toIso))
    .first<{ n: number; fee: number }>();
  return row ?? { n: 0, fee: 0 };
}
