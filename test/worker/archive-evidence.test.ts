// Raw notify bodies leave D1 after EVIDENCE_DAYS (docs/scaling.md §5 lever 1): each moves into a verified
// R2 part as a gzip member whose text hashes to the row's body_sha256, and only then is cleared. A run
// cut after each step (written, verified, recorded, one clearing chunk) loses no body and clears none
// unverified; the next run finishes. The console's timeline still shows a moved body, hot or archived.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { gunzipText, sha256Hex, storedSha256Hex } from '../../src/core';
import { runArchive } from '../../src/worker/archive';
import { type EvidenceLimits, type EvidencePoint, runEvidence, withBodies } from '../../src/worker/evidence';
import { daysKnob } from '../support/config-checks';
import { adminPage, login } from '../support/console-helpers';
import { injectedFault } from '../support/injected-fault';
import { flushRefundNotify, paidOrder, refundReq } from '../support/refunds-helpers';

const DAY = 86_400_000;
const LIMITS: EvidenceLimits = { partBodies: 1000, clearChunk: 1, maxSteps: 50 };

interface Row {
  id: number;
  out_trade_no: string;
  raw_body: string | null;
  body_sha256: unknown;
  body_part: number | null;
  body_pos: number | null;
  body_len: number | null;
}

function move(opts: { daysOn?: number; after?: (p: EvidencePoint) => void; limits?: Partial<EvidenceLimits> } = {}) {
  const deps = { db: env.DB, bucket: env.ARCHIVE, evidenceDays: 7, now: Date.now() + (opts.daysOn ?? 8) * DAY };
  return runEvidence(deps, { ...LIMITS, ...opts.limits }, { after: opts.after });
}

async function rows(): Promise<Row[]> {
  return (await env.DB.prepare('SELECT id, out_trade_no, raw_body, body_sha256, body_part, body_pos, body_len FROM notifications ORDER BY id').all<Row>())
    .results;
}

