// API v3 times (docs/wechatpay-v3.md §1): RFC 3339 with an offset, e.g. `2015-05-20T13:29:35+08:00`.
// WeChat writes Beijing time (+08:00); a merchant may send any offset. The clock is always an argument.
import { formatWechatTime } from './time';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** An instant as WeChat writes it: the Beijing wall clock with `+08:00`, whole seconds. */
export function formatV3Time(date: Date): string {
  const t = formatWechatTime(date);
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}+08:00`;
}

/**
 * The instant an RFC 3339 date-time names (fractional seconds dropped), or null when `s` is not one:
 * a real calendar date and time from 1970 on, an offset within ±23:59. Never throws on input.
 */
export function parseV3Time(s: string): Date | null {
  const m = typeof s === 'string' ? RFC3339.exec(s) : null;
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(utc);
  // Date.UTC rolls 31 February over to March: a date that does not read back is not a date.
  if (year < 1970 || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  const zone = m[7]!;
  if (zone === 'Z') return d;
  const [oh, om] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
  if (oh > 23 || om > 59) return null;
  const offsetMs = (zone[0] === '+' ? 1 : -1) * (oh * 60 + om) * 60_000;
  return new Date(utc - offsetMs);
}
