// Collecting orphaned objects (docs/scaling.md §6, "Orphans"). A run cut after its object was written or
// verified, before D1 recorded it, leaves an R2 object that no row names and no reader reaches. A bounded
// step of the nightly job lists the bucket's two prefixes in turn, page by page, resuming after the last
// key it handled (kept in D1), and deletes an object only when all three hold: it has the shape the runs
// write, no archive or evidence part names it, and it was uploaded more than a margin ago. The margin is
// far longer than a run lives (a cron invocation, its lease 15 minutes), so no run can still record it;
// a recorded object is never deleted, whatever its age. A cut anywhere only repeats a page; two
// collections at once delete the same orphans twice (a no-op) and one of them stops at the cursor.
import { moveOrphanCursor, type OrphanCursor, readOrphanCursor, recordedKeys } from './orphans-repo';

export interface OrphanDeps {
  readonly db: D1Database;
  readonly bucket: R2Bucket;
  /** Milliseconds since the epoch: the cron's scheduled time. */
  readonly now: number;
}

export interface OrphanLimits {
  /** Keys per list call (R2 returns at most 1,000). */
  readonly pageKeys: number;
  /** List calls per run. */
  readonly maxPages: number;
  /** Objects deleted per run (at most pageKeys per delete call). */
  readonly maxDeletes: number;
  /** An unrecorded object younger than this stays: a live run may be about to record it. */
  readonly marginMs: number;
}

export const ORPHAN_LIMITS: OrphanLimits = { pageKeys: 1000, maxPages: 4, maxDeletes: 1000, marginMs: 24 * 3_600_000 };

/** The prefixes listed, in this order, each with the shape of the keys its run writes (archive/run.ts, evidence/run.ts). */
export const ORPHAN_PREFIXES: readonly { prefix: string; shape: RegExp }[] = [
  { prefix: 'archive/v1/', shape: /^archive\/v1\/\d{4}-\d{2}-\d{2}\/p\d{4,}-[0-9a-f]{8}\.ndjson\.gz$/ },
  { prefix: 'evidence/v1/', shape: /^evidence\/v1\/\d{4}-\d{2}-\d{2}\/p-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\.gz$/ },
];

/** Where a test may cut a collection (throw): after a page's deletes, before the cursor moves past them. */
export type OrphanPoint = 'deleted';
export type OrphanHooks = { readonly after?: (point: OrphanPoint) => Promise<void> | void };

export interface OrphanReport {
  pages: number;
  listed: number;
  /** Named by a recorded part: kept. */
  recorded: number;
  /** Unrecorded but uploaded within the margin: kept until a later pass. */
  young: number;
  /** Not shaped as a run's object: kept. */
  foreign: number;
  deleted: number;
  /** Prefixes listed to their end in this run; a run stops after one pass of each. */
  passes: number;
  /** Another run moved the cursor first: this one stopped. */
  raced: boolean;
}

export async function collectOrphans(deps: OrphanDeps, limits: OrphanLimits = ORPHAN_LIMITS, hooks: OrphanHooks = {}): Promise<OrphanReport> {
  const report: OrphanReport = { pages: 0, listed: 0, recorded: 0, young: 0, foreign: 0, deleted: 0, passes: 0, raced: false };
  while (report.pages < limits.maxPages && report.deleted < limits.maxDeletes && report.passes < ORPHAN_PREFIXES.length) {
    report.pages++;
    const at = (await readOrphanCursor(deps.db)) ?? { prefix: ORPHAN_PREFIXES[0]!.prefix, after: '' };
    const next = await collectPage(deps, limits, hooks, at, report);
    if (!(await moveOrphanCursor(deps.db, at, next, deps.now))) {
      report.raced = true;
      break;
    }
  }
  return report;
}

/** One page after the cursor: deletes its orphans (within the run's budget) and says where the next page starts. */
async function collectPage(deps: OrphanDeps, limits: OrphanLimits, hooks: OrphanHooks, at: OrphanCursor, report: OrphanReport): Promise<OrphanCursor> {
  const i = ORPHAN_PREFIXES.findIndex((p) => p.prefix === at.prefix);
  // A prefix this code does not list (a later version's): start over at the first.
  const { prefix, shape } = ORPHAN_PREFIXES[Math.max(i, 0)]!;
  const after = i === -1 ? '' : at.after;
  const page = await deps.bucket.list({ prefix, limit: limits.pageKeys, ...(after ? { startAfter: after } : {}) });
  report.listed += page.objects.length;
  const recorded = await recordedKeys(
    deps.db,
    page.objects.map((o) => o.key),
  );
  const doomed: string[] = [];
  let last = after;
  let whole = true;
  for (const o of page.objects) {
    if (!shape.test(o.key)) report.foreign++;
    else if (recorded.has(o.key)) report.recorded++;
    else if (o.uploaded.getTime() > deps.now - limits.marginMs) report.young++;
    else if (report.deleted + doomed.length >= limits.maxDeletes) {
      // Out of budget: the next run starts at this object.
      whole = false;
      break;
    } else doomed.push(o.key);
    last = o.key;
  }
  if (doomed.length > 0) {
    await deps.bucket.delete(doomed);
    report.deleted += doomed.length;
    await hooks.after?.('deleted');
  }
  if (whole && !page.truncated) {
    report.passes++;
    return { prefix: ORPHAN_PREFIXES[(Math.max(i, 0) + 1) % ORPHAN_PREFIXES.length]!.prefix, after: '' };
  }
  return { prefix, after: last };
}
