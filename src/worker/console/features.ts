// Which console pages have data: the reconciliation and webhook pages appear once their tables exist
// (their migrations land with those features). One sqlite_master query, cached per isolate.

/** Tables each optional page reads. Adjust to the names those features' migrations create. */
export const FEATURE_TABLES = {
  reconciliation: ['reconciliation_runs', 'reconciliation_items'],
  webhooks: ['events', 'event_attempts'],
} as const;

export type Feature = keyof typeof FEATURE_TABLES;
export type Features = Readonly<Record<Feature, boolean>>;

const TTL_MS = 5 * 60_000;
let cached: { at: number; value: Promise<Features> } | null = null;

async function load(db: D1Database): Promise<Features> {
  const names = Object.values(FEATURE_TABLES).flat();
  const res = await db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${names.map((_, i) => `?${i + 1}`).join(', ')})`)
    .bind(...names)
    .all<{ name: string }>();
  const present = new Set(res.results.map((r) => r.name));
  const has = (f: Feature) => FEATURE_TABLES[f].every((t) => present.has(t));
  return { reconciliation: has('reconciliation'), webhooks: has('webhooks') };
}

/** The optional pages whose tables exist; refreshed at most every 5 minutes per isolate. */
export function consoleFeatures(db: D1Database, now: number): Promise<Features> {
  if (!cached || now - cached.at > TTL_MS) {
    const value = load(db);
    cached = { at: now, value };
    // A failed lookup is not cached: the next request asks again.
    value.catch(() => {
      if (cached?.value === value) cached = null;
    });
  }
  return cached.value;
}
