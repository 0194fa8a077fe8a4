// jsapi against the simulator over loopback: one unifiedorder per order and buyer, fresh verified params.
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { verifyParams } from '../../src/core';
import { issueOauthSession } from '../../src/worker/platform/buyer-session';
import { AUTH, BOB, BUYER, CAROL, api, createOrder, jsapiFor, orderRow, prepayIdOf, simScenario } from '../support/orders-helpers';

const KEY = env.WECHAT_API_KEY!;

async function paramsOf(res: Response) {
  expect(res.status).toBe(200);
  expect(res.headers.get('Cache-Control')).toBe('no-store');
  return (await res.json()) as Record<string, string> & { package: string };
}

async function cookieFor(openid: string): Promise<string> {
  const app = new Hono().get('/', async (c) => {
    await issueOauthSession(c, env.CHECKOUT_SECRET!, openid, Date.now());
    return c.text('ok');
  });
  return (await app.request('/')).headers.get('Set-Cookie')!.split(';')[0]!;
}

describe('POST /v1/orders/:out_trade_no/jsapi', () => {
  it('returns exactly the getBrandWCPayRequest fields, paySign verifying under the key with the order sign_type (T76)', async () => {
    const order = await createOrder({ openid: BUYER });
    const params = await paramsOf(await jsapiFor(order.out_trade_no, { 'CF-Connecting-IP': '2001:db8::1', 'X-Forwarded-For': '6.6.6.6' }));
    expect(Object.keys(params).sort()).toEqual(['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
    expect(params.appId).toBe(env.WECHAT_APPID);
    expect(params.signType).toBe('HMAC-SHA256');
    expect(params.timeStamp).toMatch(/^\d{10}$/);
    expect(params.nonceStr).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(params.package).toMatch(/^prepay_id=\S+$/);
    const { paySign, ...signed } = params;
    expect(await verifyParams({ ...signed, sign: paySign }, KEY, 'HMAC-SHA256')).toBe(true);
    const row = await orderRow(order.out_trade_no);
    expect(row).toMatchObject({ status: 'NOTPAY', prepay_id: prepayIdOf(params), prepay_openid: BUYER });
    expect(Date.parse(row!.prepay_expires_at) - Date.now()).toBeGreaterThan(110 * 60_000);
  });

  it('reuses the stored prepay: same package, fresh nonceStr and paySign, no new unifiedorder (§8.2 #4)', async () => {
    const order = await createOrder({ openid: BUYER });
    const first = await paramsOf(await jsapiFor(order.out_trade_no));
    const stored = await orderRow(order.out_trade_no);
    const again = await Promise.all([1, 2, 3, 4, 5].map(() => jsapiFor(order.out_trade_no).then(paramsOf)));
    for (const p of again) {
      expect(p.package).toBe(first.package);
      expect(p.nonceStr).not.toBe(first.nonceStr);
      const { paySign, ...signed } = p;
      expect(await verifyParams({ ...signed, sign: paySign }, KEY, 'HMAC-SHA256')).toBe(true);
    }
    // a second unifiedorder would have rewritten the prepay's lifetime
    expect((await orderRow(order.out_trade_no))!.prepay_expires_at).toBe(stored!.prepay_expires_at);
  });

  it('concurrent first calls settle on one prepay', async () => {
    const order = await createOrder({ openid: BUYER });
    const all = await Promise.all(Array.from({ length: 6 }, () => jsapiFor(order.out_trade_no).then(paramsOf)));
    expect(new Set(all.map((p) => p.package)).size).toBe(1);
    expect((await orderRow(order.out_trade_no))!.prepay_id).toBe(prepayIdOf(all[0]!));
  });

  it('the merchant bearer token authorises it too', async () => {
    const order = await createOrder({ openid: BUYER });
    const res = await api(`/v1/orders/${order.out_trade_no}/jsapi`, { method: 'POST', headers: AUTH });
    await paramsOf(res);
  });

  it('the token may come in the JSON body', async () => {
    const order = await createOrder({ openid: BUYER });
    const { checkoutTokenFor } = await import('../support/orders-helpers');
    const res = await api(`/v1/orders/${order.out_trade_no}/jsapi`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ checkout_token: await checkoutTokenFor(order.out_trade_no) }),
    });
    await paramsOf(res);
  });

  it('takes the buyer from the OAuth session when the order has none, and binds the prepay to them', async () => {
    const order = await createOrder();
    const buyer = BOB;
    const params = await paramsOf(await jsapiFor(order.out_trade_no, { Cookie: await cookieFor(buyer) }));
    expect((await orderRow(order.out_trade_no))!.prepay_openid).toBe(buyer);
    // the same buyer again reuses it; another buyer is refused
    expect((await paramsOf(await jsapiFor(order.out_trade_no, { Cookie: await cookieFor(buyer) }))).package).toBe(params.package);
    const other = await jsapiFor(order.out_trade_no, { Cookie: await cookieFor(CAROL) });
    expect(other.status).toBe(409);
    expect(((await other.json()) as any).error.code).toBe('PREPAY_OPENID_MISMATCH');
  });

  it("the order's openid wins over the session's", async () => {
    const order = await createOrder({ openid: BUYER });
    await paramsOf(await jsapiFor(order.out_trade_no, { Cookie: await cookieFor(BOB) }));
    expect((await orderRow(order.out_trade_no))!.prepay_openid).toBe(BUYER);
  });

  it('a prepay near the end of its 2 h lifetime is not reused (§8.2 #5): a new attempt under a new number', async () => {
    const order = await createOrder({ openid: BUYER, expires_in_minutes: 180 });
    const first = prepayIdOf(await paramsOf(await jsapiFor(order.out_trade_no)));
    const attempt = await env.DB.prepare('SELECT expires_at FROM payment_attempts WHERE payment_no = ?1')
      .bind(order.out_trade_no)
      .first<{ expires_at: number }>();
    // An attempt is offered until 10 minutes before WeChat's 2 h end (stored as epoch ms since 0015).
    expect(attempt!.expires_at - Date.now()).toBeGreaterThan(100 * 60_000);
    expect(attempt!.expires_at - Date.now()).toBeLessThan(111 * 60_000);
    await env.DB.prepare('UPDATE payment_attempts SET expires_at = ?2 WHERE payment_no = ?1')
      .bind(order.out_trade_no, Date.now() - 1)
      .run();
    const second = prepayIdOf(await paramsOf(await jsapiFor(order.out_trade_no)));
    expect(second).not.toBe(first);
    const rows = await env.DB.prepare('SELECT payment_no, status FROM payment_attempts WHERE out_trade_no = ?1 ORDER BY created_at')
      .bind(order.out_trade_no)
      .all();
    expect(rows.results).toEqual([
      { payment_no: order.out_trade_no, status: 'PENDING' },
      { payment_no: `${order.out_trade_no}_2`, status: 'PENDING' },
    ]);
    expect((await orderRow(order.out_trade_no))!.status).toBe('NOTPAY');
  });

  it("the order's own number keeps its first client address on every unifiedorder (the first IP is pinned)", async () => {
    const order = await createOrder({ openid: BUYER });
    await paramsOf(await jsapiFor(order.out_trade_no, { 'CF-Connecting-IP': '203.0.113.1' }));
    await paramsOf(await jsapiFor(order.out_trade_no, { 'CF-Connecting-IP': '198.51.100.2' }));
    const row = await orderRow(order.out_trade_no);
    expect(row).toMatchObject({ status: 'NOTPAY', prepay_client_ip: '203.0.113.1' });
    const attempt = await env.DB.prepare('SELECT client_ip FROM payment_attempts WHERE payment_no = ?1').bind(order.out_trade_no).first();
    expect(attempt).toEqual({ client_ip: '203.0.113.1' });
  });

  it('WeChat SYSTEMERROR → 502 UPSTREAM_UNAVAILABLE, the order stays CREATED, and a retry succeeds', async () => {
    const order = await createOrder({ openid: BUYER });
    await simScenario(order.out_trade_no, { faults: [{ endpoint: 'unifiedorder', error: 'SYSTEMERROR' }] });
    const res = await jsapiFor(order.out_trade_no);
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect((await orderRow(order.out_trade_no))!.status).toBe('CREATED');
    await paramsOf(await jsapiFor(order.out_trade_no));
    expect((await orderRow(order.out_trade_no))!.status).toBe('NOTPAY');
  });

  it('a definitive refusal (OUT_TRADE_NO_USED) → 502 UPSTREAM_REJECTED and the order FAILED, no retry loop', async () => {
    const order = await createOrder({ openid: BUYER });
    await simScenario(order.out_trade_no, { faults: [{ endpoint: 'unifiedorder', error: 'OUT_TRADE_NO_USED' }] });
    const res = await jsapiFor(order.out_trade_no);
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).error.code).toBe('UPSTREAM_REJECTED');
    expect((await orderRow(order.out_trade_no))!.status).toBe('FAILED');
    const again = await jsapiFor(order.out_trade_no);
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).error.code).toBe('ORDER_NOT_PAYABLE');
  });

  it('an openid the simulator does not know under this appid is refused by WeChat → order FAILED (§8.1 #7)', async () => {
    const order = await createOrder({ openid: 'oFOREIGNappid0000000000001' });
    const res = await jsapiFor(order.out_trade_no);
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).error.code).toBe('UPSTREAM_REJECTED');
    expect((await orderRow(order.out_trade_no))!.status).toBe('FAILED');
  });
});

