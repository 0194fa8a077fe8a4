// The lifecycle cron through the worker's scheduled handler, with the tick's clock injected as the
// scheduled time: missed notifies found by orderquery, expiry closes, the outbox relay, the per-tick
// WeChat budget and overlapping ticks.
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { BUYER, api, createOrder, jsapiFor, plantNotpayOrders, prepayIdOf, simClock, simPay, simScenario } from '../support/orders-helpers';
import { ledgerRows, orderRow } from '../support/notify-helpers';
import { eventRow, eventRows, messageFor, receiverEnv, received, runCron, runQueue, verifyWithStandardWebhooks } from '../support/webhooks-helpers';

const MIN = 60_000;

/** An order paid at the simulator whose notify never comes: only an orderquery can find it. */
async function paidSilently(body: Record<string, unknown> = {}) {
  const order = await createOrder({ openid: BUYER, ...body });
  await simScenario(order.out_trade_no, { notify: 'never' });
  const params = (await (await jsapiFor(order.out_trade_no)).json()) as { package: string };
  const paid = await simPay(prepayIdOf(params));
  expect(paid.body.ok).toBe(true);
  return { order, transactionId: paid.body.transaction_id as string };
}

async function orderqueries(no: string): Promise<number> {
  const res = await api(`/sandbox/sim/calls?out_trade_no=${no}`);
  return ((await res.json()) as { calls: { endpoint: string }[] }).calls.filter((c) => c.endpoint === 'orderquery').length;
}

afterEach(async () => {
  await simClock(0);
});

describe('missed notifies', () => {
  it('a payment whose notify never comes, and whose order nobody reads, becomes PAID with one credit and one order.paid after the cron', async () => {
    const { order, transactionId } = await paidSilently();
    const issued = Date.parse((await orderRow(order.out_trade_no))!.prepay_expires_at) - 2 * 3600_000;

    // before the first check point (prepay + 1 min) nothing is asked; the next look is scheduled
    const early = await runCron(env, issued + 30_000);
    expect(early).toMatchObject({ event: 'LIFECYCLE_TICK' });
    expect(await orderqueries(order.out_trade_no)).toBe(0);
    expect((await orderRow(order.out_trade_no))!.next_check_at).toBe(new Date(issued + MIN).toISOString());

    await runCron(env, issued + MIN + 1000);
    const row = (await orderRow(order.out_trade_no))!;
    expect(row).toMatchObject({ status: 'PAID', transaction_id: transactionId, check_count: 1 });
    expect(await ledgerRows(order.out_trade_no)).toHaveLength(1);
    expect((await eventRows(order.out_trade_no)).map((e) => e.type)).toEqual(['order.paid']);
    expect(await orderqueries(order.out_trade_no)).toBe(1);

    // later ticks leave a paid order alone
    await runCron(env, issued + 10 * MIN);
    expect(await orderqueries(order.out_trade_no)).toBe(1);
    expect(await ledgerRows(order.out_trade_no)).toHaveLength(1);
    expect(await eventRows(order.out_trade_no)).toHaveLength(1);
  });

  it('an unpaid order is asked on schedule and stays NOTPAY; two overlapping ticks ask WeChat once', async () => {
    const order = await createOrder({ openid: BUYER, expires_in_minutes: 60 });
    await jsapiFor(order.out_trade_no);
    const issued = Date.parse((await orderRow(order.out_trade_no))!.prepay_expires_at) - 2 * 3600_000;
    await Promise.all([runCron(env, issued + MIN + 1000), runCron(env, issued + MIN + 1000)]);
    expect(await orderqueries(order.out_trade_no)).toBe(1);
    const row = (await orderRow(order.out_trade_no))!;
    expect(row).toMatchObject({ status: 'NOTPAY', check_count: 1, next_check_at: new Date(issued + 2 * MIN).toISOString() });
  });

  it('at most 50 WeChat calls per tick, the oldest due first; the next tick takes the rest', async () => {
    const now = Date.now();
    const issued = now - 3 * MIN;
    const nos = await plantNotpayOrders('BUDGET', 60, now, issued);
    const first = await runCron(env, now);
    expect(first!.wechatCalls).toBeLessThanOrEqual(50);
    expect(first!.budgetExhausted).toBe(true);
    expect(first!.checks).toBeGreaterThanOrEqual(40);
    // oldest first: the orders asked in the first tick are the earliest created (highest i)
    const askedFirst = await Promise.all(nos.map(async (no) => (await orderRow(no))!.check_count === 1));
    const oldestFirst = nos.map((_, i) => i >= nos.length - first!.checks);
    expect(askedFirst).toEqual(oldestFirst);
    const second = await runCron(env, now);
    expect(second!.wechatCalls).toBeLessThanOrEqual(50);
    const counts = await Promise.all(nos.map(async (no) => (await orderRow(no))!.check_count as number));
    expect(counts.every((c) => c === 1)).toBe(true);
    expect(first!.checks + second!.checks).toBeGreaterThanOrEqual(60);
    // storage is shared within the file: take these orders out of later ticks
    await env.DB.prepare(`UPDATE orders SET status = 'FAILED' WHERE out_trade_no LIKE 'BUDGET%'`).run();
  });
});

