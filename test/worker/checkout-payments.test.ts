// POST /pay/:out_trade_no/payments: the attempt of a browser outside WeChat (NATIVE on a desktop, MWEB on
// a phone), created with the buyer's own IP (CF-Connecting-IP, never X-Forwarded-For), authorised by
// the checkout token; bad input and unpayable orders; the attempts then pay in the simulator.
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { renderSVG } from 'uqr';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/worker/compose/app';
import { makeCheckoutToken } from '../../src/worker/platform/checkout-link';
import { LIVE, SECRET, WECHAT_UA } from '../support/checkout-helpers';
import { AUTH, BASE, BOB, api, createOrder, freshNo, orderRow, postJson } from '../support/orders-helpers';
import { ANDROID_CHROME, DESKTOP_CHROME, IPHONE_SAFARI } from '../support/user-agents';

interface Options {
  ua?: string;
  /** undefined: the order's own token; null: none. */
  token?: string | null;
  headers?: Record<string, string>;
  method?: string;
  body?: string;
}

async function attempt(outTradeNo: string, o: Options = {}) {
  const token = o.token === undefined ? await makeCheckoutToken(SECRET, outTradeNo) : o.token;
  const headers: Record<string, string> = { 'User-Agent': o.ua ?? DESKTOP_CHROME, ...(token === null ? {} : { 'X-Checkout-Token': token }), ...o.headers };
  const res = await api(`/pay/${outTradeNo}/payments`, { method: o.method ?? 'POST', headers, body: o.body });
  const text = await res.text();
  return { res, status: res.status, text, body: (text ? JSON.parse(text) : null) as Record<string, any> };
}

async function attemptRows(outTradeNo: string) {
  const rows = await env.DB.prepare('SELECT payment_no, trade_type, client_ip, status FROM payment_attempts WHERE out_trade_no = ?1 ORDER BY created_at')
    .bind(outTradeNo)
    .all<{ payment_no: string; trade_type: string; client_ip: string; status: string }>();
  return rows.results;
}

/** WeChat's side of a payment (the simulator's record of unifiedorder). */
async function wechatOrder(paymentNo: string) {
  return (await (await api(`/sandbox/sim/orders/${paymentNo}`)).json()) as Record<string, any>;
}

async function unifiedorders(paymentNo: string): Promise<number> {
  const { calls } = (await (await api(`/sandbox/sim/calls?out_trade_no=${paymentNo}`)).json()) as { calls: { endpoint: string }[] };
  return calls.filter((c) => c.endpoint === 'unifiedorder').length;
}

async function buyerStatus(outTradeNo: string, sync = false): Promise<string> {
  const res = await api(`/pay/${outTradeNo}/status${sync ? '?sync=1' : ''}`, { headers: { 'X-Checkout-Token': await makeCheckoutToken(SECRET, outTradeNo) } });
  return ((await res.json()) as { status: string }).status;
}

/** The app on env overrides (live mode), with a request of any method. */
async function fetchWithInit(overrides: Record<string, string>, path: string, init: RequestInit): Promise<Response> {
  return createApp().fetch(new Request(BASE + path, init), { ...env, ...overrides } as Env, createExecutionContext());
}

