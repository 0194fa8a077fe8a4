// Stuck refunds in the lifecycle cron, through the worker's scheduled handler with the tick's clock
// injected as the scheduled time: a SUBMITTING refund resent under the same out_refund_no, a
// PROCESSING one past its notify window checked with a verified refundquery, every change through the
// OrderGate with its one event, overlapping ticks, and the 50-call budget shared with orders.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { refundDueAt } from '../../src/worker/refunds/advance';
import type { RefundRow } from '../../src/worker/refunds/refunds-repo';
import { plantNotpayOrders } from '../support/orders-helpers';
import { orderRow } from '../support/notify-helpers';
import { ageRefund, ledger, orderView, paidOrder, refundReq, refundRow, simCalls, simOrder, simScenario } from '../support/refunds-helpers';
import { eventRows, receiverEnv, runCron } from '../support/webhooks-helpers';

const MIN = 60_000;

async function refundEventTypes(no: string) {
  return (await eventRows(no)).map((e) => e.type as string).filter((t) => t.startsWith('refund.'));
}

/** A refund WeChat did not (verifiably) take: SUBMITTING after a SYSTEMERROR; later notifies never come. */
async function submittingRefund(fee = 300) {
  const no = await paidOrder(1000);
  await simScenario(no, { notify: 'never', faults: [{ endpoint: 'refund', error: 'SYSTEMERROR' }] });
  const orn = `${no}-s`;
  expect((await refundReq(no, { refund_fee: fee, out_refund_no: orn })).body.status).toBe('SUBMITTING');
  expect(await simCalls(no)).toBe(1);
  return { no, orn };
}