describe('expiry', () => {
  it('an expired unpaid order is closed with closeorder → CLOSED → order.closed', async () => {
    const order = await createOrder({ openid: BUYER, expires_in_minutes: 6 });
    await jsapiFor(order.out_trade_no);
    await simClock(7 * MIN);
    await runCron(env, Date.now() + 7 * MIN);
    const row = (await orderRow(order.out_trade_no))!;
    expect(row.status).toBe('CLOSED');
    expect(row.closed_at).toBeTruthy();
    const events = await eventRows(order.out_trade_no);
    expect(events.map((e) => e.type)).toEqual(['order.closed']);
    expect(events[0]!.order_status).toBe('CLOSED');
  });

  it('an expired order WeChat never saw (no prepay) is closed too', async () => {
    const order = await createOrder({ expires_in_minutes: 5 });
    await runCron(env, Date.now() + 7 * MIN);
    expect((await orderRow(order.out_trade_no))!.status).toBe('CLOSED');
    expect((await eventRows(order.out_trade_no)).map((e) => e.type)).toEqual(['order.closed']);
  });

  it('expired but paid at WeChat: closeorder says ORDERPAID → verified orderquery → PAID, one credit, order.paid and no order.closed', async () => {
    const { order, transactionId } = await paidSilently({ expires_in_minutes: 6 });
    await simClock(7 * MIN);
    await runCron(env, Date.now() + 7 * MIN);
    expect(await orderRow(order.out_trade_no)).toMatchObject({ status: 'PAID', transaction_id: transactionId, closed_at: null });
    expect(await ledgerRows(order.out_trade_no)).toHaveLength(1);
    expect((await eventRows(order.out_trade_no)).map((e) => e.type)).toEqual(['order.paid']);
  });

  it('a close WeChat does not confirm (SYSTEMERROR) leaves the order payable and is tried again 5 minutes later', async () => {
    const order = await createOrder({ openid: BUYER, expires_in_minutes: 6 });
    await jsapiFor(order.out_trade_no);
    await simScenario(order.out_trade_no, { faults: [{ endpoint: 'closeorder', error: 'SYSTEMERROR' }] });
    await simClock(7 * MIN);
    const t = Date.now() + 7 * MIN;
    await runCron(env, t);
    expect((await orderRow(order.out_trade_no))!.status).toBe('NOTPAY');
    await runCron(env, t + MIN); // not yet
    expect((await orderRow(order.out_trade_no))!.status).toBe('NOTPAY');
    await runCron(env, t + 5 * MIN + 1000);
    expect((await orderRow(order.out_trade_no))!.status).toBe('CLOSED');
    expect((await eventRows(order.out_trade_no)).map((e) => e.type)).toEqual(['order.closed']);
  });
});

describe('the outbox relay', () => {
  it('an event committed but never enqueued is enqueued by the cron (a fresh message; the old one is stale) and delivered', async () => {
    const { order } = await paidSilently();
    await api(`/v1/orders/${order.out_trade_no}?sync=true`, { headers: { Authorization: `Bearer ${env.MERCHANT_API_TOKEN}` } });
    const [event] = await eventRows(order.out_trade_no);
    expect(event).toMatchObject({ type: 'order.paid', status: 'pending' });
    const stale = await messageFor(event!.id);
    const hook = receiverEnv();

    const soon = await runCron(hook.env, Date.parse(event!.created_at) + 30_000); // within the grace: left to the queue
    expect(hook.sent.filter((m) => m.id === event!.id)).toEqual([]);
    expect(soon!.eventsEnqueued).toBeGreaterThanOrEqual(0);

    await runCron(hook.env, Date.parse(event!.created_at) + 3 * MIN);
    const mine = hook.sent.filter((m) => m.id === event!.id);
    expect(mine).toEqual([{ id: event!.id, token: expect.any(String), trigger: 'QUEUE' }]);
    expect(mine[0]!.token).not.toBe(stale.token);

    expect((await runQueue(hook.env, [stale])).explicitAcks).toHaveLength(1);
    expect(await received(hook.name)).toEqual([]);
    expect((await runQueue(hook.env, mine)).explicitAcks).toHaveLength(1);
    const got = await received(hook.name);
    expect(got).toHaveLength(1);
    expect(verifyWithStandardWebhooks(got[0]!)).toMatchObject({ id: event!.id, type: 'order.paid' });
    expect(await eventRow(event!.id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('without WEBHOOK_URL the cron enqueues nothing: events stay recorded and pending', async () => {
    const { order } = await paidSilently();
    await api(`/v1/orders/${order.out_trade_no}?sync=true`, { headers: { Authorization: `Bearer ${env.MERCHANT_API_TOKEN}` } });
    const [event] = await eventRows(order.out_trade_no);
    const report = await runCron(env, Date.parse(event!.created_at) + 10 * MIN);
    expect(report!.eventsEnqueued).toBe(0);
    expect(await eventRow(event!.id)).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('an unknown cron expression does nothing', async () => {
    expect(await runCron(env, Date.now(), '0 3 * * *')).toBeUndefined();
  });
});
