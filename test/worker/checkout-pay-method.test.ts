// GET /pay/:out_trade_no by where the buyer is: WeChat → JSAPI, a desktop browser → the NATIVE page, a
// phone browser → the MWEB page (and its return page); what each page loads, and that none issues a prepay.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { isPhoneUserAgent, isWechatUserAgent, payMethodFor } from '../../src/worker/checkout/pay-method';
import { makeCheckoutToken } from '../../src/worker/platform/checkout-link';
import { cookieFrom, expectHardenedPage, fetchWith, get, LIVE, pageUrl, SECRET, WECHAT_UA } from '../support/checkout-helpers';
import { createOrder, orderRow } from '../support/orders-helpers';
import { ANDROID_CHROME, DESKTOP_CHROME, IPHONE_SAFARI } from '../support/user-agents';

const BUYER = 'oTESTbuyer00000000000000001';

const UAS: [string, string | undefined, 'JSAPI' | 'NATIVE' | 'MWEB'][] = [
  ['WeChat on iOS', WECHAT_UA, 'JSAPI'],
  [
    'WeChat on Android',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 MMWEBSDK/20240404 MMWEBID/1234 MicroMessenger/8.0.49.2600(0x2800313B) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64',
    'JSAPI',
  ],
  [
    'PC WeChat',
    'Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63090a13)',
    'JSAPI',
  ],
  ['desktop Chrome', DESKTOP_CHROME, 'NATIVE'],
  ['desktop Safari', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'NATIVE'],
  ['desktop Firefox', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'NATIVE'],
  ['no User-Agent', undefined, 'NATIVE'],
  ['curl', 'curl/8.5.0', 'NATIVE'],
  ['iPhone Safari', IPHONE_SAFARI, 'MWEB'],
  ['Android Chrome', ANDROID_CHROME, 'MWEB'],
  ['Android tablet', 'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 'MWEB'],
  [
    'HarmonyOS browser',
    'Mozilla/5.0 (Phone; OpenHarmony 4.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36 ArkWeb/4.1.6.1 Mobile HuaweiBrowser/5.0.3.300',
    'MWEB',
  ],
  [
    'QQ browser on Android',
    'Mozilla/5.0 (Linux; U; Android 12; zh-cn; V2172A Build/SP1A.210812.003) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/89.0.4389.72 MQQBrowser/13.6 Mobile Safari/537.36',
    'MWEB',
  ],
];

function modeOf(body: string): string | undefined {
  return /<main id="checkout"[^>]* data-mode="([A-Z_]+)"/.exec(body)?.[1];
}

function scriptsOf(body: string): string[] {
  return [...body.matchAll(/<script\b[^>]*src="([^"]+)"/g)].map((m) => m[1]!);
}

async function attempts(outTradeNo: string): Promise<number> {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM payment_attempts WHERE out_trade_no = ?1').bind(outTradeNo).first<{ n: number }>();
  return row!.n;
}

describe('payMethodFor: the trade type by User-Agent and configuration', () => {
  const all = { mode: 'sandbox' as const, tradeTypes: new Set(['JSAPI', 'MINIPROGRAM', 'NATIVE', 'MWEB', 'APP'] as const) };
  for (const [name, ua, method] of UAS) {
    it(`${name} → ${method}`, () => {
      expect(payMethodFor(ua, all)).toBe(method);
      expect(isWechatUserAgent(ua)).toBe(method === 'JSAPI');
      if (method !== 'JSAPI') expect(isPhoneUserAgent(ua)).toBe(method === 'MWEB');
    });
  }

  it('a trade type the merchant does not take: the sandbox falls back to its pay sheet, live asks for WeChat', () => {
    const jsapiOnly = new Set(['JSAPI'] as const);
    expect(payMethodFor(DESKTOP_CHROME, { mode: 'sandbox', tradeTypes: jsapiOnly })).toBe('JSAPI');
    expect(payMethodFor(IPHONE_SAFARI, { mode: 'sandbox', tradeTypes: jsapiOnly })).toBe('JSAPI');
    expect(payMethodFor(DESKTOP_CHROME, { mode: 'live', tradeTypes: jsapiOnly })).toBe('OPEN_IN_WECHAT');
    expect(payMethodFor(IPHONE_SAFARI, { mode: 'live', tradeTypes: new Set(['JSAPI', 'NATIVE'] as const) })).toBe('OPEN_IN_WECHAT');
    expect(payMethodFor(DESKTOP_CHROME, { mode: 'live', tradeTypes: new Set(['JSAPI', 'NATIVE'] as const) })).toBe('NATIVE');
    expect(payMethodFor(WECHAT_UA, { mode: 'live', tradeTypes: new Set(['NATIVE', 'MWEB'] as const) })).toBe('JSAPI');
  });
});

describe('the page by User-Agent (sandbox: every trade type)', () => {
  it('a desktop browser: the NATIVE page, no OAuth, no pay sheet, no prepay until the script asks', async () => {
    const order = await createOrder({});
    const res = await get(await pageUrl(order.out_trade_no), { 'User-Agent': DESKTOP_CHROME });
    expect(res.status).toBe(200);
    expect(cookieFrom(res, 'wxpay_oauth')).toBeUndefined();
    const body = await res.text();
    expect(modeOf(body)).toBe('NATIVE');
    expect(scriptsOf(body)).toEqual(['/assets/checkout.js']);
    expect(body).toContain('<div id="qr" class="qr" role="img" aria-label="微信支付二维码" hidden></div>');
    expect(body).toContain('扫一扫');
    expect(body).toContain('沙箱环境');
    expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(body).toContain('<meta name="referrer" content="no-referrer">');
    expect(await attempts(order.out_trade_no)).toBe(0);
    expect((await orderRow(order.out_trade_no))!.status).toBe('CREATED');
  });

  it('a phone browser: the MWEB page, sending only its origin as the Referer; no prepay from the GET', async () => {
    for (const ua of [IPHONE_SAFARI, ANDROID_CHROME]) {
      const order = await createOrder({});
      const res = await get(await pageUrl(order.out_trade_no), { 'User-Agent': ua });
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(modeOf(body)).toBe('MWEB');
      expect(scriptsOf(body)).toEqual(['/assets/checkout.js']);
      expect(body).not.toContain('id="qr"');
      // The origin only (WeChat's H5 page checks it), never the path or the token; never https → http.
      expect(res.headers.get('Referrer-Policy')).toBe('strict-origin');
      expect(body).toContain('<meta name="referrer" content="strict-origin">');
      expect(await attempts(order.out_trade_no)).toBe(0);
    }
  });

  it('back from WeChat (?mweb=1) on a phone: 已完成支付 and 重新支付, no claim of success', async () => {
    const order = await createOrder({});
    const res = await get(`${await pageUrl(order.out_trade_no)}&mweb=1`, { 'User-Agent': IPHONE_SAFARI });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(modeOf(body)).toBe('MWEB_RETURN');
    expect(body).toContain('<button id="pay" class="btn" type="button">已完成支付</button>');
    expect(body).toContain('<button id="repay" class="btn btn-secondary" type="button">重新支付</button>');
    expect(body).toContain('请确认微信支付是否已完成');
    expect(body).toMatch(/<section id="paid" class="state" hidden>/);
    expect(res.headers.get('Referrer-Policy')).toBe('strict-origin');
    expect(await attempts(order.out_trade_no)).toBe(0);
  });

  it('?mweb=1 means nothing to a desktop browser or inside WeChat', async () => {
    const order = await createOrder({ openid: BUYER });
    const url = `${await pageUrl(order.out_trade_no)}&mweb=1`;
    expect(modeOf(await (await get(url, { 'User-Agent': DESKTOP_CHROME })).text())).toBe('NATIVE');
    expect(modeOf(await (await get(url)).text())).toBe('JSAPI');
  });

  it('inside WeChat: the JSAPI page as before (pay sheet in the sandbox, no-referrer)', async () => {
    const order = await createOrder({ openid: BUYER });
    const res = await get(await pageUrl(order.out_trade_no));
    const body = await res.text();
    expect(modeOf(body)).toBe('JSAPI');
    expect(scriptsOf(body)).toEqual(['/sandbox/pay-sheet.js', '/assets/checkout.js']);
    expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
  });

  it('a paid order is the paid page for every browser', async () => {
    const order = await createOrder({});
    await env.DB.prepare(`UPDATE orders SET status = 'PAID' WHERE out_trade_no = ?1`).bind(order.out_trade_no).run();
    for (const ua of [DESKTOP_CHROME, IPHONE_SAFARI]) {
      for (const suffix of ['', '&mweb=1']) {
        const body = await (await get(`${await pageUrl(order.out_trade_no)}${suffix}`, { 'User-Agent': ua })).text();
        expect(body).toContain('<h1>已支付</h1>');
        expect(body).not.toContain('<script');
      }
    }
  });

  it('NATIVE, MWEB and MWEB_RETURN pages keep the nonce CSP, nosniff, no-store and no framing, with nothing inline', async () => {
    const order = await createOrder({});
    const url = await pageUrl(order.out_trade_no);
    for (const [ua, path] of [
      [DESKTOP_CHROME, url],
      [IPHONE_SAFARI, url],
      [IPHONE_SAFARI, `${url}&mweb=1`],
    ] as const) {
      const { body } = await expectHardenedPage(await get(path, { 'User-Agent': ua }));
      for (const secret of [env.WECHAT_API_KEY!, env.WECHAT_APP_SECRET!, env.MERCHANT_API_TOKEN!, SECRET]) expect(body).not.toContain(secret);
    }
  });
});

describe('the page script', () => {
  it('one script for every mode: the attempt from POST …/payments, the QR code as an image, nothing parsed as HTML', async () => {
    const js = await (await get('/assets/checkout.js')).text();
    expect(() => new Function(js)).not.toThrow();
    for (const mode of ['NATIVE', 'MWEB', 'MWEB_RETURN']) expect(js).toContain(`pageMode === '${mode}'`);
    expect(js).toContain("'/pay/' + orderPath + '/payments'");
    expect(js).toContain("'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(body.qr_svg)");
    expect(js).toContain("history.replaceState(null, '', returnUrl())");
    expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });
});

describe('live mode outside WeChat', () => {
  async function liveUrl() {
    const order = await createOrder({ openid: BUYER, total_fee: 500 });
    return `/pay/${order.out_trade_no}?t=${await makeCheckoutToken(LIVE.CHECKOUT_SECRET, order.out_trade_no)}`;
  }

  it('NATIVE and MWEB configured: the QR page on a desktop, the H5 page on a phone, never the simulator', async () => {
    const live = { ...LIVE, WECHAT_TRADE_TYPES: 'JSAPI,NATIVE,MWEB' };
    const url = await liveUrl();
    const desktop = await (await fetchWith(live, url, { 'User-Agent': DESKTOP_CHROME })).text();
    expect(modeOf(desktop)).toBe('NATIVE');
    expect(scriptsOf(desktop)).toEqual(['/assets/checkout.js']);
    expect(desktop).toContain('由微信支付提供安全保障');
    const phone = await fetchWith(live, url, { 'User-Agent': IPHONE_SAFARI });
    expect(modeOf(await phone.text())).toBe('MWEB');
    expect(phone.headers.get('Referrer-Policy')).toBe('strict-origin');
  });

  it('by default (JSAPI only) a phone browser is also asked to open the link in WeChat', async () => {
    const res = await fetchWith(LIVE, await liveUrl(), { 'User-Agent': IPHONE_SAFARI });
    const body = await res.text();
    expect(body).toContain('<h1>请在微信中打开</h1>');
    expect(body).not.toContain('<script');
  });
});
