// jsapi preconditions that never reach WeChat: who may ask, for which order, in which state, from which origin.
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/worker/compose/app';
import { makeCheckoutToken } from '../../src/worker/platform/checkout-link';
import { issueOauthSession, readOauthSession, OAUTH_COOKIE } from '../../src/worker/platform/buyer-session';
import { AUTH, BOB, BUYER, api, createOrder, freshNo, orderRow } from '../support/orders-helpers';

const SECRET = env.CHECKOUT_SECRET!;

async function jsapi(no: string, headers: Record<string, string>, body?: unknown) {
  const init: RequestInit = { method: 'POST', headers: { ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  return api(`/v1/orders/${no}/jsapi`, init);
}

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

/** A cookie header as the checkout's OAuth callback would set it. */
async function sessionCookie(openid: string, nowMs = Date.now()): Promise<string> {
  const app = new Hono().get('/', async (c) => {
    await issueOauthSession(c, SECRET, openid, nowMs);
    return c.text('ok');
  });
  const setCookie = (await app.request('/')).headers.get('Set-Cookie')!;
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/Secure/);
  expect(setCookie).toMatch(/SameSite=Lax/);
  return setCookie.split(';')[0]!;
}

describe('jsapi authorisation', () => {
  it('no credentials → 401 and no prepay', async () => {
    const order = await createOrder({ openid: 'oTESTuser000000000000000001' });
    const res = await jsapi(order.out_trade_no, {});
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toBe('UNAUTHORIZED');
    expect((await orderRow(order.out_trade_no))!.prepay_id).toBeNull();
  });

  it('a wrong checkout token and a nonexistent order give byte-identical 404 bodies (no existence oracle)', async () => {
    const order = await createOrder({ openid: 'oTESTuser000000000000000001' });
    const wrong = await jsapi(order.out_trade_no, { 'X-Checkout-Token': await makeCheckoutToken(SECRET, 'someone-else') });
    const missingNo = freshNo();
    const missing = await jsapi(missingNo, { 'X-Checkout-Token': await makeCheckoutToken(SECRET, missingNo) });
    expect(wrong.status).toBe(404);
    expect(missing.status).toBe(404);
    const strip = (s: string) => s.replace(/"requestId":"[^"]+"/, '');
    expect(strip(await wrong.text())).toBe(strip(await missing.text()));
    expect((await orderRow(order.out_trade_no))!.prepay_id).toBeNull();
  });

  it('a wrong bearer token → 401 even with a valid checkout token', async () => {
    const order = await createOrder({ openid: 'oTESTuser000000000000000001' });
    const res = await jsapi(order.out_trade_no, {
      Authorization: 'Bearer wrong-wrong-wrong-wrong',
      'X-Checkout-Token': await makeCheckoutToken(SECRET, order.out_trade_no),
    });
    expect(res.status).toBe(401);
  });

  it('refuses an openid (or anything else) in the body: the buyer comes from the order or the OAuth session', async () => {
    const order = await createOrder();
    const token = await makeCheckoutToken(SECRET, order.out_trade_no);
    for (const body of [{ openid: 'oTESTuser000000000000000001' }, { total_fee: 1 }, { checkout_token: token, openid: 'oTESTuser000000000000000001' }]) {
      const res = await jsapi(order.out_trade_no, {}, body);
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toBe('VALIDATION_FAILED');
    }
    expect((await orderRow(order.out_trade_no))!.prepay_id).toBeNull();
  });

  it('without an openid on the order or a session → 401 OPENID_REQUIRED', async () => {
    const order = await createOrder();
    const res = await jsapi(order.out_trade_no, {}, { checkout_token: await makeCheckoutToken(SECRET, order.out_trade_no) });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toBe('OPENID_REQUIRED');
  });

  it.each([
    ['PAID', 'ORDER_PAID'],
    ['REFUNDED', 'ORDER_PAID'],
    ['CLOSED', 'ORDER_CLOSED'],
    ['CLOSING', 'ORDER_CLOSED'],
    ['FAILED', 'ORDER_NOT_PAYABLE'],
  ])('an order in %s → 409 %s, no WeChat call', async (status, code) => {
    const order = await createOrder({ openid: 'oTESTuser000000000000000001' });
    await env.DB.prepare('UPDATE orders SET status = ?2 WHERE out_trade_no = ?1').bind(order.out_trade_no, status).run();
    const res = await jsapi(order.out_trade_no, AUTH);
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toBe(code);
    expect((await orderRow(order.out_trade_no))!.prepay_id).toBeNull();
  });

  it('an expired order → 409 ORDER_EXPIRED', async () => {
    const order = await createOrder({ openid: 'oTESTuser000000000000000001' });
    await env.DB.prepare('UPDATE orders SET expires_at = ?2 WHERE out_trade_no = ?1')
      .bind(order.out_trade_no, Date.now() - 1000) // epoch ms since 0018
      .run();
    const res = await jsapi(order.out_trade_no, AUTH);
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toBe('ORDER_EXPIRED');
  });

  it('an order another buyer is paying → 409 PREPAY_OPENID_MISMATCH; once that attempt expires, this buyer gets one of their own', async () => {
    const order = await createOrder();
    const as = async (openid: string) =>
      jsapi(order.out_trade_no, { 'X-Checkout-Token': await makeCheckoutToken(SECRET, order.out_trade_no), Cookie: await sessionCookie(openid) });
    expect((await as(BOB)).status).toBe(200);
    const res = await as(BUYER);
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toBe('PREPAY_OPENID_MISMATCH');
    await env.DB.prepare('UPDATE payment_attempts SET expires_at = ?2 WHERE out_trade_no = ?1')
      .bind(order.out_trade_no, Date.now() - 1000) // epoch ms since 0015
      .run();
    expect((await as(BUYER)).status).toBe(200);
    const attempts = await env.DB.prepare('SELECT payment_no, openid FROM payment_attempts WHERE out_trade_no = ?1 ORDER BY created_at')
      .bind(order.out_trade_no)
      .all<{ payment_no: string; openid: string }>();
    expect(attempts.results.map((a) => a.openid)).toEqual([BOB, BUYER]);
    expect(attempts.results[0]!.payment_no).toBe(order.out_trade_no);
    expect(attempts.results[1]!.payment_no).not.toBe(order.out_trade_no);
  });
});

describe('OAuth session cookie', () => {
  const read = async (cookie: string | null, nowMs = Date.now()) => {
    const app = new Hono().get('/', async (c) => c.text(String(await readOauthSession(c, SECRET, nowMs))));
    return (await app.request('/', { headers: cookie ? { Cookie: cookie } : {} })).text();
  };
  it('round-trips a signed openid', async () => {
    expect(await read(await sessionCookie('oTESTuser000000000000000001'))).toBe('oTESTuser000000000000000001');
  });
  it('rejects a tampered, foreign, expired or malformed cookie', async () => {
    const good = await sessionCookie('oTESTuser000000000000000001');
    const [, value] = good.split('=') as [string, string];
    const [openid, exp, mac] = value.split('.') as [string, string, string];
    expect(await read(`${OAUTH_COOKIE}=oTESTuser000000000000000002.${exp}.${mac}`)).toBe('null');
    expect(await read(`${OAUTH_COOKIE}=${openid}.${Number(exp) + 1}.${mac}`)).toBe('null');
    expect(await read(`${OAUTH_COOKIE}=${openid}.${exp}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`)).toBe('null');
    expect(await read(good, (Number(exp) + 1) * 1000)).toBe('null');
    expect(await read(`${OAUTH_COOKIE}=${openid}`)).toBe('null');
    expect(await read(`${OAUTH_COOKIE}=${'x'.repeat(500)}`)).toBe('null');
    expect(await read(null)).toBe('null');
  });
  it('is distinct from a checkout token made with the same secret', async () => {
    const cookieMac = (await sessionCookie('oTESTuser000000000000000001')).split('.')[2];
    expect(cookieMac).not.toBe(await makeCheckoutToken(SECRET, 'oTESTuser000000000000000001'));
  });
});

describe('jsapi CORS', () => {
  it('an unlisted origin gets no Access-Control-Allow-Origin, on preflight or on the call', async () => {
    const order = await createOrder();
    const preflight = await api(`/v1/orders/${order.out_trade_no}/jsapi`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-checkout-token' },
    });
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBeNull();
    const call = await api(`/v1/orders/${order.out_trade_no}/jsapi`, { method: 'POST', headers: { Origin: 'https://evil.example' } });
    expect(call.headers.get('Access-Control-Allow-Origin')).toBeNull();
    expect(call.headers.get('Cache-Control')).toBe('no-store');
  });
  it('a configured merchant origin may call jsapi cross-origin', async () => {
    const order = await createOrder();
    const app = createApp();
    const shopEnv = { ...env, MERCHANT_ORIGINS: 'https://shop.example, https://m.shop.example' } as Env;
    const preflight = await app.fetch(
      new Request(`http://127.0.0.1:8787/v1/orders/${order.out_trade_no}/jsapi`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://m.shop.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,x-checkout-token',
        },
      }),
      shopEnv,
      createExecutionContext(),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe('https://m.shop.example');
    expect(preflight.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain('x-checkout-token');
    const other = await app.fetch(
      new Request(`http://127.0.0.1:8787/v1/orders/${order.out_trade_no}/jsapi`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://shop.example.evil', 'Access-Control-Request-Method': 'POST' },
      }),
      shopEnv,
      createExecutionContext(),
    );
    expect(other.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
  it('other merchant routes are never cross-origin', async () => {
    const res = await api('/v1/orders', { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
});
