// The lifecycle sweep closes payment attempts their order no longer needs, once WeChat allows it
// (5 minutes after ordering): no money can come in for them any more.
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, BUYER, api, createOrder, postJson, prepayIdOf, simClock, simPay } from '../support/orders-helpers';
import { runCron } from '../support/webhooks-helpers';

const MIN = 60_000;

async function pay(no: string, body: Record<string, unknown>) {
  return (await (await postJson(`/v1/orders/${no}/payments`, body)).json()) as Record<string, any>;
}

const attemptStatus = async (paymentNo: string) =>
  (await env.DB.prepare('SELECT status FROM payment_attempts WHERE payment_no = ?1').bind(paymentNo).first<{ status: string }>())?.status;

afterEach(async () => {
  await simClock(0);
});

describe('closing the attempts an order no longer needs', () => {
  it('paid by JSAPI: the open NATIVE sibling is closed at WeChat once 5 minutes old, not before; the order stays PAID', async () => {
    const o = await createOrder({ openid: BUYER });
    const jsapi = await pay(o.out_trade_no, { trade_type: 'JSAPI' });
    const native = await pay(o.out_trade_no, { trade_type: 'NATIVE' });
    expect((await simPay(prepayIdOf(jsapi.pay))).status).toBe(200);

    const early = await runCron(env, Date.now() + 2 * MIN);
    expect(early).toMatchObject({ event: 'LIFECYCLE_TICK' });
    expect(await attemptStatus(native.payment_no)).toBe('PENDING');

    await simClock(6 * MIN);
    const tick = await runCron(env, Date.now() + 6 * MIN);
    expect(tick).toMatchObject({ attemptsClosed: 1 });
    expect(await attemptStatus(native.payment_no)).toBe('CLOSED');
    expect(await attemptStatus(o.out_trade_no)).toBe('PAID');
    const wechat = (await (await api(`/sandbox/sim/orders/${native.payment_no}`)).json()) as Record<string, any>;
    expect(wechat.trade_state).toBe('CLOSED');
    // WeChat refuses the closed code now.
    expect((await postJson('/sandbox/sim/pay', { code_url: native.pay.code_url, openid: BUYER }, {})).status).toBe(409);
    expect((await env.DB.prepare('SELECT status FROM orders WHERE out_trade_no = ?1').bind(o.out_trade_no).first<{ status: string }>())!.status).toBe('PAID');
  });

  it('an expired attempt of an unpaid order is closed too, after a grace period; the order stays payable by a new attempt', async () => {
    const o = await createOrder({ openid: BUYER, expires_in_minutes: 120 });
    const first = await pay(o.out_trade_no, { trade_type: 'MWEB', client_ip: '203.0.113.5' });
    // Offered 5 minutes; a buyer who opened it just before gets a grace period to finish paying.
    await simClock(12 * MIN);
    expect(await runCron(env, Date.now() + 12 * MIN)).toMatchObject({ attemptsClosed: 0 });
    expect(await attemptStatus(first.payment_no)).toBe('PENDING');
    await simClock(21 * MIN);
    const tick = await runCron(env, Date.now() + 21 * MIN);
    expect(tick).toMatchObject({ attemptsClosed: 1 });
    expect(await attemptStatus(first.payment_no)).toBe('CLOSED');
    // A sync afterwards asks no closed attempt and never closes the order for it.
    const synced = (await (await api(`/v1/orders/${o.out_trade_no}?sync=true`, { headers: AUTH })).json()) as Record<string, any>;
    expect(synced.status).toBe('NOTPAY');
    const next = await postJson(`/v1/orders/${o.out_trade_no}/payments`, { trade_type: 'NATIVE' });
    expect(next.status).toBe(201);
    expect(((await next.json()) as Record<string, any>).payment_no).toBe(`${o.out_trade_no}_2`);
  });

  it('an attempt paid by code from before attempts (left PENDING on a PAID order) is marked PAID, never closed', async () => {
    const o = await createOrder({ openid: BUYER });
    const jsapi = await pay(o.out_trade_no, { trade_type: 'JSAPI' });
    expect((await simPay(prepayIdOf(jsapi.pay))).status).toBe(200);
    const txn = (await env.DB.prepare('SELECT transaction_id FROM orders WHERE out_trade_no = ?1').bind(o.out_trade_no).first<{ transaction_id: string }>())!;
    // What the old code left: the order paid, its attempt untouched, no paying number recorded.
    await env.DB.batch([
      env.DB.prepare("UPDATE payment_attempts SET status = 'PENDING', transaction_id = NULL, paid_at = NULL WHERE payment_no = ?1").bind(o.out_trade_no),
      env.DB.prepare('UPDATE orders SET payment_no = NULL WHERE out_trade_no = ?1').bind(o.out_trade_no),
    ]);
    await simClock(6 * MIN);
    expect(await runCron(env, Date.now() + 6 * MIN)).toMatchObject({ attemptsClosed: 0 });
    const row = await env.DB.prepare('SELECT status, transaction_id FROM payment_attempts WHERE payment_no = ?1').bind(o.out_trade_no).first();
    expect(row).toEqual({ status: 'PAID', transaction_id: txn.transaction_id });
  });
});
