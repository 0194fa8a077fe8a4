/**
 * Scenario faults on the wire (src/sandbox/scenarios.ts): a reply that is ready is sent late (`delay_ms`)
 * or never (`timeout`: the request hangs until the client gives up), for the v2 and v3 APIs alike.
 */
import type { Fault } from '../scenarios';

/** A `timeout` fault never answers; this caps the hang in case the client never gives up. */
const HANG_CAP_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Hangs until the client aborts (its own timeout) or the cap passes: a reply lost in transit. */
function hang(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, HANG_CAP_MS);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** Applies a delay/timeout fault to a reply that is otherwise ready. */
export async function shaped(signal: AbortSignal, fault: Pick<Fault, 'timeout' | 'delay_ms'> | undefined, reply: () => Response): Promise<Response> {
  if (fault?.timeout) {
    await hang(signal);
    return new Response(null, { status: 504 });
  }
  if (fault?.delay_ms) await sleep(fault.delay_ms);
  return reply();
}