describe('sign type follows the configuration into unifiedorder and paySign (§8.2 #6)', () => {
  it('an MD5 merchant gets MD5 params that verify, and the order remembers MD5', async () => {
    const { createApp } = await import('../../src/worker/compose/app');
    const { exports } = await import('cloudflare:workers');
    const md5Env = { ...env, WECHAT_SIGN_TYPE: 'MD5' } as unknown as Env;
    const app = createApp();
    // The simulator is reached over the same loopback as in production sandbox mode.
    const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {}, exports } as unknown as ExecutionContext;
    const call = (path: string, init: RequestInit) => app.fetch(new Request(`http://127.0.0.1:8787${path}`, init), md5Env, ctx);
    const no = `MD5${Date.now()}`;
    const created = await call('/v1/orders', {
      method: 'POST',
      headers: { ...AUTH, 'Content-Type': 'application/json' },
      body: JSON.stringify({ description: 'MD5 item', total_fee: 101, out_trade_no: no, openid: BUYER }),
    });
    expect(created.status).toBe(201);
    const params = await paramsOf(await call(`/v1/orders/${no}/jsapi`, { method: 'POST', headers: AUTH }));
    expect(params.signType).toBe('MD5');
    expect(params.paySign).toMatch(/^[0-9A-F]{32}$/);
    const { paySign, ...signed } = params;
    expect(await verifyParams({ ...signed, sign: paySign }, KEY, 'MD5')).toBe(true);
    expect(await verifyParams({ ...signed, sign: paySign }, KEY, 'HMAC-SHA256')).toBe(false);
    expect((await orderRow(no))!.sign_type).toBe('MD5');
  });
});