/** Two paid orders, one with a refund and its notify: three bodies, as D1 holds them now. */
async function seed(): Promise<{ nos: string[]; bodies: Map<number, string>; parts: number }> {
  const parts = (await env.DB.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM evidence_parts').first<number>('n'))!;
  const since = (await env.DB.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM notifications').first<number>('n'))!;
  const nos = [await paidOrder(1000), await paidOrder(2000)];
  expect((await refundReq(nos[1]!, { refund_fee: 500, out_refund_no: `${nos[1]}-R1` })).status).toBe(201);
  await flushRefundNotify(`${nos[1]}-R1`);
  const all = (await rows()).filter((r) => r.id > since);
  expect(all.length).toBeGreaterThanOrEqual(3);
  expect(all.every((r) => r.raw_body !== null && r.body_part === null)).toBe(true);
  return { nos, bodies: new Map(all.map((r) => [r.id, r.raw_body!])), parts };
}

/** No body lost: each row holds its body, or the location of a verified member that reads back to it. */
async function expectEveryBodyKept(bodies: Map<number, string>) {
  const now = await rows();
  // Every body still belongs to a row (none left behind between a delete and its re-insert).
  expect(now.filter((r) => bodies.has(r.id))).toHaveLength(bodies.size);
  expect((await env.DB.prepare('SELECT COUNT(*) AS n FROM evidence_moving').first<number>('n'))!).toBe(0);
  const read = await withBodies(env.DB, env.ARCHIVE, now);
  for (const r of read) if (bodies.has(r.id)) expect(r.raw_body).toBe(bodies.get(r.id));
  for (const r of now.filter((x) => x.raw_body === null)) {
    const part = await env.DB.prepare('SELECT object_key, verified_at FROM evidence_parts WHERE id = ?1')
      .bind(r.body_part)
      .first<{ object_key: string; verified_at: string }>();
    expect(part?.verified_at).toBeTruthy();
    const member = await env.ARCHIVE.get(part!.object_key, { range: { offset: r.body_pos!, length: r.body_len! } });
    const text = await gunzipText(new Uint8Array(await member!.arrayBuffer()));
    expect(await sha256Hex(text)).toBe(storedSha256Hex(r.body_sha256));
  }
}

describe('notify bodies past EVIDENCE_DAYS', () => {
  it('stay in D1 within the window, then move to a verified R2 member and read back in the console timeline', async () => {
    const { nos, bodies } = await seed();
    expect(await move({ daysOn: 6 })).toMatchObject({ parts: 0, moved: 0, caughtUp: true });
    expect((await rows()).every((r) => r.raw_body !== null)).toBe(true);

    const report = await move({ limits: { clearChunk: 250 } });
    expect(report).toMatchObject({ parts: 1, moved: bodies.size, keptHot: 0, caughtUp: true });
    const after = await rows();
    expect(after.every((r) => r.raw_body === null && r.body_part! > 0 && r.body_len! > 0)).toBe(true);
    await expectEveryBodyKept(bodies);
    expect((await env.DB.prepare(`SELECT state FROM evidence_parts`).all()).results).toEqual([{ state: 'DONE' }]);

    // The timeline parses the moved body: its facts (result_code=…, time_end …) come only from the notify's XML.
    const timeEnd = await env.DB.prepare('SELECT time_end FROM orders WHERE out_trade_no = ?1').bind(nos[0]).first<string>('time_end');
    const facts = `result_code=SUCCESS · 金额 ¥10.00`;
    const cookie = await login();
    const hot = await adminPage(`/admin/orders/${nos[0]}`, cookie);
    expect(hot).toContain(facts);
    expect(hot).toContain(`time_end ${timeEnd}`);

    // Archived later with the whole order (SELECT *: the location, not the body): the timeline still reads it.
    const archived = await runArchive(
      { db: env.DB, bucket: env.ARCHIVE, hotDays: 90, historyDays: 90, now: Date.now() + 100 * DAY, holder: crypto.randomUUID(), webhooks: false },
      { partOrders: 1000, deleteChunk: 200, maxSteps: 100, leaseMs: 60_000 },
    );
    expect(archived.caughtUp).toBe(true);
    expect(await env.DB.prepare('SELECT 1 FROM orders WHERE out_trade_no = ?1').bind(nos[0]).first()).toBeNull();
    const page = await adminPage(`/admin/orders/${nos[0]}`, cookie);
    expect(page).toContain('已归档');
    expect(page).toContain(facts);
    expect(page).toContain(`time_end ${timeEnd}`);
  });

  it.each<EvidencePoint>(['written', 'verified', 'recorded', 'cleared-chunk'])(
    'loses no body and clears none unverified when a run is cut after %s; the next run finishes',
    async (point) => {
      const { bodies, parts: partsBefore } = await seed();
      await expect(
        move({
          after: (p) => {
            if (p === point) throw injectedFault(`evidence cut after ${p}`);
          },
        }),
      ).rejects.toThrow(/evidence cut/);
      const cut = await rows();
      const cleared = cut.filter((r) => bodies.has(r.id) && r.raw_body === null).length;
      // Before the record nothing is cleared; after one chunk of one body, exactly one.
      expect(cleared).toBe(point === 'cleared-chunk' ? 1 : 0);
      const parts = (await env.DB.prepare('SELECT COUNT(*) AS n FROM evidence_parts WHERE id > ?1').bind(partsBefore).first<number>('n'))!;
      expect(parts).toBe(point === 'written' || point === 'verified' ? 0 : 1);
      await expectEveryBodyKept(bodies);

      const resumed = await move();
      expect(resumed.caughtUp).toBe(true);
      expect((await rows()).filter((r) => bodies.has(r.id)).every((r) => r.raw_body === null)).toBe(true);
      await expectEveryBodyKept(bodies);
      expect((await env.DB.prepare(`SELECT COUNT(*) AS n FROM evidence_parts WHERE state = 'MOVING'`).first<number>('n'))!).toBe(0);
    },
  );

  it('never clears a body whose row no longer hashes to its member, and keeps a body that is not what was hashed in D1', async () => {
    const { bodies } = await seed();
    const [first, second] = [...bodies.keys()] as [number, number];
    // A stored body that is not the bytes hashed (as an API v3 notify keeps its decrypted resource).
    await env.DB.prepare(`UPDATE notifications SET raw_body = raw_body || ' ' WHERE id = ?1`).bind(first).run();
    // A row whose hash changes after its member was verified: the conditional clear leaves it alone.
    const report = await move({
      after: async (p) => {
        if (p === 'recorded') await env.DB.prepare(`UPDATE notifications SET body_sha256 = ?2 WHERE id = ?1`).bind(second, 'f'.repeat(64)).run();
      },
    });
    const now = new Map((await rows()).map((r) => [r.id, r]));
    expect(now.get(first)).toMatchObject({ raw_body: `${bodies.get(first)} `, body_part: 0 });
    // Not cleared by the part it was verified into; the next step finds it no longer hashing to its text either.
    expect(now.get(second)).toMatchObject({ raw_body: bodies.get(second), body_part: 0 });
    expect(report).toMatchObject({ keptHot: 2, moved: bodies.size - 2, caughtUp: true });
  });

  it('EVIDENCE_DAYS: 7 by default, a whole number of days from 1 to 3650', () => {
    const days = daysKnob(env, 'EVIDENCE_DAYS', 'evidenceDays');
    expect(days(undefined)).toBe(7);
    expect(days('')).toBe(7);
    expect(days('30')).toBe(30);
    expect(days('0')).toEqual(['EVIDENCE_DAYS must be at least 1']);
    expect(days('1.5')).toEqual(['EVIDENCE_DAYS must be a whole number of days']);
    expect(days('seven')).toEqual(['EVIDENCE_DAYS is not a number']);
  });
});
