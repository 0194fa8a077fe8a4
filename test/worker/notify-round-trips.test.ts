// Issue 20: D1 round trips per payment notify, read from the sandbox-only response header that counts
// every round trip of the request, the worker's and its OrderGates' together (platform/d1-meter.ts).
// Orders and attempts are made through the merchant API (so their gates keep the facts the checks
// need): a first notify makes ONE round trip (the commit), a duplicate NONE — also once the isolate
// cache is forgotten and every gate restarted. An order planted straight into D1 (as before issue 20)
// takes the read path: two. Live mode shows no header.
import { abortAllDurableObjects, createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { encryptResource, importApiV3Key, nonceStr, SANDBOX_APIV3_KEY, SANDBOX_APP_APPID } from '../../src/core';
import { buildSignedPayNotify } from '../../src/sandbox/notify';
import { createApp } from '../../src/worker/compose/app';
import { forgetAllApplied } from '../../src/worker/notify/applied-cache';
import { D1_ROUND_TRIPS_HEADER } from '../../src/worker/platform/d1-meter';
import { signedHeaders } from '../support/fake-wechat-v3';
import { LIVE_VARS } from '../support/live-vars';
import { MERCHANT, NOTIFY_URL, OK, ledgerRows, notificationRows, orderRow, seedOrder, signedNotify } from '../support/notify-helpers';
import { createOrder, postJson } from '../support/orders-helpers';

async function notify(xml: string): Promise<{ body: string; roundTrips: number | null }> {
  const res = await exports.default.fetch(new Request(NOTIFY_URL, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: xml }));
  const header = res.headers.get(D1_ROUND_TRIPS_HEADER);
  return { body: await res.text(), roundTrips: header === null ? null : Number(header) };
}

/** An API v3 payment notify as WeChat sends it (resource encrypted, envelope signed); the reply's status and round trips. */
async function notifyV3(resource: object): Promise<{ status: number; roundTrips: number | null }> {
  const envelope = {
    id: crypto.randomUUID(),
    create_time: '2026-12-20T10:11:12+08:00',
    resource_type: 'encrypt-resource',
    event_type: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: await encryptResource(await importApiV3Key(SANDBOX_APIV3_KEY), JSON.stringify(resource), nonceStr(12), 'transaction', 'transaction'),
  };
  const body = JSON.stringify(envelope);
  const headers = { 'Content-Type': 'application/json', ...(await signedHeaders(new TextEncoder().encode(body), 'PUBKEY', Math.floor(Date.now() / 1000))) };
  const res = await exports.default.fetch(new Request('http://127.0.0.1:8787/wechat/v3/notify', { method: 'POST', headers, body }));
  await res.arrayBuffer();
  const header = res.headers.get(D1_ROUND_TRIPS_HEADER);
  return { status: res.status, roundTrips: header === null ? null : Number(header) };
}

async function attempt(outTradeNo: string, tradeType: string): Promise<string> {
  const res = await postJson(`/v1/orders/${outTradeNo}/payments`, { trade_type: tradeType });
  expect(res.status).toBe(201);
  return ((await res.json()) as { payment_no: string }).payment_no;
}

/** First notify 1, duplicates 0 (with the isolate cache, without it, and with every gate restarted); paid once. */
async function expectOneThenNone(outTradeNo: string, xml: string): Promise<void> {
  expect(await notify(xml)).toEqual({ body: OK, roundTrips: 1 });
  expect(await notify(xml)).toEqual({ body: OK, roundTrips: 0 });
  forgetAllApplied();
  expect(await notify(xml)).toEqual({ body: OK, roundTrips: 0 });
  forgetAllApplied();
  await abortAllDurableObjects();
  expect(await notify(xml)).toEqual({ body: OK, roundTrips: 0 });
  expect((await orderRow(outTradeNo))!.status).toBe('PAID');
  expect(await ledgerRows(outTradeNo)).toHaveLength(1);
  expect((await notificationRows(outTradeNo)).map((r) => r.verdict)).toEqual(['APPLIED']);
}

