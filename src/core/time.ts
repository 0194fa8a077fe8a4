/**
 * WeChat's `yyyyMMddHHmmss` times are Beijing time (UTC+8, no DST); the project stores UTC ISO-8601
 * (migrations/0001). The clock is always an argument: nothing here reads the current time.
 */

const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function checkedTime(date: Date): number {
  const t = date instanceof Date ? date.getTime() : NaN;
  if (!Number.isFinite(t)) throw new RangeError('invalid Date');
  return t;
}

/** `time_start` / `time_expire` form of an instant: yyyyMMddHHmmss on the Beijing wall clock. */
export function formatWechatTime(date: Date): string {
  const b = new Date(checkedTime(date) + BEIJING_OFFSET_MS); // read back with the UTC getters
  const year = b.getUTCFullYear();
  if (year < 1000 || year > 9999) throw new RangeError('year outside 1000–9999');
  return pad(year, 4) + pad(b.getUTCMonth() + 1, 2) + pad(b.getUTCDate(), 2) + pad(b.getUTCHours(), 2) + pad(b.getUTCMinutes(), 2) + pad(b.getUTCSeconds(), 2);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The instant a `time_end` names, or null when `s` is not exactly 14 ASCII digits forming a real
 * Beijing date and time from 1970 on (no leap seconds, no 24:00). Untrusted input gives null,
 * never a throw, so callers must decide what a bad time means for them.
 */
export function parseWechatTime(s: string): Date | null {
  if (typeof s !== 'string' || s.length !== 14) return null;
  for (let i = 0; i < 14; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
  }
  const part = (from: number, to: number): number => Number(s.slice(from, to));
  const [year, month, day] = [part(0, 4), part(4, 6), part(6, 8)];
  const [hour, minute, second] = [part(8, 10), part(10, 12), part(12, 14)];
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second) - BEIJING_OFFSET_MS);
}

/** The stored form: `2024-01-01T04:00:00.000Z`. Sorts as text. */
export function toIsoUtc(date: Date): string {
  return new Date(checkedTime(date)).toISOString();
}
