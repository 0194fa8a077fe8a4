// Reads a request body with a hard byte cap, counting the bytes that actually arrive: a chunked
// body has no Content-Length, and a declared one may lie (docs/reliability.md §4 step 1, [S46]).
import { concatBytes } from '../../core';

/** The body bytes, or null as soon as more than `maxBytes` arrived (the rest is never read). */
export async function readCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array | null> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}
