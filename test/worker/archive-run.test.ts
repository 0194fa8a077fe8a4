// The archive run (docs/scaling.md §6) against real D1 and R2: final orders older than HOT_DAYS leave
// D1 for a verified R2 object; a run cut after each step (the object written, verified, indexed, one
// delete chunk done) loses nothing, deletes nothing unverified, and the next run finishes.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { gunzipText, parseHeader } from '../../src/core';
import { type ArchiveLimits, type ArchivePoint, readArchivedOrder, runArchive } from '../../src/worker/archive';
import { injectedFault } from '../support/injected-fault';
import { flushRefundNotify, paidOrder, postJson, refundReq } from '../support/refunds-helpers';

const DAY = 86_400_000;
/** 100 days on: every order these tests create is past a 90-day window. */
const later = () => Date.now() + 100 * DAY;
const LIMITS: ArchiveLimits = { partOrders: 1000, deleteChunk: 1, maxSteps: 200, leaseMs: 60_000 };
const TABLES = ['orders', 'payment_attempts', 'refunds', 'ledger', 'notifications', 'anomalies', 'events'] as const;

function run(opts: { after?: (p: ArchivePoint) => void; webhooks?: boolean; limits?: Partial<ArchiveLimits> } = {}) {
  const deps = { db: env.DB, bucket: env.ARCHIVE, hotDays: 90, historyDays: 90, now: later(), holder: crypto.randomUUID(), webhooks: opts.webhooks ?? false };
  return runArchive(deps, { ...LIMITS, ...opts.limits }, { after: opts.after });
}

/** Every row of the order in D1, table by table (event attempts through its events). */
async function hotRows(no: string): Promise<Record<string, Record<string, unknown>[]>> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const t of TABLES) {
    const rs = (await env.DB.prepare(`SELECT * FROM ${t} WHERE out_trade_no = ?1`).bind(no).all()).results;
    if (rs.length) out[t] = rs;
  }
  const attempts = (await env.DB.prepare('SELECT * FROM event_attempts WHERE event_seq IN (SELECT seq FROM events WHERE out_trade_no = ?1)').bind(no).all())
    .results;
  if (attempts.length) out.event_attempts = attempts;
  return out;
}

/** D1 returns a BLOB as an array of byte values; the archive gives it back as bytes. */
const bytesOf = (row: unknown) =>
  Object.fromEntries(Object.entries(row as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? Uint8Array.from(v as number[]) : v]));
const sorted = (rows: Record<string, unknown[]>) =>
  Object.fromEntries(
    Object.entries(rows)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([t, rs]) => [t, rs.map(bytesOf)]),
  );

async function lookups(nos: readonly string[]): Promise<number> {
  const r = await env.DB.prepare('SELECT COUNT(*) AS n FROM archive_lookup WHERE kind = 0 AND number IN (SELECT value FROM json_each(?1))')
    .bind(JSON.stringify(nos))
    .first<{ n: number }>();
  return r!.n;
}

async function hotCount(nos: readonly string[]): Promise<number> {
  const r = await env.DB.prepare('SELECT COUNT(*) AS n FROM orders WHERE out_trade_no IN (SELECT value FROM json_each(?1))')
    .bind(JSON.stringify(nos))
    .first<{ n: number }>();
  return r!.n;
}

/** Three paid orders, the second partly refunded (SUCCESS), with their rows as D1 holds them now. */
async function seed(): Promise<{ nos: string[]; before: Map<string, Record<string, Record<string, unknown>[]>> }> {
  const nos = [await paidOrder(1000), await paidOrder(2000), await paidOrder(3000)];
  const orn = `${nos[1]}-R1`;
  expect((await refundReq(nos[1]!, { refund_fee: 500, out_refund_no: orn })).status).toBe(201);
  await flushRefundNotify(orn);
  const before = new Map<string, Record<string, Record<string, unknown>[]>>();
  for (const no of nos) before.set(no, await hotRows(no));
  expect(before.get(nos[1]!)!.refunds![0]!.status).toBe('SUCCESS');
  return { nos, before };
}

