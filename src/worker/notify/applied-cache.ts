/**
 * Payments this isolate has seen committed (the DO answered APPLIED, ALREADY_APPLIED or
 * PAID_AFTER_CLOSE, i.e. after the D1 commit). WeChat's duplicate storms arrive within seconds, so
 * an authentic exact repeat skips the D1 read of the full path. It never answers by itself: a refund
 * may have moved the order on in another isolate, where no invalidation could reach this map, so the
 * repeat still goes to the order's DO, whose paid-memo answers only while the order is PAID (issue
 * 10). An entry is dropped once the DO says the order moved on.
 */
const APPLIED_CACHE_TTL_MS = 60_000;
const APPLIED_CACHE_MAX = 10_000;

/** Keyed by the number WeChat reported (the attempt's); `order` is the merchant's order it belongs to. */
interface Entry {
  order: string;
  /** The appid the attempt was placed under, as the committed notify carried it. */
  appId: string;
  transactionId: string;
  totalFee: number;
  feeType: string;
  until: number;
}

const entries = new Map<string, Entry>();

export function rememberApplied(
  paymentNo: string,
  order: string,
  appId: string,
  transactionId: string,
  totalFee: number,
  feeType: string,
  nowMs: number,
): void {
  entries.delete(paymentNo); // re-insert: Map order is the eviction order
  if (entries.size >= APPLIED_CACHE_MAX) entries.delete(entries.keys().next().value!);
  entries.set(paymentNo, { order, appId, transactionId, totalFee, feeType, until: nowMs + APPLIED_CACHE_TTL_MS });
}

/**
 * The order, only for the very appid, transaction, amount and currency that were committed, within the TTL;
 * else null. `totalFee` is the wire string: it must be the canonical digits of the committed amount.
 */
export function knownApplied(
  paymentNo: string,
  appId: string,
  transactionId: string,
  totalFee: string | undefined,
  feeType: string,
  nowMs: number,
): string | null {
  const e = entries.get(paymentNo);
  if (!e) return null;
  if (e.until <= nowMs) {
    entries.delete(paymentNo);
    return null;
  }
  return e.appId === appId && e.transactionId === transactionId && String(e.totalFee) === totalFee && e.feeType === feeType ? e.order : null;
}

export function forgetApplied(outTradeNo: string): void {
  entries.delete(outTradeNo);
}

/** Tests only: start from an empty cache. */
export function forgetAllApplied(): void {
  entries.clear();
}
