// When a failed webhook attempt is tried again: Svix's schedule, then every 12 h, within 3 days.

const S = 1000;
const M = 60 * S;
const H = 60 * M;

/**
 * Delay after the n-th failed attempt of a window (n = 1, 2, …): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
 * 10 h (Svix; the first attempt is immediate), then every 12 h. 12 h is also the longest delay
 * Cloudflare Queues' message.retry accepts.
 */
export const RETRY_DELAYS_MS: readonly number[] = [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H];
const LATE_RETRY_DELAY_MS = 12 * H;
/** After this long without a 2xx (from creation, or from a redelivery by hand) the event is failed. */
export const RETRY_WINDOW_MS = 72 * H;

export function retryDelayMs(failedAttemptsInWindow: number): number {
  return RETRY_DELAYS_MS[failedAttemptsInWindow - 1] ?? LATE_RETRY_DELAY_MS;
}

/** The next attempt's time, or null when it would fall outside the window (the event is then failed). */
export function nextAttemptAt(windowStartMs: number, failedAttemptsInWindow: number, nowMs: number): number | null {
  const at = nowMs + retryDelayMs(failedAttemptsInWindow);
  return at <= windowStartMs + RETRY_WINDOW_MS ? at : null;
}
