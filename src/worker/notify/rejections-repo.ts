// The hourly counters of refused notifies (docs/reliability.md §3.2: a flood of forgeries is never a flood of writes).

/** Adds `n` to the (UTC hour, reason) counters of refused notifies, in one batch. */
export async function addRejections(db: D1Database, counts: ReadonlyArray<{ hour: string; reason: string; n: number }>): Promise<void> {
  if (!counts.length) return;
  const sql = `INSERT INTO notify_rejections (hour, reason, count) VALUES (?1, ?2, ?3)
    ON CONFLICT (hour, reason) DO UPDATE SET count = count + excluded.count`;
  await db.batch(counts.map((c) => db.prepare(sql).bind(c.hour, c.reason, c.n)));
}
