// Scenario controls (docs/sandbox.md, "Scenarios"): user actions, injected err_codes, timeouts and delays,
// the `*` scenario, and the live-mode guarantee that /sandbox does not exist.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { verifySignedMessage } from '../../src/core';
import { createApp } from '../../src/worker/compose/app';
import { BASE, callXml, getJson, KEY, newOutTradeNo, orderFields, pay, placeOrder, postJson, setScenario, signed } from '../support/sandbox-helpers';

describe('scenario control validation', () => {
  it.each([
    [{ out_trade_no: 'bad no!' }, 'out_trade_no'],
    [{ out_trade_no: 'GOODNO00001', user_action: 'dance' }, 'user_action'],
    [{ out_trade_no: 'GOODNO00001', notify_duplicates: 0 }, 'notify_duplicates'],
    [{ out_trade_no: 'GOODNO00001', notify_time_scale: 2 }, 'notify_time_scale'],
    [{ out_trade_no: 'GOODNO00001', faults: [{ endpoint: 'pay', error: 'SYSTEMERROR' }] }, 'endpoint'],
    [{ out_trade_no: 'GOODNO00001', faults: [{ endpoint: 'orderquery' }] }, 'exactly one'],
    [{ out_trade_no: 'GOODNO00001', surprise: true }, 'unknown scenario field'],
  ])('refuses %j with 400', async (body, message) => {
    const res = await postJson('/sim/scenario', body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain(message);
  });

  it('stores, reads back and clears a scenario', async () => {
    const no = newOutTradeNo();
    await setScenario(no, { notify: 'never', notify_duplicates: 2 });
    expect(await getJson(`/sim/scenario?out_trade_no=${no}`)).toEqual({ out_trade_no: no, scenario: { notify: 'never', notify_duplicates: 2 } });
    await exports.default.fetch(`${BASE}/sim/scenario?out_trade_no=${no}`, { method: 'DELETE' });
    expect(await getJson(`/sim/scenario?out_trade_no=${no}`)).toEqual({ out_trade_no: no, scenario: null });
  });
});

describe('the buyer at the pay sheet', () => {
  it.each([
    ['cancel', { ok: false, err_msg: 'get_brand_wcpay_request:cancel' }],
    ['fail', { ok: false, err_msg: 'get_brand_wcpay_request:fail', error: 'PAYMENT_FAILED' }],
  ])('user_action=%s: nothing paid, no notify', async (action, expected) => {
    const no = newOutTradeNo();
    await setScenario(no, { user_action: action });
    const o = await placeOrder(no);
    expect((await pay(o.prepay_id!)).body).toMatchObject(expected);
    expect((await callXml('/pay/orderquery', { out_trade_no: no })).fields.trade_state).toBe('NOTPAY');
    expect((await getJson(`/sim/receiver/${no}`)).received).toHaveLength(0);
  });
});

describe('injected faults', () => {
  it('SYSTEMERROR on orderquery twice, signed, then the real answer', async () => {
    const no = newOutTradeNo();
    await placeOrder(no);
    await setScenario(no, { faults: [{ endpoint: 'orderquery', error: 'SYSTEMERROR', times: 2 }] });
    for (let i = 0; i < 2; i++) {
      const r = await callXml('/pay/orderquery', { out_trade_no: no });
      expect(r.fields).toMatchObject({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'SYSTEMERROR' });
      expect((await verifySignedMessage(r.fields, KEY, ['MD5'])).ok).toBe(true);
    }
    expect((await callXml('/pay/orderquery', { out_trade_no: no })).fields).toMatchObject({ result_code: 'SUCCESS', trade_state: 'NOTPAY' });
    const { calls } = await getJson<{ calls: { fault?: string }[] }>(`/sim/calls?out_trade_no=${no}`);
    expect(calls.map((c) => c.fault ?? null)).toEqual([null, 'SYSTEMERROR', 'SYSTEMERROR', null]);
  });

  it('a SYSTEMERROR on unifiedorder stores nothing; the identical retry succeeds', async () => {
    const no = newOutTradeNo();
    await setScenario(no, { faults: [{ endpoint: 'unifiedorder', error: 'SYSTEMERROR' }] });
    expect((await placeOrder(no)).err_code).toBe('SYSTEMERROR');
    expect(await getJson(`/sim/orders/${no}`)).toMatchObject({ error: 'ORDER_NOT_FOUND' });
    expect((await placeOrder(no)).result_code).toBe('SUCCESS');
  });

  it('the "*" scenario applies to orders without their own', async () => {
    await setScenario('*', { faults: [{ endpoint: 'closeorder', error: 'SYSTEMERROR' }] });
    try {
      const r = await callXml('/pay/closeorder', { out_trade_no: newOutTradeNo() });
      expect(r.fields.err_code).toBe('SYSTEMERROR');
      expect((await callXml('/pay/closeorder', { out_trade_no: newOutTradeNo() })).fields.err_code).toBe('ORDERNOTEXIST');
    } finally {
      await exports.default.fetch(`${BASE}/sim/scenario?out_trade_no=*`, { method: 'DELETE' });
    }
  });

  it('timeout: the call takes effect but no reply comes; the client gives up on its own deadline', async () => {
    const no = newOutTradeNo();
    await setScenario(no, { faults: [{ endpoint: 'unifiedorder', timeout: true }] });
    const body = await signed(orderFields(no));
    // The client gives up once the simulator has logged the call (no wall-clock race): the call took
    // effect, and the reply never came.
    const client = new AbortController();
    const call = exports.default.fetch(`${BASE}/pay/unifiedorder`, { method: 'POST', body, signal: client.signal });
    const settled = call.then(
      () => 'answered',
      (e: unknown) => (e instanceof Error ? e.name : String(e)),
    );
    while (!(await getJson<{ calls: { fault?: string }[] }>(`/sim/calls?out_trade_no=${no}`)).calls.some((c) => c.fault === 'timeout')) {
      await scheduler.wait(10);
    }
    client.abort();
    expect(await settled).toBe('AbortError');
    // Outcome unknown to the client, but the order exists: the identical retry returns its prepay_id.
    const stored = await getJson<{ prepay_id: string }>(`/sim/orders/${no}`);
    expect((await placeOrder(no)).prepay_id).toBe(stored.prepay_id);
  });

  it('delay_ms: the reply comes late but is the normal answer', async () => {
    const no = newOutTradeNo();
    await placeOrder(no);
    await setScenario(no, { faults: [{ endpoint: 'orderquery', delay_ms: 100 }] });
    expect((await callXml('/pay/orderquery', { out_trade_no: no })).fields.trade_state).toBe('NOTPAY');
    const { calls } = await getJson<{ calls: { fault?: string }[] }>(`/sim/calls?out_trade_no=${no}`);
    expect(calls.at(-1)!.fault).toBe('delay');
  });
});

describe('live mode', () => {
  const liveEnv = {
    ...env,
    WECHAT_MODE: 'live',
    WECHAT_API_KEY: 'FAKE0live0key0for0mode0test00000',
    WECHAT_APP_SECRET: 'fake-live-app-secret-0001',
    MERCHANT_API_TOKEN: 'fake-live-merchant-token-000001',
    CHECKOUT_SECRET: 'fake-live-checkout-secret-0000000001',
    PUBLIC_BASE_URL: 'https://pay.example.com',
  } as unknown as Env;

  it.each([
    ['POST', '/sandbox/pay/unifiedorder'],
    ['POST', '/secapi/pay/refund'],
    ['GET', '/sandbox/pay-sheet.js'],
    ['GET', '/sandbox/connect/oauth2/authorize?appid=x'],
    ['GET', '/sandbox/sns/oauth2/access_token'],
    ['POST', '/sandbox/sim/pay'],
    ['POST', '/sandbox/sim/scenario'],
    ['GET', '/sandbox'],
  ])('%s %s is 404', async (method, path) => {
    const app = createApp();
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`https://pay.example.com${path}`, { method, body: method === 'POST' ? '<xml></xml>' : undefined }), liveEnv, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toMatch(/WeixinJSBridge|return_code/);
  });

  it('the same app in sandbox mode serves them (control)', async () => {
    const app = createApp();
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request('http://127.0.0.1:8787/sandbox/pay-sheet.js'), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('WeixinJSBridge');
  });
});
