// The archive's days are Beijing days (UTC+8, as WeChat's bills and the console's are).
import type { ArchiveRows } from '../../core';

const BEIJING_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** yyyy-mm-dd of the Beijing day an instant (UTC ISO-8601 text or epoch ms) falls on. */
export function beijingDayOf(at: string | number): string {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** The first instant (epoch ms, as orders.created_at is stored since 0018) still hot: the start of the Beijing day `hotDays` before `now`'s. */
export function cutoffOf(now: number, hotDays: number): number {
  const startOfToday = Math.floor((now + BEIJING_OFFSET_MS) / DAY_MS) * DAY_MS - BEIJING_OFFSET_MS;
  return startOfToday - hotDays * DAY_MS;
}

/**
 * The Beijing days (yyyymmdd) on which an order has something on WeChat's bill: each payment (the
 * order's and its attempts' time_end, WeChat's Beijing yyyyMMddHHmmss) and each refund's application
 * (created_at: the bill dates a refund by it). Reconciling one of these days reads the order's member.
 */
export function billDaysOf(rows: ArchiveRows): number[] {
  const days = new Set<number>();
  for (const r of [...(rows.orders ?? []), ...(rows.payment_attempts ?? [])]) {
    const t = r.time_end;
    if (typeof t === 'string' && /^\d{8}/.test(t)) days.add(Number(t.slice(0, 8)));
  }
  for (const r of rows.refunds ?? []) {
    const at = r.created_at;
    if (typeof at === 'string' || typeof at === 'number') days.add(Number(beijingDayOf(at).replaceAll('-', '')));
  }
  return [...days];
}
