// Reconciling a day whose orders are archived (docs/scaling.md §6): the local side comes from D1 and
// from R2, so the day balances with the same totals as before archiving, including while a part is only
// partly deleted from D1, and a difference is still found on either side.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { type ArchivePoint, runArchive } from '../../src/worker/archive';
import { freshNo } from '../support/orders-helpers';
import { injectedFault } from '../support/injected-fault';
import { dayBack, drive, payOnDay, plantPaid, report, start } from '../support/reconciliation-helpers';

const later = () => Date.now() + 100 * 86_400_000;

async function archive(opts: { deleteChunk?: number; cutAfter?: ArchivePoint } = {}) {
  const deps = { db: env.DB, bucket: env.ARCHIVE, hotDays: 90, historyDays: 90, now: later(), holder: crypto.randomUUID(), webhooks: false };
  const limits = { partOrders: 1000, deleteChunk: opts.deleteChunk ?? 200, maxSteps: 100, leaseMs: 60_000 };
  const after = (p: ArchivePoint) => {
    if (p === opts.cutAfter) throw injectedFault(`cut after ${p}`);
  };
  return runArchive(deps, limits, { after });
}

async function hot(nos: readonly string[]): Promise<number> {
  const r = await env.DB.prepare('SELECT COUNT(*) AS n FROM orders WHERE out_trade_no IN (SELECT value FROM json_each(?1))')
    .bind(JSON.stringify(nos))
    .first<{ n: number }>();
  return r!.n;
}

async function reconcile(day: string, rerun?: boolean) {
  expect((await start(day, rerun)).status).toBe(202);
  await drive(day);
  return (await report(day)).body;
}

const kinds = (body: Record<string, any>) => body.items.map((i: any) => [i.kind, i.out_trade_no]);

describe('reconciling an archived day', () => {
  it('balances with the same totals before, while partly archived, and after; then finds what is missing on each side', async () => {
    const day = dayBack(3);
    const paid = [await payOnDay(3), await payOnDay(3, { totalFee: 250 }), await payOnDay(3, { totalFee: 1 })];
    const nos = paid.map((p) => p.outTradeNo);

    const before = await reconcile(day);
    expect(before.status).toBe('BALANCED');
    expect(before.totals.ours).toMatchObject({ payment_count: 3, paid_fee: 2250 });
    expect(before.totals.ours).toMatchObject({ payment_count: before.totals.bill.payment_count, paid_fee: before.totals.bill.paid_fee });

    // A run cut after its first delete chunk of one order: the part is verified and indexed, one order
    // is only in R2, the others are in both (D1 counts them; their archived copies do not count twice).
    await expect(archive({ deleteChunk: 1, cutAfter: 'deleted-chunk' })).rejects.toThrow(/injected/);
    expect(await hot(nos)).toBe(2);
    const partly = await reconcile(day, true);
    expect(partly).toMatchObject({ status: 'BALANCED', generation: 2 });
    expect(partly.totals.ours).toEqual(before.totals.ours);
    expect(partly.items).toEqual([]);

    // The run resumed: every order of the day is only in R2.
    expect((await archive()).caughtUp).toBe(true);
    expect(await hot(nos)).toBe(0);
    const after = await reconcile(day, true);
    expect(after).toMatchObject({ status: 'BALANCED', generation: 3 });
    expect(after.totals.ours).toEqual(before.totals.ours);
    expect(after.totals.bill).toEqual(before.totals.bill);

    // Our side: a paid order WeChat never saw, archived too, is found in R2 (MISSING_AT_WECHAT).
    // WeChat's side: an order of the bill we no longer have at all (its lookup row gone) is MISSING_LOCALLY.
    const planted = freshNo('PLANT');
    await plantPaid(planted, day);
    expect((await archive()).archived).toBe(1);
    expect(await hot([planted])).toBe(0);
    await env.DB.prepare('DELETE FROM archive_lookup WHERE number = ?1').bind(nos[1]).run();
    const found = await reconcile(day, true);
    expect(found.status).toBe('DISCREPANCIES');
    expect(kinds(found)).toEqual([
      ['MISSING_AT_WECHAT', planted],
      ['MISSING_LOCALLY', nos[1]],
    ]);
    expect(found.items.find((i: any) => i.kind === 'MISSING_LOCALLY')).toMatchObject({
      resolution: 'OPEN',
      note: 'no such order in our books',
      bill: expect.objectContaining({ total_fee: 250 }),
    });
    expect(found.items.find((i: any) => i.kind === 'MISSING_AT_WECHAT')).toMatchObject({
      resolution: 'OPEN',
      ours: expect.objectContaining({ status: 'PAID', total_fee: 500 }),
    });
    // Ours: the two orders still archived under their lookup rows (19.99 + 0.01), and the planted 5.00.
    expect(found.totals.ours).toMatchObject({ payment_count: 3, paid_fee: 2500 });
  });
});
