// Orphaned objects of cut runs (docs/scaling.md §6, "Orphans"): an archive or evidence run cut after its
// object was written or verified leaves an object no D1 row names. The collection deletes it only once it
// is older than the margin; every recorded object (archive and evidence parts alike) stays and still reads
// through the app, whatever its age; nothing outside the runs' prefixes and shapes is touched; a
// collection cut or stopped by its budget resumes where it stopped.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core';
import { recordedKeys } from '../../src/worker/archive/orphans-repo';
import { type ArchivePoint, collectOrphans, type OrphanLimits, type OrphanPoint, runArchive } from '../../src/worker/archive';
import { type EvidencePoint, runEvidence } from '../../src/worker/evidence';
import { adminPage, login } from '../support/console-helpers';
import { injectedFault } from '../support/injected-fault';
import { AUTH, api, orderView, paidOrder } from '../support/refunds-helpers';
import { runCron } from '../support/webhooks-helpers';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Small pages, so a pass takes several list calls and the cursor moves within a prefix. */
const LIMITS: OrphanLimits = { pageKeys: 2, maxPages: 100, maxDeletes: 1000, marginMs: DAY };

function collect(opts: { hoursOn?: number; limits?: Partial<OrphanLimits>; after?: (p: OrphanPoint) => void } = {}) {
  return collectOrphans(
    { db: env.DB, bucket: env.ARCHIVE, now: Date.now() + (opts.hoursOn ?? 0) * HOUR },
    { ...LIMITS, ...opts.limits },
    { after: opts.after },
  );
}

/** A run cut (thrown out) right after `point`: its object is in R2, and D1 does not know it. */
const cutAt =
  <P extends string>(point: P) =>
  (p: P) => {
    if (p === point) throw injectedFault(`cut after ${p}`);
  };

function archive(after?: (p: ArchivePoint) => void) {
  const deps = { db: env.DB, bucket: env.ARCHIVE, hotDays: 90, historyDays: 90, now: Date.now() + 100 * DAY, holder: crypto.randomUUID(), webhooks: false };
  return runArchive(deps, { partOrders: 1000, deleteChunk: 200, maxSteps: 50, leaseMs: 60_000 }, { after });
}

function evidence(after?: (p: EvidencePoint) => void) {
  const deps = { db: env.DB, bucket: env.ARCHIVE, evidenceDays: 7, now: Date.now() + 8 * DAY };
  return runEvidence(deps, { partBodies: 1000, clearChunk: 250, maxSteps: 20 }, { after });
}

/** Every key in the bucket (bounded: the tests write a few dozen). */
async function allKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const listed = await env.ARCHIVE.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
    keys.push(...listed.objects.map((o) => o.key));
    if (!listed.truncated) return keys;
    cursor = listed.cursor;
  }
  throw new Error('more keys than a test writes');
}

/** Every recorded part's key with the SHA-256 D1 holds for its object. */
async function recordedParts(): Promise<Map<string, string>> {
  const { results } = await env.DB.prepare('SELECT object_key, sha256 FROM archive_parts UNION ALL SELECT object_key, sha256 FROM evidence_parts').all<{
    object_key: string;
    sha256: string;
  }>();
  return new Map(results.map((r) => [r.object_key, r.sha256]));
}

async function orphanKeys(): Promise<string[]> {
  const recorded = await recordedParts();
  return (await allKeys()).filter((k) => !recorded.has(k)).sort();
}

/** Every recorded object is in R2 and hashes to what D1 recorded for it. */
async function expectRecordedIntact(): Promise<void> {
  const parts = await recordedParts();
  expect(parts.size).toBeGreaterThan(0);
  for (const [key, sha256] of parts) {
    const object = await env.ARCHIVE.get(key);
    expect(object, key).not.toBeNull();
    expect(await sha256Hex(new Uint8Array(await object!.arrayBuffer()))).toBe(sha256);
  }
}

