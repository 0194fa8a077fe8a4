// The orphan collection's D1 side (migrations/0019_archive_orphans.sql): where its listing stopped, and
// which of a page's keys a recorded part names. The bucket has two writers, the archive run
// (archive_parts) and the evidence run (evidence_parts): an object either names is never an orphan.

export interface OrphanCursor {
  prefix: string;
  /** The last key handled under `prefix`; '' lists the prefix from its start. */
  after: string;
}

export async function readOrphanCursor(db: D1Database): Promise<OrphanCursor | null> {
  return db.prepare('SELECT prefix, after_key AS after FROM archive_orphans WHERE id = 1').first<OrphanCursor>();
}

/** Moves the cursor only from where this run read it: false when another run moved it first. */
export async function moveOrphanCursor(db: D1Database, from: OrphanCursor, to: OrphanCursor, now: number): Promise<boolean> {
  const r = await db
    .prepare('UPDATE archive_orphans SET prefix = ?3, after_key = ?4, moved_at = ?5 WHERE id = 1 AND prefix = ?1 AND after_key = ?2')
    .bind(from.prefix, from.after, to.prefix, to.after, now)
    .run();
  return r.meta.changes === 1;
}

/** The keys among these that a recorded part names (one statement: both tables' unique index on object_key). */
export async function recordedKeys(db: D1Database, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const { results } = await db
    .prepare(
      `SELECT object_key FROM archive_parts WHERE object_key IN (SELECT value FROM json_each(?1))
       UNION ALL SELECT object_key FROM evidence_parts WHERE object_key IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify(keys))
    .all<{ object_key: string }>();
  return new Set(results.map((r) => r.object_key));
}
