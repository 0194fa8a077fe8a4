// API v3 times are RFC 3339 with an offset (docs/wechatpay-v3.md §1); the channel's domain keeps v2's
// Beijing forms (OrderQueryResult.timeEnd yyyyMMddHHmmss, RefundQueryItem.successTime
// yyyy-MM-dd HH:mm:ss), so the v3 client converts at its edge.
import { formatWechatTime } from '../../core';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** `time_expire`: the instant on Beijing's wall clock with its offset, `2018-06-08T10:34:56+08:00`. */
export function rfc3339Beijing(date: Date): string {
  const t = formatWechatTime(date);
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}+08:00`;
}

/** The instant of an RFC 3339 time, or null when it is not one. */
export function parseRfc3339(s: unknown): Date | null {
  if (typeof s !== 'string' || !RFC3339.test(s)) return null;
  const d = new Date(s);
  return Number.isFinite(d.getTime()) ? d : null;
}

/** `success_time` → v2's `time_end` (yyyyMMddHHmmss, Beijing), or undefined when absent or malformed. */
export function timeEndOf(s: unknown): string | undefined {
  const d = parseRfc3339(s);
  return d ? formatWechatTime(d) : undefined;
}

/** A refund's `success_time` → v2's `yyyy-MM-dd HH:mm:ss` (Beijing), or undefined. */
export function refundTimeOf(s: unknown): string | undefined {
  const t = timeEndOf(s);
  return t && `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}`;
}
