// The archive's days are Beijing days (UTC+8, as WeChat's bills and the console's are).
const BEIJING_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** yyyy-mm-dd of the Beijing day an instant (UTC ISO-8601 text or epoch ms) falls on. */
export function beijingDayOf(at: string | number): string {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** The first instant (UTC ISO-8601) still hot: the start of the Beijing day `hotDays` before `now`'s. */
export function cutoffOf(now: number, hotDays: number): string {
  const startOfToday = Math.floor((now + BEIJING_OFFSET_MS) / DAY_MS) * DAY_MS - BEIJING_OFFSET_MS;
  return new Date(startOfToday - hotDays * DAY_MS).toISOString();
}