async function expectArchivedIntact(nos: readonly string[], before: Map<string, Record<string, Record<string, unknown>[]>>) {
  expect(await hotCount(nos)).toBe(0);
  for (const no of nos) {
    expect(await hotRows(no)).toEqual({});
    const archived = await readArchivedOrder(env.DB, env.ARCHIVE, no);
    expect(archived?.kind).toBe(0);
    expect(sorted(archived!.rows)).toEqual(sorted(before.get(no)!));
  }
}

describe('the archive run', () => {
  it('moves final orders past the hot window to one verified object of their day, and keeps an unpaid order hot', async () => {
    const { nos, before } = await seed();
    const unpaid = `AR${crypto.randomUUID().replaceAll('-', '').slice(0, 20)}`;
    const created = await postJson('/v1/orders', { description: 'unpaid', total_fee: 100, out_trade_no: unpaid });
    expect(created.status).toBe(201);

    const report = await run();
    expect(report).toMatchObject({ busy: false, caughtUp: true });
    expect(report.archived).toBeGreaterThanOrEqual(3);
    await expectArchivedIntact(nos, before);
    expect(await hotCount([unpaid])).toBe(1);
    expect(await lookups([unpaid])).toBe(0);

    // The object: a header member, then one member per order; every part DONE, nothing pending.
    const hit = (await readArchivedOrder(env.DB, env.ARCHIVE, nos[0]!))!;
    const object = (await env.ARCHIVE.get(hit.objectKey))!;
    const bytes = new Uint8Array(await object.arrayBuffer());
    const part = await env.DB.prepare('SELECT * FROM archive_parts WHERE object_key = ?1').bind(hit.objectKey).first<Record<string, any>>();
    // The schema is the last migration applied (whichever it is when the test runs).
    const last = await env.DB.prepare('SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1').first<{ name: string }>();
    expect(part).toMatchObject({ state: 'DONE', bytes: bytes.length, schema: last!.name });
    const header = parseHeader(await gunzipText(bytes.subarray(0, (await firstMemberEnd(hit.objectKey))!)));
    expect(header).toMatchObject({ schema: last!.name, tables: expect.arrayContaining(['orders', 'event_attempts']) });
    expect(hit.objectKey).toMatch(new RegExp(`^archive/v1/${header.day}/p\\d{4}-[0-9a-f]{8}\\.ndjson\\.gz$`));
    expect((await env.DB.prepare('SELECT COUNT(*) AS n FROM archive_pending').first<{ n: number }>())!.n).toBe(0);
    // Figures for docs/scaling.md §6 (printed, not asserted): bytes per member and per lookup row's values.
    const sizes = await env.DB.prepare(
      `SELECT AVG(len) AS member, AVG(length(number) + 1 + 4 + 2 + 4 + 2) AS lookup, COUNT(*) AS n FROM archive_lookup WHERE kind = 0 AND number IN (SELECT value FROM json_each(?1))`,
    )
      .bind(JSON.stringify(nos))
      .first();
    console.log(
      'ARCHIVE_FIGURES',
      JSON.stringify({ ...sizes, header: (await firstMemberEnd(hit.objectKey))!, object: bytes.length, orders: part!.order_count }),
    );
  });

  it.each<ArchivePoint>(['written', 'verified', 'indexed', 'deleted-chunk'])(
    'loses nothing when a run is cut after %s, and the next run finishes',
    async (point) => {
      const { nos, before } = await seed();
      let cut = false;
      const fault = (p: ArchivePoint) => {
        if (p === point && !cut) {
          cut = true;
          throw injectedFault(`archive cut after ${p}`);
        }
      };
      await expect(run({ after: fault })).rejects.toThrow(/archive cut/);
      const hot = await hotCount(nos);
      if (point === 'written' || point === 'verified') {
        // Not recorded: no lookup row, nothing deleted (the object is an orphan the next part does not use).
        expect(await lookups(nos)).toBe(0);
        expect(hot).toBe(3);
      } else if (point === 'indexed') {
        expect(await lookups(nos)).toBe(3);
        expect(hot).toBe(3);
      } else {
        // One chunk of one order went, in one transaction with all its rows; the others are untouched.
        expect(await lookups(nos)).toBe(3);
        expect(hot).toBeLessThan(3);
      }
      for (const no of nos) {
        if ((await hotCount([no])) === 1) expect(await hotRows(no)).toEqual(before.get(no));
        else expect(sorted((await readArchivedOrder(env.DB, env.ARCHIVE, no))!.rows)).toEqual(sorted(before.get(no)!));
      }
      expect((await run()).caughtUp).toBe(true);
      await expectArchivedIntact(nos, before);
    },
  );

  it('keeps in D1 an order that changed between its archiving and its delete, and archives it again later', async () => {
    const { nos, before } = await seed();
    await expect(
      run({
        after: (p) => {
          if (p === 'indexed') throw injectedFault('archive cut after indexed');
        },
      }),
    ).rejects.toThrow(/archive cut/);
    // A late fact about the first order: its archived copy no longer holds everything.
    await env.DB.prepare(`INSERT INTO anomalies (kind, out_trade_no, body_sha256, detail, created_at) VALUES ('LATE_NOTE', ?1, ?2, '{}', ?3)`)
      .bind(nos[0], crypto.randomUUID(), new Date().toISOString())
      .run();
    await run({ limits: { maxSteps: 2 } });
    expect(await hotCount([nos[0]!])).toBe(1);
    expect((await hotRows(nos[0]!)).anomalies).toHaveLength(1);
    expect(await hotCount(nos.slice(1))).toBe(0);
    // The sweep passed it; the run after the sweep starts over archives it with its anomaly.
    expect((await run()).caughtUp).toBe(true);
    expect((await run()).caughtUp).toBe(true);
    expect(await hotCount([nos[0]!])).toBe(0);
    const again = (await readArchivedOrder(env.DB, env.ARCHIVE, nos[0]!))!;
    expect(again.rows.anomalies).toHaveLength(1);
    expect(again.rows.orders).toEqual(before.get(nos[0]!)!.orders!.map(bytesOf));
  });

  it('leaves an order with an undelivered webhook event while webhooks are on', async () => {
    const no = await paidOrder(1500);
    const pending = await env.DB.prepare(`SELECT COUNT(*) AS n FROM events WHERE out_trade_no = ?1 AND status = 'pending'`).bind(no).first<{ n: number }>();
    expect(pending!.n).toBeGreaterThan(0);
    expect((await run({ webhooks: true })).caughtUp).toBe(true);
    expect(await hotCount([no])).toBe(1);
    await env.DB.prepare(`UPDATE events SET status = 'delivered', delivered_at = ?2 WHERE out_trade_no = ?1`).bind(no, new Date().toISOString()).run();
    expect((await run({ webhooks: true })).caughtUp).toBe(true);
    expect(await hotCount([no])).toBe(0);
  });

  it('runs one at a time: a run that finds the lease held does nothing', async () => {
    const no = await paidOrder(1200);
    await env.DB.prepare('UPDATE archive_state SET lease_holder = ?1, lease_until = ?2 WHERE id = 1')
      .bind('another run', later() + 60_000)
      .run();
    expect(await run()).toMatchObject({ busy: true, steps: 0 });
    expect(await hotCount([no])).toBe(1);
    await env.DB.prepare('UPDATE archive_state SET lease_holder = NULL, lease_until = 0 WHERE id = 1').run();
    expect((await run()).busy).toBe(false);
    expect(await hotCount([no])).toBe(0);
  });
});

/** Where the object's first gzip member (the header) ends: the first lookup row's offset. */
async function firstMemberEnd(key: string): Promise<number | null> {
  const r = await env.DB.prepare('SELECT MIN(l.pos) AS pos FROM archive_lookup l JOIN archive_parts p ON p.id = l.part WHERE p.object_key = ?1')
    .bind(key)
    .first<{ pos: number }>();
  return r?.pos ?? null;
}
