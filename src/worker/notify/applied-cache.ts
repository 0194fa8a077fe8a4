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

interface Entry {
  transactionId: string;
  totalFee: number;
  feeType: string;
  until: number;
}

const entries = new Map<string, Entry>();

export function rememberApplied(outTradeNo: string, transactionId: string, totalFee: number, feeType: string, nowMs: number): void {
  entries.delete(outTradeNo); // re-insert: Map order is the eviction order
  if (entries.size >= APPLIED_CACHE_MAX) entries.delete(entries.keys().next().value!);
  entries.set(outTradeNo, { transactionId, totalFee, feeType, until: nowMs + APPLIED_CACHE_TTL_MS });
}

/**
 * True only for the very transaction, amount and currency that were committed, within the TTL.
 * `totalFee` is the wire string: it must be the canonical digits of the committed amount.
 */
export function knownApplied(outTradeNo: string, transactionId: string, totalFee: string | undefined, feeType: string, nowMs: number): boolean {
  const e = entries.get(outTradeNo);
  if (!e) return false;
  if (e.until <= nowMs) {
    entries.delete(outTradeNo);
    return false;
  }
  return e.transactionId === transactionId && String(e.totalFee) === totalFee && e.feeType === feeType;
}

export function forgetApplied(outTradeNo: string): void {
  entries.delete(outTradeNo);
}

/** Tests only: start from an empty cache. */
export function forgetAllApplied(): void {
  entries.clear();
}
