// GET /pay/:out_trade_no: token checks, the OAuth redirect, every order state's page, live mode outside WeChat, headers.
import { env } from 'cloudflare:workers';
import { renderSVG } from 'uqr';
import { describe, expect, it } from 'vitest';
import { makeCheckoutToken } from '../../src/worker/platform/checkout-link';
import {
  cookieFrom,
  cspNonceOf,
  expectHardenedPage,
  fetchWith,
  get,
  LIVE,
  pageUrl,
  PLAIN_UA,
  SECRET,
  sessionCookie,
  WECHAT_UA,
  withoutNonce,
} from '../support/checkout-helpers';
import { createOrder, freshNo, orderRow } from '../support/orders-helpers';

const BUYER = 'oTESTbuyer00000000000000001';

async function setStatus(outTradeNo: string, status: string, extra = '') {
  await env.DB.prepare(`UPDATE orders SET status = ?2 ${extra} WHERE out_trade_no = ?1`).bind(outTradeNo, status).run();
}

describe('checkout link token', () => {
  it('a missing token, a wrong token, a malformed number and an unknown order all get the same 404 page', async () => {
    const order = await createOrder({ openid: BUYER, description: '秘密商品 SECRET-ITEM' });
    const no = order.out_trade_no as string;
    const unknown = freshNo();
    const responses = [
      await get(`/pay/${no}`),
      await get(`/pay/${no}?t=`),
      await get(`/pay/${no}?t=${await makeCheckoutToken(SECRET, 'another-order')}`),
      await get(`/pay/${no}?t=${(await makeCheckoutToken(SECRET, no)).slice(0, -2)}`),
      await get(`/pay/${unknown}?t=${await makeCheckoutToken(SECRET, unknown)}`),
      await get(`/pay/bad!no?t=x`),
    ];
    const bodies = await Promise.all(responses.map(async (r) => withoutNonce(await r.text(), cspNonceOf(r))));
    for (const [i, res] of responses.entries()) {
      expect(res.status, `case ${i}`).toBe(404);
      expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
      expect(bodies[i]).toBe(bodies[0]);
    }
    expect(bodies[0]).toContain('页面不存在');
    expect(bodies[0]).not.toContain('SECRET-ITEM');
    expect(bodies[0]).not.toContain(no);
    expect(bodies[0]).not.toContain('<script');
    // Nothing was started for the bad links: no OAuth state, no prepay.
    for (const res of responses) expect(cookieFrom(res, 'wxpay_oauth')).toBeUndefined();
    expect((await orderRow(no))!.prepay_id).toBeNull();
  });

  it('the right token renders the order', async () => {
    const order = await createOrder({ openid: BUYER, description: 'Coffee 拿铁', total_fee: 1999 });
    const res = await get(await pageUrl(order.out_trade_no));
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('沙箱商户');
    expect(body).toContain('Coffee 拿铁');
    expect(body).toMatch(/<span class="currency">¥<\/span>19\.99</);
    expect(body).toMatch(/<button id="pay"[^>]*>[^<]*<\/button>/);
  });
});

describe('checkout page rendering', () => {
  it('formats the amount with two decimals from integer fen', async () => {
    for (const [fee, shown] of [
      [1, '0.01'],
      [10, '0.10'],
      [100, '1.00'],
      [123456, '1234.56'],
    ] as const) {
      const order = await createOrder({ openid: BUYER, total_fee: fee });
      const body = await (await get(await pageUrl(order.out_trade_no))).text();
      expect(body, String(fee)).toContain(`<span class="currency">¥</span>${shown}<`);
    }
  });

  it('escapes the merchant-supplied description', async () => {
    const order = await createOrder({ openid: BUYER, description: '<img src=x onerror=alert(1)>"&\'' });
    const body = await (await get(await pageUrl(order.out_trade_no))).text();
    expect(body).not.toContain('<img src=x');
    expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&amp;&#39;');
  });

  it('in sandbox mode loads the simulator pay sheet, then the page script, both under the CSP nonce', async () => {
    const order = await createOrder({ openid: BUYER });
    const res = await get(await pageUrl(order.out_trade_no));
    const nonce = cspNonceOf(res);
    const body = await res.text();
    const scripts = [...body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts).toEqual([`<script nonce="${nonce}" src="/sandbox/pay-sheet.js">`, `<script nonce="${nonce}" src="/assets/checkout.js">`]);
    expect(body).toContain('沙箱环境');
  });

  it('carries the order number and its token for the page script, and nothing secret', async () => {
    const order = await createOrder({ openid: BUYER });
    const url = await pageUrl(order.out_trade_no);
    const body = await (await get(url)).text();
    const token = new URL(url, 'http://x').searchParams.get('t')!;
    expect(body).toContain(`data-order="${order.out_trade_no}" data-token="${token}"`);
    for (const secret of [env.WECHAT_API_KEY!, env.WECHAT_APP_SECRET!, env.MERCHANT_API_TOKEN!, SECRET, BUYER]) {
      expect(body).not.toContain(secret);
    }
  });
});