/**
 * Two cut runs of each writer, then a complete run of each: four orphans, and the parts that hold `nos`
 * (their notify bodies in an evidence part, then the whole orders in an archive part), with each order's
 * view before it left D1.
 */
async function seedOrphans(): Promise<{ views: Map<string, Record<string, unknown>>; orphans: string[] }> {
  const before = new Set(await orphanKeys());
  const nos = [await paidOrder(1000), await paidOrder(2000)];
  const views = new Map<string, Record<string, unknown>>();
  for (const no of nos) views.set(no, await orderView(no));
  for (const point of ['written', 'verified'] as const) await expect(evidence(cutAt<EvidencePoint>(point))).rejects.toThrow(/cut after/);
  expect((await evidence()).caughtUp).toBe(true);
  const hotBodies = await env.DB.prepare('SELECT COUNT(*) AS n FROM notifications WHERE out_trade_no IN (?1, ?2) AND raw_body IS NOT NULL')
    .bind(nos[0], nos[1])
    .first<number>('n');
  expect(hotBodies).toBe(0);
  for (const point of ['written', 'verified'] as const) await expect(archive(cutAt<ArchivePoint>(point))).rejects.toThrow(/cut after/);
  expect((await archive()).caughtUp).toBe(true);
  const orphans = (await orphanKeys()).filter((k) => !before.has(k));
  expect(orphans.filter((k) => k.startsWith('archive/v1/'))).toHaveLength(2);
  expect(orphans.filter((k) => k.startsWith('evidence/v1/'))).toHaveLength(2);
  return { views, orphans };
}

/** The archived orders read through the API as they were, and their moved notify bodies through the console's timeline. */
async function expectReadableThroughTheApp(views: Map<string, Record<string, unknown>>): Promise<void> {
  const cookie = await login();
  for (const [no, view] of views) {
    expect(await env.DB.prepare('SELECT 1 FROM orders WHERE out_trade_no = ?1').bind(no).first()).toBeNull();
    const res = await api(`/v1/orders/${no}`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ...view, archived: true });
    // result_code comes only from the notify's XML, read back from its evidence part.
    const page = await adminPage(`/admin/orders/${no}`, cookie);
    expect(page).toContain('已归档');
    expect(page).toContain('result_code=SUCCESS');
  }
}

