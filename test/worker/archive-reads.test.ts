// An archived order stays readable (GET /v1/orders/:no, its payments and refunds: the archived copy,
// marked archived), and stays refundable: a refund brings it back into D1 through its OrderGate, then
// runs as any refund, and a later run archives it again with the new refund.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { readArchivedOrder, runArchive } from '../../src/worker/archive';
import { orderGate } from '../../src/worker/compose/wiring';
import { AUTH, api, flushRefundNotify, ledger, orderView, paidOrder, refundReq } from '../support/refunds-helpers';

const later = () => Date.now() + 100 * 86_400_000;

async function archiveAll() {
  const report = await runArchive(
    { db: env.DB, bucket: env.ARCHIVE, hotDays: 90, now: later(), holder: crypto.randomUUID(), webhooks: false },
    { partOrders: 1000, deleteChunk: 200, maxSteps: 100, leaseMs: 60_000 },
  );
  expect(report.caughtUp).toBe(true);
}

async function inD1(no: string): Promise<boolean> {
  return (await env.DB.prepare('SELECT 1 AS x FROM orders WHERE out_trade_no = ?1').bind(no).first()) !== null;
}

/** A paid order of 3000 with a SUCCESS refund of 500, archived. */
async function archivedRefundedOrder(): Promise<{ no: string; hot: Record<string, unknown> }> {
  const no = await paidOrder(3000);
  expect((await refundReq(no, { refund_fee: 500, out_refund_no: `${no}-R1` })).status).toBe(201);
  await flushRefundNotify(`${no}-R1`);
  const hot = await orderView(no);
  expect(hot.status).toBe('PARTIALLY_REFUNDED');
  await archiveAll();
  expect(await inD1(no)).toBe(false);
  return { no, hot };
}

describe('an archived order', () => {
  it('reads through GET /v1/orders/:no as it was, marked archived, with its payments and refunds', async () => {
    const { no, hot } = await archivedRefundedOrder();
    const res = await api(`/v1/orders/${no}`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ...hot, archived: true });

    const payments = (await (await api(`/v1/orders/${no}/payments`, { headers: AUTH })).json()) as { data: Record<string, unknown>[] };
    expect(payments.data).toHaveLength(1);
    expect(payments.data[0]).toMatchObject({ payment_no: no, status: 'PAID', pay: null });

    const refunds = (await (await api(`/v1/orders/${no}/refunds`, { headers: AUTH })).json()) as { data: Record<string, unknown>[] };
    expect(refunds.data.map((r) => [r.out_refund_no, r.status, r.refund_fee])).toEqual([[`${no}-R1`, 'SUCCESS', 500]]);

    expect((await api('/v1/orders/NEVER-ARCHIVED-NO-SUCH-ORDER', { headers: AUTH })).status).toBe(404);
  });

  it('is refunded after archiving: restored through its OrderGate, refunded as usual, archived again later', async () => {
    const { no } = await archivedRefundedOrder();
    const r2 = await refundReq(no, { refund_fee: 700, out_refund_no: `${no}-R2` });
    expect(r2.status).toBe(201);
    expect(await inD1(no)).toBe(true);
    await flushRefundNotify(`${no}-R2`);
    const view = await orderView(no);
    expect(view).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 1200, refundable_fee: 1800 });
    expect(view.archived).toBeUndefined();
    expect((await ledger(no)).map((l) => [l.kind, l.amount_fen])).toEqual([
      ['PAYMENT', 3000],
      ['REFUND', 500],
      ['REFUND', 700],
    ]);

    await archiveAll();
    expect(await inD1(no)).toBe(false);
    const again = (await readArchivedOrder(env.DB, env.ARCHIVE, no))!;
    expect(again.rows.refunds!.map((r) => r.out_refund_no).sort()).toEqual([`${no}-R1`, `${no}-R2`]);
    expect(again.rows.orders![0]).toMatchObject({ refunded_fee: 1200 });
  });

  it('is restored once: a second restore, or one of an order still hot, inserts nothing', async () => {
    const { no } = await archivedRefundedOrder();
    expect(await orderGate(env, no).restoreArchived(no)).toBe('RESTORED');
    expect(await orderGate(env, no).restoreArchived(no)).toBe('HOT');
    expect((await ledger(no)).length).toBe(2);
    expect(await orderGate(env, 'NEVER-ARCHIVED-NO-SUCH-ORDER').restoreArchived('NEVER-ARCHIVED-NO-SUCH-ORDER')).toBe('NOT_ARCHIVED');
  });
});
