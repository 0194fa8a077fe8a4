// A moved notify body read back: one ranged GET of its member, verified against the row's SHA-256
// (the content address) before anyone sees it. Rows whose body is still in D1 pass through.
import { gunzipText, sha256Hex, storedSha256Hex } from '../../core';
import { evidenceObjectKeys } from './evidence-repo';

/** What a reader needs of a notifications row (hot, or as the whole-order archive kept it). */
export interface BodyRow {
  raw_body: string | null;
  body_sha256?: unknown;
  body_part?: number | null;
  body_pos?: number | null;
  body_len?: number | null;
}

/** The rows with every moved body read back from R2 and verified. Throws if one is missing or altered. */
export async function withBodies<T extends BodyRow>(db: D1Database, bucket: R2Bucket | undefined, rows: readonly T[]): Promise<(T & { raw_body: string })[]> {
  const moved = rows.filter((r) => r.raw_body === null && (r.body_part ?? 0) > 0);
  if (moved.length === 0) return rows as (T & { raw_body: string })[];
  if (!bucket) throw new Error('a notify body was moved to R2 and no ARCHIVE bucket is bound');
  const keys = await evidenceObjectKeys(
    db,
    moved.map((r) => r.body_part!),
  );
  const bodies = new Map<T, string>();
  await Promise.all(
    moved.map(async (r) => {
      const key = keys.get(r.body_part!);
      const object = key ? await bucket.get(key, { range: { offset: r.body_pos!, length: r.body_len! } }) : null;
      if (!object) throw new Error(`the evidence part ${r.body_part} of a notify body is missing`);
      const text = await gunzipText(new Uint8Array(await object.arrayBuffer()));
      if ((await sha256Hex(text)) !== storedSha256Hex(r.body_sha256))
        throw new Error(`a notify body in evidence part ${r.body_part} does not match its SHA-256`);
      bodies.set(r, text);
    }),
  );
  return rows.map((r) => (bodies.has(r) ? { ...r, raw_body: bodies.get(r)! } : r)) as (T & { raw_body: string })[];
}
