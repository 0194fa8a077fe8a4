// WeChat's time format: yyyyMMddHHmmss in Beijing time (UTC+8, no daylight saving).
const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

export function toBeijingTime(epochMs: number): string {
  return new Date(epochMs + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace(/[-T:]/g, '');
}