describe('the collection of orphaned objects', () => {
  it('keeps an orphan younger than the margin, deletes it past the margin, and every recorded object still reads through the app', async () => {
    const { views, orphans } = await seedOrphans();

    // Just written: within the margin, nothing goes (a live run may be about to record such an object).
    const young = await collect({ hoursOn: 23 });
    expect(young).toMatchObject({ deleted: 0, young: orphans.length, passes: 2, raced: false });
    expect(await orphanKeys()).toEqual(orphans);

    const old = await collect({ hoursOn: 25 });
    expect(old).toMatchObject({ deleted: orphans.length, young: 0, foreign: 0, passes: 2, raced: false });
    expect(old.recorded).toBe((await recordedParts()).size);
    expect(old.pages).toBeGreaterThan(2);
    expect(await orphanKeys()).toEqual([]);
    await expectRecordedIntact();
    await expectReadableThroughTheApp(views);
  });

  it('never deletes a recorded object whatever its age, nor anything outside the runs’ prefixes and key shapes', async () => {
    await seedOrphans();
    const recorded = await recordedParts();
    const strangers = [
      'archive/v1/README.txt',
      'archive/v2/2020-01-01/p0001-0123abcd.ndjson.gz',
      'evidence/v1/2020-01-01/p-not-a-uuid.gz',
      'backup/archive/v1/2020-01-01/p0001-0123abcd.ndjson.gz',
      'other.gz',
    ];
    for (const key of strangers) await env.ARCHIVE.put(key, 'not a run’s object');

    const report = await collect({ hoursOn: 10 * 365 * 24 });
    expect(report).toMatchObject({ deleted: 4, recorded: recorded.size, foreign: 2, passes: 2 });
    const left = new Set(await allKeys());
    for (const key of [...recorded.keys(), ...strangers]) expect(left.has(key), key).toBe(true);
    expect(left.size).toBe(recorded.size + strangers.length);
    await expectRecordedIntact();
    await env.ARCHIVE.delete(strangers); // the next test counts what is left unrecorded
  });

  it('resumes where a budget or a cut stopped it, and two collections at once delete only orphans', async () => {
    const { orphans } = await seedOrphans();
    const sorted = orphans.filter((k) => k.startsWith('archive/v1/')).sort();

    // One delete a run: the first orphan in key order goes, and the cursor stops past it, before the second.
    const first = await collect({ hoursOn: 25, limits: { maxDeletes: 1 } });
    expect(first).toMatchObject({ deleted: 1, raced: false });
    const cursor = await env.DB.prepare('SELECT prefix, after_key FROM archive_orphans WHERE id = 1').first<{ prefix: string; after_key: string }>();
    expect(cursor!.prefix).toBe('archive/v1/');
    expect(cursor!.after_key >= sorted[0]! && cursor!.after_key < sorted[1]!).toBe(true);
    expect(await orphanKeys()).toEqual(orphans.filter((k) => k !== sorted[0]));

    // Cut after a page's deletes (the second archive orphan), before the cursor moved past them: the next
    // run lists that page again.
    await expect(collect({ hoursOn: 25, after: cutAt<OrphanPoint>('deleted') })).rejects.toThrow(/cut after/);
    const stopped = await env.DB.prepare('SELECT prefix, after_key FROM archive_orphans WHERE id = 1').first<{ prefix: string; after_key: string }>();
    expect(stopped!.prefix).toBe('archive/v1/');
    expect(stopped!.after_key < sorted[1]!).toBe(true);
    expect(await orphanKeys()).toEqual(orphans.filter((k) => !sorted.includes(k)));

    const [a, b] = await Promise.all([collect({ hoursOn: 25 }), collect({ hoursOn: 25 })]);
    expect(a.raced && b.raced).toBe(false);
    const rest = a.raced ? b : a;
    expect(rest.passes).toBe(2);
    expect(await orphanKeys()).toEqual([]);
    await expectRecordedIntact();
  });

  it('runs in the nightly archive cron, after the archive and evidence runs', async () => {
    const orphan = '2020-01-01/p0001-0123abcd.ndjson.gz';
    await env.ARCHIVE.put(`archive/v1/${orphan}`, 'a cut run’s object');
    await runCron(env, Date.now() + 23 * HOUR, '*/10 17-20 * * *');
    expect(await env.ARCHIVE.head(`archive/v1/${orphan}`)).not.toBeNull();
    await runCron(env, Date.now() + 25 * HOUR, '*/10 17-20 * * *');
    expect(await env.ARCHIVE.head(`archive/v1/${orphan}`)).toBeNull();
    await expectRecordedIntact();
  });

  it('checks a page of keys against both tables through their unique index on object_key, in one statement', async () => {
    const seen: string[] = [];
    const db = {
      prepare: (sql: string) => {
        seen.push(sql);
        return env.DB.prepare(sql);
      },
    } as unknown as D1Database;
    const parts = await recordedParts();
    const keys = [...parts.keys(), 'archive/v1/2020-01-01/p0001-0123abcd.ndjson.gz'];
    expect(await recordedKeys(db, keys)).toEqual(new Set(parts.keys()));
    expect(seen).toHaveLength(1);
    const plan = (await env.DB.prepare(`EXPLAIN QUERY PLAN ${seen[0]}`).bind(JSON.stringify(keys)).all<{ detail: string }>()).results.map((r) => r.detail);
    expect(plan.filter((d) => /^SCAN (archive_parts|evidence_parts)/.test(d))).toEqual([]);
    expect(plan.filter((d) => /^SEARCH (archive_parts|evidence_parts) USING (COVERING )?INDEX/.test(d))).toHaveLength(2);
  });
});