describe('the trade type is the browser’s', () => {
  it('a desktop browser gets a NATIVE attempt: the code_url and its QR code as SVG (201), then the same again (200)', async () => {
    const o = await createOrder();
    const first = await attempt(o.out_trade_no);
    expect(first.status, first.text).toBe(201);
    expect(first.res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(first.res.headers.get('Cache-Control')).toBe('no-store');
    expect(Object.keys(first.body).sort()).toEqual(['code_url', 'expires_at', 'qr_svg', 'trade_type']);
    expect(first.body.trade_type).toBe('NATIVE');
    expect(first.body.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=[A-Za-z0-9]+$/);
    expect(first.body.qr_svg).toBe(renderSVG(first.body.code_url, { border: 2 }));
    expect(first.body.qr_svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+">/);
    expect(Date.parse(first.body.expires_at)).toBeGreaterThan(Date.now());
    expect(await attemptRows(o.out_trade_no)).toMatchObject([{ payment_no: o.out_trade_no, trade_type: 'NATIVE', status: 'PENDING' }]);
    expect((await orderRow(o.out_trade_no))!.status).toBe('NOTPAY');
    expect(await wechatOrder(o.out_trade_no)).toMatchObject({ trade_type: 'NATIVE', total_fee: 1999 });

    // A reload asks again: the same attempt and code_url, no second unifiedorder.
    const again = await attempt(o.out_trade_no);
    expect(again.status).toBe(200);
    expect(again.body.code_url).toBe(first.body.code_url);
    expect(await attemptRows(o.out_trade_no)).toHaveLength(1);
    expect(await unifiedorders(o.out_trade_no)).toBe(1);
  });

  it('a phone browser gets an MWEB attempt whose mweb_url returns to this checkout with mweb=1', async () => {
    for (const ua of [IPHONE_SAFARI, ANDROID_CHROME]) {
      const o = await createOrder();
      const a = await attempt(o.out_trade_no, { ua });
      expect(a.status, a.text).toBe(201);
      expect(Object.keys(a.body).sort()).toEqual(['expires_at', 'mweb_url', 'trade_type']);
      expect(a.body.trade_type).toBe('MWEB');
      const url = new URL(a.body.mweb_url);
      expect(url.origin + url.pathname).toBe(`${BASE}/sandbox/mweb`);
      expect(url.searchParams.get('redirect_url')).toBe(`${BASE}/pay/${o.out_trade_no}?t=${await makeCheckoutToken(SECRET, o.out_trade_no)}&mweb=1`);
      // An mweb_url lives 5 minutes.
      expect(Date.parse(a.body.expires_at) - Date.now()).toBeLessThanOrEqual(5 * 60_000);
      expect(await wechatOrder(o.out_trade_no)).toMatchObject({ trade_type: 'MWEB' });
    }
  });

  it('inside WeChat → 409 TRADE_TYPE_UNAVAILABLE (the page uses /jsapi there), nothing created', async () => {
    const o = await createOrder();
    const a = await attempt(o.out_trade_no, { ua: WECHAT_UA });
    expect(a.status).toBe(409);
    expect(a.body.error.code).toBe('TRADE_TYPE_UNAVAILABLE');
    expect(await attemptRows(o.out_trade_no)).toEqual([]);
  });

  it('a desktop and a phone on the same order: two attempts, the second under <no>_2', async () => {
    const o = await createOrder();
    expect((await attempt(o.out_trade_no)).status).toBe(201);
    expect((await attempt(o.out_trade_no, { ua: IPHONE_SAFARI })).status).toBe(201);
    expect((await attemptRows(o.out_trade_no)).map((r) => [r.payment_no, r.trade_type])).toEqual([
      [o.out_trade_no, 'NATIVE'],
      [`${o.out_trade_no}_2`, 'MWEB'],
    ]);
  });

  it('an expired mweb_url: 重新支付 gets a new attempt', async () => {
    const o = await createOrder();
    const first = await attempt(o.out_trade_no, { ua: IPHONE_SAFARI });
    await env.DB.prepare('UPDATE payment_attempts SET expires_at = ?2 WHERE payment_no = ?1')
      .bind(o.out_trade_no, Date.now() - 1000) // epoch ms since 0015
      .run();
    const second = await attempt(o.out_trade_no, { ua: IPHONE_SAFARI });
    expect(second.status).toBe(201);
    expect(second.body.mweb_url).not.toBe(first.body.mweb_url);
    expect((await attemptRows(o.out_trade_no)).map((r) => r.payment_no)).toEqual([o.out_trade_no, `${o.out_trade_no}_2`]);
  });
});

describe("the buyer's IP", () => {
  it('unifiedorder gets CF-Connecting-IP, never X-Forwarded-For or X-Real-IP; WeChat’s H5 page then accepts that browser only', async () => {
    const o = await createOrder();
    const headers = { 'CF-Connecting-IP': '203.0.113.9', 'X-Forwarded-For': '198.51.100.7', 'X-Real-IP': '198.51.100.8' };
    const a = await attempt(o.out_trade_no, { ua: IPHONE_SAFARI, headers });
    expect(a.status).toBe(201);
    expect((await attemptRows(o.out_trade_no))[0]!.client_ip).toBe('203.0.113.9');
    expect((await wechatOrder(o.out_trade_no)).params.spbill_create_ip).toBe('203.0.113.9');

    // Opened as the page opens it: a navigation from our origin (strict-origin Referer), same browser.
    const open = (ip: string) =>
      api(a.body.mweb_url.slice(BASE.length), { headers: { 'User-Agent': IPHONE_SAFARI, Referer: `${BASE}/`, 'CF-Connecting-IP': ip } });
    const ok = await open('203.0.113.9');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('id="user-alice"');
    const other = await open('198.51.100.7');
    expect(other.status).toBe(403);
    expect(await other.text()).toContain('data-reason="IP_MISMATCH"');
  });

  it('without CF-Connecting-IP (local development) it is 127.0.0.1, whatever X-Forwarded-For says; a malformed one counts as absent', async () => {
    for (const headers of [{ 'X-Forwarded-For': '198.51.100.7' }, { 'CF-Connecting-IP': 'not-an-ip' }] as Record<string, string>[]) {
      const o = await createOrder();
      expect((await attempt(o.out_trade_no, { ua: IPHONE_SAFARI, headers })).status).toBe(201);
      expect((await attemptRows(o.out_trade_no))[0]!.client_ip).toBe('127.0.0.1');
    }
  });

  it('a NATIVE attempt records the buyer’s IP too (IPv6 included)', async () => {
    const o = await createOrder();
    expect((await attempt(o.out_trade_no, { headers: { 'CF-Connecting-IP': '2001:db8::1' } })).status).toBe(201);
    expect((await attemptRows(o.out_trade_no))[0]!.client_ip).toBe('2001:db8::1');
  });

  it('live: an MWEB attempt without CF-Connecting-IP is refused (400 CLIENT_IP_REQUIRED) before any call to WeChat', async () => {
    const o = await createOrder();
    const token = await makeCheckoutToken(LIVE.CHECKOUT_SECRET, o.out_trade_no);
    const res = await fetchWithInit({ ...LIVE, WECHAT_TRADE_TYPES: 'JSAPI,NATIVE,MWEB' }, `/pay/${o.out_trade_no}/payments`, {
      method: 'POST',
      headers: { 'User-Agent': IPHONE_SAFARI, 'X-Checkout-Token': token, 'X-Forwarded-For': '198.51.100.7' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('CLIENT_IP_REQUIRED');
    expect(await attemptRows(o.out_trade_no)).toEqual([]);
  });
});

describe('authorisation: the checkout token, in X-Checkout-Token', () => {
  it('absent → 401; in the query only → 401; the merchant bearer alone → 401; nothing created', async () => {
    const o = await createOrder();
    const token = await makeCheckoutToken(SECRET, o.out_trade_no);
    const cases = [
      await attempt(o.out_trade_no, { token: null }),
      await (async () => {
        const res = await api(`/pay/${o.out_trade_no}/payments?t=${token}`, { method: 'POST', headers: { 'User-Agent': DESKTOP_CHROME } });
        return { status: res.status, body: (await res.json()) as Record<string, any> };
      })(),
      await attempt(o.out_trade_no, { token: null, headers: AUTH }),
    ];
    for (const c of cases) {
      expect(c.status).toBe(401);
      expect(c.body.error.code).toBe('UNAUTHORIZED');
    }
    expect(await attemptRows(o.out_trade_no)).toEqual([]);
  });

  it('a wrong token, another order’s token and an unknown order get the same 404', async () => {
    const o = await createOrder();
    const unknown = freshNo();
    const answers = [
      await attempt(o.out_trade_no, { token: 'x'.repeat(43) }),
      await attempt(o.out_trade_no, { token: await makeCheckoutToken(SECRET, unknown) }),
      await attempt(o.out_trade_no, { token: 'x'.repeat(3000) }),
      await attempt(unknown),
    ];
    const strip = (s: string) => s.replace(/"requestId":"[^"]+"/, '');
    for (const a of answers) {
      expect(a.status).toBe(404);
      expect(strip(a.text)).toBe(strip(answers[0]!.text));
    }
    expect(answers[0]!.body.error.code).toBe('ORDER_NOT_FOUND');
    expect(await attemptRows(o.out_trade_no)).toEqual([]);
  });
});

describe('bad input', () => {
  it('a malformed order number → 400 INVALID_OUT_TRADE_NO in JSON', async () => {
    for (const no of ['bad!no', 'x'.repeat(33), 'abc']) {
      const a = await attempt(encodeURIComponent(no), { token: 'x' });
      expect(a.status, no).toBe(400);
      expect(a.body.error.code).toBe('INVALID_OUT_TRADE_NO');
    }
  });

  it('other verbs → 405 (OPTIONS 204); a body is ignored: the amount, trade type and IP stay the server’s', async () => {
    const o = await createOrder();
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const a = await attempt(o.out_trade_no, { method });
      expect(a.status, method).toBe(405);
      expect(a.body.error.code).toBe('METHOD_NOT_ALLOWED');
    }
    expect((await attempt(o.out_trade_no, { method: 'OPTIONS' })).status).toBe(204);
    const a = await attempt(o.out_trade_no, {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ trade_type: 'JSAPI', total_fee: 1, client_ip: '192.0.2.1', openid: BOB }),
    });
    expect(a.status).toBe(201);
    expect(a.body.trade_type).toBe('NATIVE');
    expect(await wechatOrder(o.out_trade_no)).toMatchObject({ total_fee: 1999, params: { spbill_create_ip: '127.0.0.1' } });
  });

  it('an order that cannot be paid → 409 in JSON (never the HTML error page), nothing created', async () => {
    for (const [status, extra, code] of [
      ['PAID', '', 'ORDER_PAID'],
      ['CLOSED', '', 'ORDER_CLOSED'],
      ['NOTPAY', `, expires_at = ${Date.now() - 1000}`, 'ORDER_EXPIRED'],
    ] as const) {
      const o = await createOrder();
      await env.DB.prepare(`UPDATE orders SET status = ?2 ${extra} WHERE out_trade_no = ?1`).bind(o.out_trade_no, status).run();
      const a = await attempt(o.out_trade_no, { ua: IPHONE_SAFARI });
      expect(a.status, status).toBe(409);
      expect(a.res.headers.get('Content-Type')).toMatch(/^application\/json/);
      expect(a.body.error.code).toBe(code);
      expect(await attemptRows(o.out_trade_no)).toEqual([]);
    }
  });
});

describe('paying the attempts (the simulator)', () => {
  it('NATIVE: a buyer scans the code_url and pays; the status endpoint then says PAID', async () => {
    const o = await createOrder();
    const a = await attempt(o.out_trade_no);
    expect(await buyerStatus(o.out_trade_no)).toBe('NOTPAY');
    expect((await postJson('/sandbox/sim/pay', { code_url: a.body.code_url, openid: BOB }, {})).status).toBe(200);
    expect(await buyerStatus(o.out_trade_no)).toBe('PAID');
    // Paid: no further attempt for this order.
    expect((await attempt(o.out_trade_no)).body.error.code).toBe('ORDER_PAID');
  });

  it('MWEB with the notify lost: the return page’s check (sync=1) finds the payment through orderquery', async () => {
    const o = await createOrder();
    const a = await attempt(o.out_trade_no, { ua: IPHONE_SAFARI });
    expect((await postJson('/sandbox/sim/scenario', { out_trade_no: o.out_trade_no, notify: 'never' }, {})).status).toBe(200);
    expect((await postJson('/sandbox/sim/pay', { mweb_url: a.body.mweb_url, openid: BOB }, {})).status).toBe(200);
    expect(await buyerStatus(o.out_trade_no)).toBe('NOTPAY'); // nothing heard yet, and not asked
    expect(await buyerStatus(o.out_trade_no, true)).toBe('PAID');
  });
});
