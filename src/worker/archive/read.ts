// An archived order read back: the lookup row names its member, one ranged GET fetches it.
import { type ArchiveRows, gunzipText, parseMember } from '../../core';
import { lookupNumber } from './archive-repo';

export interface ArchivedOrder {
  /** The number asked for was the order's (0) or one of its payment attempts' (1). */
  kind: number;
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
  return { kind: hit.kind, day: hit.day, objectKey: hit.object_key, rows };
}

/** Whether a number (order or payment attempt) is in the archive: a creation or a notify must not treat it as new. */
export async function isArchivedNumber(db: D1Database, number: string): Promise<boolean> {
  return (await lookupNumber(db, number)) !== null;
}
