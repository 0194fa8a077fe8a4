/**
 * Synthetic paid trades in bulk, for reconciliation benchmarks (`POST /sandbox/sim/bulk-trades`):
 * deterministic out_trade_no, transaction_id, amount and time_end per index, so a benchmark can
 * seed the gateway's D1 with the very same payments without asking the simulator for each.
 */
import { formatWechatTime, parseWechatTime } from '../core';
import { openidFor } from './users';
import type { SimOrder, SimStore } from './state';

/** The bill's columns, for a benchmark that writes the same bill format outside the simulator. */
export { ALL_COLUMNS, SUMMARY_COLUMNS } from './bill';

export const BULK_MAX_PER_CALL = 10_000;

interface BulkTrade {
  out_trade_no: string;
  transaction_id: string;
  total_fee: number;
  time_end: string;
  paid_at: number;
}

/** Trade `i` of a bulk day: paid at 00:00:00 + i·(86,400 s / count) Beijing, amount 1 + (i mod 99,999) fen. */
export function bulkTrade(billDate: string, i: number, count: number): BulkTrade {
  const start = parseWechatTime(billDate + '000000')!.getTime();
  const paidAt = start + Math.floor((i * 86_400_000) / Math.max(count, 1) / 1000) * 1000;
  const n = String(i).padStart(7, '0');
  return {
    out_trade_no: `BULK${billDate}${n}`,
    transaction_id: `4200009999${billDate}${n}0`.slice(0, 28),
    total_fee: 1 + (i % 99_999),
    time_end: formatWechatTime(new Date(paidAt)),
    paid_at: paidAt,
  };
}

/** Writes trades [start, start + n) of a `count`-trade day straight into the store, paid. */
export function writeBulkTrades(store: SimStore, appId: string, billDate: string, start: number, n: number, count: number): void {
  const openid = openidFor(appId, 'alice');
  for (let i = start; i < start + n; i++) {
    const t = bulkTrade(billDate, i, count);
    const o: SimOrder = {
      out_trade_no: t.out_trade_no,
      params: { appid: appId, body: 'bench', out_trade_no: t.out_trade_no, total_fee: String(t.total_fee), trade_type: 'JSAPI', openid },
      sign_type: 'HMAC-SHA256',
      total_fee: t.total_fee,
      trade_type: 'JSAPI',
      appid: appId,
      openid,
      created_at: t.paid_at,
      prepay_id: `wxbulk${t.out_trade_no}`,
      prepay_at: t.paid_at,
      state: 'SUCCESS',
      transaction_id: t.transaction_id,
      time_end: t.time_end,
      paid_at: t.paid_at,
      bank_type: 'OTHERS',
      refunded_fee: 0,
      out_refund_nos: [],
    };
    store.putOrder(o);
  }
}
