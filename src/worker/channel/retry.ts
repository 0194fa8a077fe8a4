// The one retry rule of the WeChat clients: only for calls that are safe to repeat (queries), only on a
// retryable ChannelError, exponential backoff with jitter.
import { ChannelError } from './errors';

export interface RetryOptions {
  /** Injected so tests of the retry schedule need not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly attempts?: number;
  readonly baseDelayMs?: number;
}

export async function withRetries<T>(attempt: () => Promise<T>, { sleep, attempts = 3, baseDelayMs = 200 }: RetryOptions = {}): Promise<T> {
  const wait = sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof ChannelError) || !e.retryable || i >= attempts) throw e;
      await wait(baseDelayMs * 2 ** (i - 1) * (0.5 + Math.random() / 2));
    }
  }
}
