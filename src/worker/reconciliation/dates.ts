// Bill dates (yyyyMMdd, Beijing): which days may be reconciled, when a day's bill exists, and the
// day's bounds. The clock is an argument (docs/wechatpay-v2.md §15: T's bill from 09:00 on T+1, 3 months).
import { formatWechatTime, parseWechatTime } from '../../core';
import { DomainError } from '../platform/errors';

const DAY_MS = 24 * 3600_000;
/** Day T's bill exists from 09:00 Beijing on T+1. */
export const BILL_READY_HOUR = 9;
/** WeChat keeps bills for 3 months; older days are refused before any call. */
const HISTORY_MONTHS = 3;

export const BILL_DATE = /^\d{8}$/;

/** The Beijing date of an instant. */
export function beijingDate(ms: number): string {
  return formatWechatTime(new Date(ms)).slice(0, 8);
}

/** The instant day T starts (00:00 Beijing), or null when `billDate` is not a real yyyyMMdd date. */
function dayStart(billDate: string): number | null {
  if (!BILL_DATE.test(billDate)) return null;
  return parseWechatTime(billDate + '000000')?.getTime() ?? null;
}

export function billReadyAt(billDate: string): number {
  return dayStart(billDate)! + DAY_MS + BILL_READY_HOUR * 3600_000;
}

/** [start, end) of the Beijing day as UTC ISO-8601 (the form our *_at columns use). */
export function dayBoundsIso(billDate: string): [string, string] {
  const start = dayStart(billDate)!;
  return [new Date(start).toISOString(), new Date(start + DAY_MS).toISOString()];
}

export function previousBeijingDay(nowMs: number): string {
  return beijingDate(dayStart(beijingDate(nowMs))! - DAY_MS);
}

/** The oldest day WeChat still serves: the same day of the month three months back (clamped to that month's end). */
export function oldestBillDate(nowMs: number): string {
  const today = beijingDate(nowMs);
  let y = Number(today.slice(0, 4));
  let m = Number(today.slice(4, 6)) - HISTORY_MONTHS;
  if (m < 1) {
    m += 12;
    y -= 1;
  }
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const d = Math.min(Number(today.slice(6, 8)), last);
  return `${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`;
}

/** A day that may be reconciled now: a real date, before today (Beijing), within 3 months. Else INVALID_BILL_DATE. */
export function checkBillDate(billDate: unknown, nowMs: number): string {
  if (typeof billDate !== 'string' || dayStart(billDate) === null) {
    throw new DomainError('INVALID_BILL_DATE', 'bill_date must be a real date written yyyyMMdd (Beijing)');
  }
  if (billDate >= beijingDate(nowMs))
    throw new DomainError('INVALID_BILL_DATE', 'bill_date must be before today (Beijing): a bill exists from 09:00 the next day');
  if (billDate < oldestBillDate(nowMs)) throw new DomainError('INVALID_BILL_DATE', 'bill_date is older than the 3 months WeChat keeps bills for');
  return billDate;
}