describe('order states', () => {
  const cases = [
    ['PAID', '已支付'],
    ['PAID_AFTER_CLOSE', '已支付'],
    ['REFUNDING', '已支付'],
    ['REFUNDED', '已退款'],
    ['CLOSED', '订单已关闭'],
    ['CLOSING', '订单已关闭'],
    ['PAYERROR', '订单无法支付'],
    ['FAILED', '订单无法支付'],
  ] as const;
  for (const [status, heading] of cases) {
    it(`${status} → "${heading}", no pay button, no script`, async () => {
      const order = await createOrder({ openid: BUYER, total_fee: 888 });
      await setStatus(order.out_trade_no, status);
      const res = await get(await pageUrl(order.out_trade_no));
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body).toContain(`<h1>${heading}</h1>`);
      expect(body).toContain('8.88');
      expect(body).not.toContain('id="pay"');
      expect(body).not.toContain('<script');
    });
  }

  it('an unpaid order past expires_at → "订单已过期"', async () => {
    const order = await createOrder({ openid: BUYER });
    await setStatus(order.out_trade_no, 'NOTPAY', `, expires_at = ${Date.now() - 1000}`);
    const body = await (await get(await pageUrl(order.out_trade_no))).text();
    expect(body).toContain('<h1>订单已过期</h1>');
    expect(body).not.toContain('id="pay"');
  });

  it('a paid order never redirects to OAuth, even without any session', async () => {
    const order = await createOrder({});
    await setStatus(order.out_trade_no, 'PAID');
    const res = await get(await pageUrl(order.out_trade_no));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<h1>已支付</h1>');
  });
});

describe('openid', () => {
  it('no openid on the order and no session → 302 to the simulator authorize page with snsapi_base and a state bound to a cookie', async () => {
    const order = await createOrder({});
    const res = await get(await pageUrl(order.out_trade_no));
    expect(res.status).toBe(302);
    const location = res.headers.get('Location')!;
    const m =
      /^http:\/\/127\.0\.0\.1:8787\/sandbox\/connect\/oauth2\/authorize\?appid=wxd930ea5d5a258f4f&redirect_uri=([^&]+)&response_type=code&scope=snsapi_base&state=([A-Za-z0-9]{32})#wechat_redirect$/.exec(
        location,
      );
    expect(m, location).not.toBeNull();
    expect(decodeURIComponent(m![1]!)).toBe('http://127.0.0.1:8787/oauth/callback');
    const cookie = cookieFrom(res, 'wxpay_oauth')!;
    expect(cookie).toMatch(new RegExp(`^wxpay_oauth=${m![2]}\\.0\\.`));
    expect(cookie).toMatch(/; Max-Age=600/);
    expect(cookie).toMatch(/; Path=\/oauth\/callback/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    // Each authorize gets a fresh state.
    const again = await get(await pageUrl(order.out_trade_no));
    expect(again.headers.get('Location')).not.toBe(location);
  });

  it('a valid session cookie renders the page without OAuth', async () => {
    const order = await createOrder({});
    const res = await get(await pageUrl(order.out_trade_no), { Cookie: await sessionCookie(BUYER) });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('id="pay"');
  });

  it('a tampered, expired or foreign-secret session cookie is ignored (→ OAuth)', async () => {
    const order = await createOrder({});
    const url = await pageUrl(order.out_trade_no);
    const good = await sessionCookie(BUYER);
    const [name, value] = good.split('=') as [string, string];
    const [openid, exp, mac] = value.split('.') as [string, string, string];
    const bad = [
      `${name}=oTESTattacker000000000000001.${exp}.${mac}`,
      `${name}=${openid}.${Number(exp) + 60}.${mac}`,
      `${name}=${openid}.${exp}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`,
      await sessionCookie(BUYER, Date.now() - 31 * 60_000),
      `${name}=${openid}`,
    ];
    for (const cookie of bad) {
      const res = await get(url, { Cookie: cookie });
      expect(res.status, cookie).toBe(302);
      expect(res.headers.get('Location')).toContain('/sandbox/connect/oauth2/authorize?');
    }
  });
});

