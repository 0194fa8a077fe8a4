// Catch-up for lost notifies: a verified orderquery, then the OrderGate applies what it proves.
import { ChannelError, type OrderQueryResult } from '../channel';
import type { PaymentSource } from '../model';
import type { GatewayDeps } from '../platform/deps';
import { errorName, log } from '../platform/log';
import { listAttempts, markAttemptClosed } from './attempts-repo';
import { claimSync, type OrderRow } from './orders-repo';
import { paymentFromQuery } from './query-facts';

/** Without a notify for this long, a read of an unpaid order asks WeChat (docs/wechatpay-v2.md §10: first query at +60 s). */
export const AUTO_SYNC_AFTER_MS = 60_000;
/** An explicit `?sync=true` still queries at most once per order per window (§8.3 #4). */
export const FORCED_SYNC_WINDOW_MS = 5_000;
export const PREPAY_LIFETIME_MS = 2 * 3600_000;

const SYNCABLE = new Set(['NOTPAY', 'CLOSING']);
/** A sync asks about at most this many of the order's open attempts, the newest first. */
const SYNC_MAX_ATTEMPTS = 3;

function ms(iso: string | null): number {
  return iso ? Date.parse(iso) : 0;
}

/** Decides, from the row alone, whether this read should spend an orderquery. */
export function syncDue(row: OrderRow, nowMs: number, forced: boolean): boolean {
  if (!SYNCABLE.has(row.status) || (!row.prepay_id && row.status !== 'NOTPAY')) return false;
  if (forced) return nowMs - ms(row.last_synced_at) >= FORCED_SYNC_WINDOW_MS;
  const prepayIssued = ms(row.prepay_expires_at) - PREPAY_LIFETIME_MS;
  const lastHeard = Math.max(prepayIssued, ms(row.last_synced_at), ms(row.last_notify_at));
  return nowMs - lastHeard >= AUTO_SYNC_AFTER_MS;
}

export type SyncOutcome = 'SYNC_SKIPPED' | 'SYNC_UNCHANGED' | 'SYNC_PAID' | 'SYNC_CLOSED' | 'SYNC_MISMATCH' | 'SYNC_FAILED';

/**
 * Applies a verified orderquery answer about one of the order's attempts (`paymentNo`, by default
 * the order's own number) through the gate, which records amount or currency mismatches as anomalies.
 */
export async function applyQueryResult(
  deps: Pick<GatewayDeps, 'gate' | 'log' | 'db' | 'now'>,
  row: OrderRow,
  q: OrderQueryResult,
  source: PaymentSource,
  paymentNo: string = row.out_trade_no,
): Promise<SyncOutcome> {
  if (q.outTradeNo !== paymentNo) {
    (deps.log ?? log).warn('ORDERQUERY_MISMATCH', { outTradeNo: row.out_trade_no, paymentNo, answered: q.outTradeNo });
    return 'SYNC_MISMATCH';
  }
  if (q.tradeState === 'SUCCESS') {
    const facts = paymentFromQuery(q, source, row.out_trade_no);
    if (!facts) {
      // The logger masks the openid.
      (deps.log ?? log).warn('ORDERQUERY_MISMATCH', { outTradeNo: row.out_trade_no, totalFee: q.totalFee, feeType: q.feeType, openid: q.openid });
      return 'SYNC_MISMATCH';
    }
    const result = await deps.gate(row.out_trade_no).applyPayment(facts);
    if (result.outcome === 'AMOUNT_MISMATCH') return 'SYNC_MISMATCH';
    return result.status === 'PAID' || result.status === 'PAID_AFTER_CLOSE' ? 'SYNC_PAID' : 'SYNC_UNCHANGED';
  }
  if (q.tradeState === 'CLOSED') {
    // WeChat closed this attempt itself (its time_expire is the order's, or someone closed it in the merchant
    // platform: our own closes are never queried, only PENDING attempts are). With other attempts, only this
    // one closes; the order's one and only number closes the order, as before attempts.
    const attempts = await listAttempts(deps.db, row.out_trade_no, 2);
    if (attempts.some((a) => a.payment_no !== paymentNo)) {
      await markAttemptClosed(deps.db, paymentNo, row.out_trade_no, new Date(deps.now()).toISOString());
      return 'SYNC_UNCHANGED';
    }
    const gate = deps.gate(row.out_trade_no);
    // WeChat already closed it: the same two steps as our own close, so the gate serialises it with notifies.
    if (row.status !== 'CLOSING') await gate.closeOrder({ outTradeNo: row.out_trade_no, phase: 'BEGIN' });
    const result = await gate.closeOrder({ outTradeNo: row.out_trade_no, phase: 'CLOSED' });
    return result.status === 'CLOSED' ? 'SYNC_CLOSED' : 'SYNC_UNCHANGED';
  }
  return 'SYNC_UNCHANGED';
}

/** One rate-limited orderquery sync. Never throws for WeChat trouble: a read must not fail because WeChat is slow. */
export async function syncOrder(deps: GatewayDeps, row: OrderRow, forced: boolean): Promise<SyncOutcome> {
  const nowMs = deps.now();
  const window = forced ? FORCED_SYNC_WINDOW_MS : AUTO_SYNC_AFTER_MS;
  if (!(await claimSync(deps.db, row.out_trade_no, new Date(nowMs).toISOString(), new Date(nowMs - window).toISOString()))) return 'SYNC_SKIPPED';
  try {
    // The open attempts, newest first; an order from before attempts (no attempt rows) is asked about by its own number.
    const attempts = await listAttempts(deps.db, row.out_trade_no);
    const open = attempts.filter((a) => a.status === 'PENDING').slice(0, SYNC_MAX_ATTEMPTS);
    const refs = attempts.length ? open.map((a) => ({ no: a.payment_no, appId: a.appid ?? undefined })) : [{ no: row.out_trade_no, appId: undefined }];
    let outcome: SyncOutcome = 'SYNC_UNCHANGED';
    for (const ref of refs) {
      const q = await deps.channel.queryOrder({ outTradeNo: ref.no, signType: row.sign_type, appId: ref.appId });
      outcome = await applyQueryResult(deps, row, q, 'ORDERQUERY', ref.no);
      if (outcome === 'SYNC_PAID' || outcome === 'SYNC_CLOSED') break;
    }
    return outcome;
  } catch (e) {
    // WeChat trouble, or the gate/D1 failing: the read still answers with the stored order; the next read retries.
    const detail = e instanceof ChannelError ? { code: e.code, errCode: e.errCode } : { error: errorName(e) };
    (deps.log ?? log).warn('ORDER_SYNC_FAILED', { outTradeNo: row.out_trade_no, ...detail });
    return 'SYNC_FAILED';
  }
}