describe('stuck refunds in the lifecycle cron', { timeout: 60_000 }, () => {
  it('SUBMITTING (SYSTEMERROR): the scheduled handler resends the SAME out_refund_no → PROCESSING, then refundquery → SUCCESS, one debit and one refund.succeeded', async () => {
    const { no, orn } = await submittingRefund();
    // within the quiet window nothing is resent
    await runCron(env, Date.now() + 30_000);
    expect(await simCalls(no)).toBe(1);

    const t1 = Date.now() + 61_000;
    const first = await runCron(env, t1);
    expect(first).toMatchObject({ event: 'LIFECYCLE_TICK' });
    expect(first!.refundsResubmitted).toBeGreaterThanOrEqual(1);
    expect(await refundRow(orn)).toMatchObject({ status: 'PROCESSING', attempts: 2 });
    expect(await simCalls(no)).toBe(2);
    expect((await simOrder(no)).out_refund_nos).toEqual([orn]); // one refund at WeChat, under our number
    expect(await refundEventTypes(no)).toEqual([]); // PROCESSING emits nothing

    // the notify never comes: past the notify window the cron asks refundquery
    const second = await runCron(env, t1 + 61_000);
    expect(second!.refundsSynced).toBeGreaterThanOrEqual(1);
    expect(await simCalls(no, 'refundquery')).toBe(1);
    expect((await refundRow(orn))!.status).toBe('SUCCESS');
    expect((await ledger(no)).filter((l) => l.kind === 'REFUND').map((l) => l.amount_fen)).toEqual([300]);
    expect(await orderView(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 300, refundable_fee: 700 });
    const events = (await eventRows(no)).filter((e) => e.type === 'refund.succeeded');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ order_status: 'PARTIALLY_REFUNDED', order_refunded_fee: 300 });

    // later ticks leave a final refund alone
    await runCron(env, t1 + 10 * MIN);
    expect(await simCalls(no)).toBe(2);
    expect(await simCalls(no, 'refundquery')).toBe(1);
    expect(await refundEventTypes(no)).toEqual(['refund.succeeded']);

    // the outbox relay puts the committed refund event on the queue
    const hook = receiverEnv();
    await runCron(hook.env, t1 + 20 * MIN);
    expect(hook.sent.map((m) => m.id)).toContain(events[0]!.id);
  });

  it('PROCESSING at WeChat (refund_status PROCESSING, no notify): the cron asks refundquery past the notify window and keeps it PROCESSING, with no event; a lost SUCCESS notify is found by refundquery', async () => {
    const no = await paidOrder(1000, { refund_status: 'PROCESSING' });
    const orn = `${no}-p`;
    expect((await refundReq(no, { refund_fee: 100, out_refund_no: orn })).body.status).toBe('PROCESSING');
    const t1 = Date.now() + 61_000;
    await runCron(env, t1);
    expect(await simCalls(no, 'refundquery')).toBe(1);
    expect((await refundRow(orn))!.status).toBe('PROCESSING');
    expect(await refundEventTypes(no)).toEqual([]);
    // within the next window: not asked again
    await runCron(env, t1 + 30_000);
    expect(await simCalls(no, 'refundquery')).toBe(1);

    // The scenario changes: the next refund of this order succeeds at WeChat, but its notify is lost.
    await simScenario(no, { refund_status: 'SUCCESS', notify: 'never' });
    const orn2 = `${no}-p2`;
    expect((await refundReq(no, { refund_fee: 200, out_refund_no: orn2 })).body.status).toBe('PROCESSING');
    await runCron(env, t1 + 2 * MIN);
    expect((await refundRow(orn2))!.status).toBe('SUCCESS');
    expect((await refundRow(orn))!.status).toBe('PROCESSING');
    expect(await refundEventTypes(no)).toEqual(['refund.succeeded']);
    expect(await orderView(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 200, refundable_fee: 700 });
    // storage is shared within the file: take the never-ending refund out of later ticks
    await env.DB.prepare(`UPDATE refunds SET last_synced_at = 253370764800000 WHERE out_refund_no = ?1`).bind(orn).run();
  });

  it('a PROCESSING refund is asked at its notify window while young, then every 5 minutes, then every 30 minutes once an hour old', () => {
    const at = (min: number) => new Date(min * MIN).toISOString();
    const row = (updatedMin: number, syncedMin: number | null) =>
      ({ status: 'PROCESSING', updated_at: at(updatedMin), last_attempt_at: null, last_synced_at: syncedMin === null ? null : at(syncedMin) }) as RefundRow;
    expect(refundDueAt(row(0, null), 2 * MIN)).toBe(1 * MIN);
    expect(refundDueAt(row(0, 3), 4 * MIN)).toBe(4 * MIN);
    expect(refundDueAt(row(0, 20), 21 * MIN)).toBe(25 * MIN);
    expect(refundDueAt(row(0, 120), 121 * MIN)).toBe(150 * MIN);
    expect(refundDueAt({ ...row(0, null), status: 'SUBMITTING', last_attempt_at: at(300) }, 301 * MIN)).toBe(301 * MIN);
  });

  it('two overlapping ticks resend a SUBMITTING refund once', async () => {
    const { no, orn } = await submittingRefund();
    const t = Date.now() + 61_000;
    await Promise.all([runCron(env, t), runCron(env, t)]);
    expect(await simCalls(no)).toBe(2);
    expect(await refundRow(orn)).toMatchObject({ status: 'PROCESSING', attempts: 2 });
    // settle it (refundquery) so later tests' ticks have nothing of it left
    await runCron(env, t + 61_000);
    expect((await refundRow(orn))!.status).toBe('SUCCESS');
  });

  it('one budget of at most 50 WeChat calls per tick for orders and refunds together, oldest due first: an older stuck refund goes before the orders, a newer one waits for the next tick', async () => {
    const older = await submittingRefund();
    const newer = await submittingRefund();
    const now = Date.now();
    await ageRefund(older.orn, 10 * MIN); // due 9 minutes ago: before every order below
    const issued = now - 3 * MIN; // the orders' first check point: 2 minutes ago
    const nos = await plantNotpayOrders('RBUDGET', 60, now, issued);
    const t = now + 2 * MIN; // the newer refund is due at ~now + 1 min: after every order
    const first = await runCron(env, t);
    expect(first!.wechatCalls).toBeLessThanOrEqual(50);
    expect(first!.budgetExhausted).toBe(true);
    expect(first!.refundsResubmitted).toBe(1);
    expect(first!.checks).toBeGreaterThanOrEqual(40);
    expect(await refundRow(older.orn)).toMatchObject({ status: 'PROCESSING', attempts: 2 });
    expect(await refundRow(newer.orn)).toMatchObject({ status: 'SUBMITTING', attempts: 1 });
    expect(await simCalls(newer.no)).toBe(1);

    const second = await runCron(env, t);
    expect(second!.wechatCalls).toBeLessThanOrEqual(50);
    expect(second!.refundsResubmitted).toBe(1);
    expect(await refundRow(newer.orn)).toMatchObject({ status: 'PROCESSING', attempts: 2 });
    const counts = await Promise.all(nos.map(async (no) => (await orderRow(no))!.check_count as number));
    expect(counts.every((c) => c === 1)).toBe(true);
    expect(first!.checks + second!.checks).toBe(60);
    expect(first!.wechatCalls + second!.wechatCalls).toBe(62); // 60 orderqueries + 2 refund calls
    await env.DB.prepare(`UPDATE orders SET status = 'FAILED' WHERE out_trade_no LIKE 'RBUDGET%'`).run();
  });
});