describe('live mode', () => {
  async function liveOrderUrl(body: Record<string, unknown> = {}) {
    const order = await createOrder(body);
    return `/pay/${order.out_trade_no}?t=${await makeCheckoutToken(LIVE.CHECKOUT_SECRET, order.out_trade_no)}`;
  }

  it('outside WeChat → "请在微信中打开" with the link as a worker-rendered SVG QR code', async () => {
    const url = await liveOrderUrl({ openid: BUYER, total_fee: 500 });
    const res = await fetchWith(LIVE, url, { 'User-Agent': PLAIN_UA });
    expect(res.status).toBe(200);
    const body = await res.text();
    // The code encodes the buyer's own checkout link on the public origin.
    expect(body).toContain(renderSVG(`${LIVE.PUBLIC_BASE_URL}${url}`, { border: 2 }));
    expect(body).toContain('<h1>请在微信中打开</h1>');
    expect(body).toContain('5.00');
    expect(body).toMatch(/<div class="qr"[^>]*><svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+">/);
    expect(body).not.toMatch(/<img|https?:\/\/(?!www\.w3\.org)/); // no external QR service, no external asset
    expect(body).not.toContain('<script');
  });

  it('inside WeChat without a session → 302 to open.weixin.qq.com', async () => {
    const res = await fetchWith(LIVE, await liveOrderUrl(), { 'User-Agent': WECHAT_UA });
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toMatch(
      /^https:\/\/open\.weixin\.qq\.com\/connect\/oauth2\/authorize\?appid=wxd930ea5d5a258f4f&redirect_uri=https%3A%2F%2Fpay\.example\.com%2Foauth%2Fcallback&response_type=code&scope=snsapi_base&state=[A-Za-z0-9]{32}#wechat_redirect$/,
    );
  });

  it('inside WeChat with the openid known → the page loads only its own script (no simulator pay sheet)', async () => {
    const res = await fetchWith(LIVE, await liveOrderUrl({ openid: BUYER }), { 'User-Agent': WECHAT_UA });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect([...body.matchAll(/<script\b[^>]*src="([^"]+)"/g)].map((m) => m[1])).toEqual(['/assets/checkout.js']);
    expect(body).not.toContain('沙箱环境');
  });

  it('a broken live configuration → 503 page, no order data', async () => {
    const order = await createOrder({ openid: BUYER, description: 'HIDDEN-DESC' });
    const res = await fetchWith({ ...LIVE, WECHAT_API_KEY: env.WECHAT_API_KEY! }, `/pay/${order.out_trade_no}?t=x`, { 'User-Agent': WECHAT_UA });
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(body).toContain('服务暂不可用');
    expect(body).not.toContain('HIDDEN-DESC');
  });
});

describe('security headers', () => {
  it('every page response: strict nonce CSP, nosniff, no-referrer, no-store, no framing', async () => {
    const order = await createOrder({ openid: BUYER });
    const paid = await createOrder({ openid: BUYER });
    await setStatus(paid.out_trade_no, 'PAID');
    const responses = [
      await get(await pageUrl(order.out_trade_no)),
      await get(await pageUrl(paid.out_trade_no)),
      await get(`/pay/${order.out_trade_no}?t=wrong`),
      await get('/oauth/callback?code=x&state=y'),
    ];
    for (const res of responses) {
      expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
      // No inline handlers or inline scripts; every script and style carries this response's nonce.
      const { body } = await expectHardenedPage(res);
      for (const tag of body.matchAll(/<script\b([^>]*)>/g)) expect(tag[1]).toMatch(/ src="\/[^"]+"/);
    }
    // A fresh nonce per response.
    const a = cspNonceOf(await get(await pageUrl(order.out_trade_no)));
    const b = cspNonceOf(await get(await pageUrl(order.out_trade_no)));
    expect(a).not.toBe(b);
  });

  it('the page script is served as JavaScript, nosniff, from our own origin', async () => {
    const res = await get('/assets/checkout.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    const js = await res.text();
    expect(js).toContain("invoke('getBrandWCPayRequest', params,");
    expect(js).toContain('WeixinJSBridgeReady');
    expect(() => new Function(js)).not.toThrow(); // it parses
  });
});

describe('unexpected failures', () => {
  it('a failing database → a generic 500 page (HTML for the page, JSON for the status), no internals', async () => {
    const order = await createOrder({ openid: BUYER });
    const url = await pageUrl(order.out_trade_no);
    const brokenDb = {
      prepare() {
        throw new Error('D1_ERROR: no such table: orders_secret_internal');
      },
    };
    const page = await fetchWith({ DB: brokenDb } as unknown as Record<string, string>, url, { 'User-Agent': WECHAT_UA });
    expect(page.status).toBe(500);
    expect(page.headers.get('Content-Type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('服务暂不可用');
    expect(page.headers.get('Content-Security-Policy')).toContain(`script-src 'nonce-${cspNonceOf(page)}'`);
    const status = await fetchWith(
      { DB: brokenDb } as unknown as Record<string, string>,
      `/pay/${order.out_trade_no}/status?t=${new URL(url, 'http://x').searchParams.get('t')}`,
    );
    expect(status.status).toBe(500);
    const json = (await status.json()) as { error: { code: string } };
    expect(json.error.code).toBe('INTERNAL');
    for (const body of [html, JSON.stringify(json)]) {
      expect(body).not.toMatch(/D1_ERROR|orders_secret_internal|at .*\.ts|Error:/);
    }
  });
});
