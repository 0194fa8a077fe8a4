// Forged or malformed notifies leave only counters (docs/reliability.md §3.2). They are summed in memory
// and flushed at most once a second per isolate, so a flood of forgeries cannot turn into a flood of
// D1 writes. A lost isolate loses at most a second of counts: these are metrics, not money.
import { addRejections } from './rejections-repo';

const REJECTION_FLUSH_MS = 1_000;

/** Keyed by `hour|reason`: hours × a closed set of reasons, so the map stays small. */
const pending = new Map<string, number>();
let lastFlushMs = 0;

export function noteRejection(db: D1Database, now: Date, reason: string, waitUntil: (p: Promise<unknown>) => void): void {
  const key = `${now.toISOString().slice(0, 13)}|${reason}`;
  pending.set(key, (pending.get(key) ?? 0) + 1);
  if (now.getTime() - lastFlushMs >= REJECTION_FLUSH_MS) {
    lastFlushMs = now.getTime();
    waitUntil(flushRejections(db).catch(() => undefined));
  }
}

/** Writes and clears the pending counts. */
export async function flushRejections(db: D1Database): Promise<void> {
  const counts = [...pending].map(([key, n]) => {
    const [hour, reason] = key.split('|') as [string, string];
    return { hour, reason, n };
  });
  pending.clear();
  await addRejections(db, counts);
}