describe('D1 round trips per payment notify', () => {
  it("an attempt made by the merchant API under the order's own number: first notify 1, duplicates 0", async () => {
    const o = await createOrder();
    const paymentNo = await attempt(o.out_trade_no, 'NATIVE');
    expect(paymentNo).toBe(o.out_trade_no);
    const n = await signedNotify(paymentNo, { trade_type: 'NATIVE' });
    await expectOneThenNone(o.out_trade_no, n.xml);
    expect((await orderRow(o.out_trade_no))!.payment_no).toBe(paymentNo);
  });

  it("a second attempt under `<order>_2` (its gate names the order's): first notify 1, duplicates 0", async () => {
    const o = await createOrder();
    await attempt(o.out_trade_no, 'NATIVE');
    const second = await attempt(o.out_trade_no, 'APP');
    expect(second).toBe(`${o.out_trade_no}_2`);
    const n = await buildSignedPayNotify({ out_trade_no: second, total_fee: 1999, trade_type: 'APP' }, { ...MERCHANT, appId: SANDBOX_APP_APPID });
    await expectOneThenNone(o.out_trade_no, n.xml);
    expect((await orderRow(o.out_trade_no))!.payment_no).toBe(second);
  });

  it('an API v3 notify of an attempt made by the API: first 1, duplicates 0', async () => {
    const o = await createOrder();
    const paymentNo = await attempt(o.out_trade_no, 'NATIVE');
    const resource = {
      appid: MERCHANT.appId,
      mchid: MERCHANT.mchId,
      out_trade_no: paymentNo,
      transaction_id: `4200${Date.now()}${Math.floor(Math.random() * 1e6)}`.slice(0, 28),
      trade_type: 'NATIVE',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      success_time: '2026-12-20T10:11:12+08:00',
      payer: { openid: 'oV3buyer00000000000000001' },
      amount: { total: 1999, payer_total: 1999, currency: 'CNY', payer_currency: 'CNY' },
    };
    expect(await notifyV3(resource)).toEqual({ status: 204, roundTrips: 1 });
    expect(await notifyV3(resource)).toEqual({ status: 204, roundTrips: 0 }); // a new envelope of the same payment
    forgetAllApplied();
    expect(await notifyV3(resource)).toEqual({ status: 204, roundTrips: 0 });
    expect(await ledgerRows(o.out_trade_no)).toHaveLength(1);
  });

  it('the checks still run on the gate path: a wrong amount is an anomaly, after which the right notify pays once', async () => {
    const o = await createOrder();
    await attempt(o.out_trade_no, 'NATIVE');
    const wrong = await signedNotify(o.out_trade_no, { trade_type: 'NATIVE', total_fee: 1 });
    expect(await notify(wrong.xml)).toEqual({ body: OK, roundTrips: 1 }); // the anomaly's own batch, nothing read
    expect((await orderRow(o.out_trade_no))!.status).toBe('NOTPAY');
    const right = await signedNotify(o.out_trade_no, { trade_type: 'NATIVE' });
    expect(await notify(right.xml)).toEqual({ body: OK, roundTrips: 1 });
    expect(await ledgerRows(o.out_trade_no)).toHaveLength(1);
  });

  it('an order planted in D1 without an attempt (made before issue 20) takes the read path: first notify 2, duplicates 0', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    expect(await notify(n.xml)).toEqual({ body: OK, roundTrips: 2 });
    forgetAllApplied();
    expect(await notify(n.xml)).toEqual({ body: OK, roundTrips: 0 }); // the gate's paid-memo
    expect(await ledgerRows(no)).toHaveLength(1);
  });

  it('live mode shows no round-trip header', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no, {}, { key: LIVE_VARS.WECHAT_API_KEY });
    const ctx = createExecutionContext();
    const res = await createApp().fetch(
      new Request(NOTIFY_URL, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: n.xml }),
      { ...env, ...LIVE_VARS },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.headers.get(D1_ROUND_TRIPS_HEADER)).toBeNull();
    expect(await res.text()).toBe(OK);
  });
});
