// When the lifecycle cron looks at an unpaid order (pure): orderquery 1, 2, 5, 10 and 30 minutes
// after the prepay, then every 30 minutes; closeorder once expired and at least 5 minutes old.
import { CLOSE_MIN_AGE_MS } from '../channel';

const M = 60_000;
/** Minutes after the prepay of the first checks (docs/wechatpay-v2.md §10: the first query within a minute). */
const CHECK_OFFSETS_MS: readonly number[] = [1 * M, 2 * M, 5 * M, 10 * M, 30 * M];
const CHECK_EVERY_MS = 30 * M;

/** The first check point strictly after `afterMs`, for a prepay issued at `issuedMs`. */
export function checkPointAfter(issuedMs: number, afterMs: number): number {
  for (const offset of CHECK_OFFSETS_MS) if (issuedMs + offset > afterMs) return issuedMs + offset;
  const last = CHECK_OFFSETS_MS[CHECK_OFFSETS_MS.length - 1]!;
  const k = Math.floor((afterMs - issuedMs - last) / CHECK_EVERY_MS) + 1;
  return issuedMs + last + k * CHECK_EVERY_MS;
}

/** When an unpaid order is closed: once expired, and never before WeChat's 5-minute rule allows. */
export function closeDueAt(createdAtMs: number, expiresAtMs: number): number {
  return Math.max(expiresAtMs, createdAtMs + CLOSE_MIN_AGE_MS);
}
