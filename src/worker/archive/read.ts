// An archived order read back: the lookup row names its member, one ranged GET fetches it.
import { type ArchiveRows, gunzipText, parseMember } from '../../core';
import { lookupNumber, type PartMembers } from './archive-repo';

export interface ArchivedOrder {
  /** The number asked for was the order's (0) or one of its payment attempts' (1). */
  kind: number;
  /** The archive part holding the member. */
  part: number;
  /** yyyymmdd, the Beijing day it was created. */
  day: number;
  objectKey: string;
  rows: ArchiveRows;
}

/** The archived order an order or payment number belongs to, or null if the number was never archived. */
export async function readArchivedOrder(db: D1Database, bucket: R2Bucket | undefined, number: string): Promise<ArchivedOrder | null> {
  const hit = await lookupNumber(db, number);
  if (!hit) return null;
  if (!bucket) throw new Error('the order is archived and no ARCHIVE bucket is bound');
  const object = await bucket.get(hit.object_key, { range: { offset: hit.pos, length: hit.len } });
  if (!object) throw new Error(`archive object ${hit.object_key} is missing`);
  const rows = parseMember(await gunzipText(new Uint8Array(await object.arrayBuffer())));
  return { kind: hit.kind, part: hit.part, day: hit.day, objectKey: hit.object_key, rows };
}

/** Whether a number (order or payment attempt) is in the archive: a creation or a notify must not treat it as new. */
export async function isArchivedNumber(db: D1Database, number: string): Promise<boolean> {
  return (await lookupNumber(db, number)) !== null;
}

/** Above this many members, or this share of the part's bytes, one GET of the whole part beats ranged GETs. */
const MAX_RANGED_MEMBERS = 24;
const MAX_RANGED_SHARE = 0.25;
/** Ranged GETs in flight at once (a Worker has 6 simultaneous connections). */
const RANGED_CONCURRENCY = 6;

/**
 * The rows of some members of one part, in the order given: ranged GETs of each when they are few, else
 * one GET of the whole part (at most ~2 MB: a part holds at most 1,000 orders). Either way bounded.
 */
export async function readMembers(bucket: R2Bucket | undefined, at: PartMembers): Promise<ArchiveRows[]> {
  if (!bucket) throw new Error('archived orders are needed and no ARCHIVE bucket is bound');
  const missing = () => new Error(`archive object ${at.objectKey} is missing`);
  const wanted = at.members.reduce((n, m) => n + m.len, 0);
  if (at.members.length > MAX_RANGED_MEMBERS || wanted > at.bytes * MAX_RANGED_SHARE) {
    const object = await bucket.get(at.objectKey);
    if (!object) throw missing();
    const bytes = new Uint8Array(await object.arrayBuffer());
    const out: ArchiveRows[] = [];
    for (const m of at.members) out.push(parseMember(await gunzipText(bytes.subarray(m.pos, m.pos + m.len))));
    return out;
  }
  const out: ArchiveRows[] = new Array(at.members.length);
  let next = 0;
  const lane = async () => {
    while (next < at.members.length) {
      const i = next++;
      const m = at.members[i]!;
      const object = await bucket.get(at.objectKey, { range: { offset: m.pos, length: m.len } });
      if (!object) throw missing();
      out[i] = parseMember(await gunzipText(new Uint8Array(await object.arrayBuffer())));
    }
  };
  await Promise.all(Array.from({ length: Math.min(RANGED_CONCURRENCY, at.members.length) }, lane));
  return out;
}
