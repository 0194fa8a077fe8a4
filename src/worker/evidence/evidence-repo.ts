// The evidence store's D1 side (migrations/0014_evidence_bodies.sql): the bodies still in D1 past
// EVIDENCE_DAYS, the verified parts, the conditional clears, and where a moved body is.

export interface HotBody {
  id: number;
  body_sha256: unknown;
  raw_body: string;
  /** 1 when received before the cutoff. */
  old: number;
}

/**
 * The oldest bodies still in D1 (ids grow with time), each marked old or not: the caller takes the old
 * prefix. Read on the partial index of hot bodies, so a step costs its limit, never the table.
 */
export async function hotBodies(db: D1Database, cutoffMs: number, limit: number): Promise<HotBody[]> {
  const { results } = await db
    .prepare(
      `SELECT id, body_sha256, raw_body,
         (CASE typeof(received_at) WHEN 'integer' THEN received_at < ?1 ELSE received_at < ?2 END) AS old
       FROM notifications WHERE raw_body IS NOT NULL AND body_part IS NULL ORDER BY id LIMIT ?3`,
    )
    .bind(cutoffMs, new Date(cutoffMs).toISOString(), limit)
    .all<HotBody>();
  return results;
}

/** Bodies whose text is not what was hashed (an API v3 notify keeps its decrypted resource): they stay in D1. */
export async function keepHot(db: D1Database, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .prepare('UPDATE notifications SET body_part = 0 WHERE id IN (SELECT value FROM json_each(?1)) AND raw_body IS NOT NULL AND body_part IS NULL')
    .bind(JSON.stringify(ids))
    .run();
}

export interface VerifiedEvidencePart {
  objectKey: string;
  headerLen: number;
  bodyCount: number;
  bytes: number;
  sha256: string;
}

/** Records a part that was written, read back and verified. Its id. */
export async function recordEvidencePart(db: D1Database, p: VerifiedEvidencePart, now: number): Promise<number> {
  const r = await db
    .prepare(
      `INSERT INTO evidence_parts (object_key, header_len, body_count, bytes, sha256, state, verified_at)
       VALUES (?1, ?2, ?3, ?4, ?5, 'MOVING', ?6) RETURNING id`,
    )
    .bind(p.objectKey, p.headerLen, p.bodyCount, p.bytes, p.sha256, new Date(now).toISOString())
    .first<{ id: number }>();
  return r!.id;
}

export async function openEvidencePart(db: D1Database): Promise<{ id: number; object_key: string; header_len: number } | null> {
  return db.prepare(`SELECT id, object_key, header_len FROM evidence_parts WHERE state = 'MOVING' ORDER BY id LIMIT 1`).first();
}

/** [id, pos, len, sha256 hex] of one body in a part: pos is absolute in the object. */
export type PlacedBody = readonly [number, number, number, string];

/**
 * Clears these bodies in one transaction: raw_body NULL and the member's place, only while the part is a
 * recorded (verified) one, the body is still in D1 and the row's hash is the one the member was verified
 * against, in either stored form (hex text before 0011, a BLOB after). How many went.
 *
 * The rows are deleted and inserted again without their bodies (through evidence_moving, in the same
 * batch), not updated: SQLite frees b-tree pages only on deletes, so an UPDATE (or a REPLACE) that shrinks
 * 1 KB rows to 100 B leaves their pages allocated and 90 % empty; measured, it saves no byte until a
 * VACUUM. The deletes merge the pages and free the rest for any later insert.
 */
export async function clearBodies(db: D1Database, part: number, bodies: readonly PlacedBody[]): Promise<number> {
  const [moving] = await db.batch([
    db
      .prepare(
        `INSERT INTO evidence_moving (id, kind, out_trade_no, body_sha256, verdict, received_at, body_part, body_pos, body_len)
         SELECT n.id, n.kind, n.out_trade_no, n.body_sha256, n.verdict, n.received_at, ?1, j.pos, j.len
         FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS pos, json_extract(value, '$[2]') AS len,
                 json_extract(value, '$[3]') AS h FROM json_each(?2)) AS j
         JOIN notifications n ON n.id = j.id
         WHERE n.raw_body IS NOT NULL AND n.body_part IS NULL
           AND (CASE typeof(n.body_sha256) WHEN 'blob' THEN n.body_sha256 = unhex(j.h) ELSE lower(n.body_sha256) = j.h END)
           AND EXISTS (SELECT 1 FROM evidence_parts p WHERE p.id = ?1 AND p.state = 'MOVING')`,
      )
      .bind(part, JSON.stringify(bodies)),
    db.prepare('DELETE FROM notifications WHERE id IN (SELECT id FROM evidence_moving)'),
    db.prepare(
      `INSERT INTO notifications (id, kind, out_trade_no, body_sha256, raw_body, verdict, received_at, body_part, body_pos, body_len)
       SELECT id, kind, out_trade_no, body_sha256, NULL, verdict, received_at, body_part, body_pos, body_len FROM evidence_moving`,
    ),
    db.prepare('DELETE FROM evidence_moving'),
  ]);
  return moving?.meta.changes ?? 0;
}

export async function finishEvidencePart(db: D1Database, part: number): Promise<void> {
  await db.prepare(`UPDATE evidence_parts SET state = 'DONE' WHERE id = ?1 AND state = 'MOVING'`).bind(part).run();
}

/** The objects of these parts (the readers of moved bodies). */
export async function evidenceObjectKeys(db: D1Database, parts: readonly number[]): Promise<Map<number, string>> {
  if (parts.length === 0) return new Map();
  const { results } = await db
    .prepare('SELECT id, object_key FROM evidence_parts WHERE id IN (SELECT value FROM json_each(?1))')
    .bind(JSON.stringify([...new Set(parts)]))
    .all<{ id: number; object_key: string }>();
  return new Map(results.map((r) => [r.id, r.object_key]));
}
