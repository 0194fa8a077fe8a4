// The buyer's pages for NATIVE (用微信扫一扫 on a code_url) and MWEB (the mweb_url opened outside
// WeChat, with the checks of docs/wechatpay-v2.md §23.2), and POST /sandbox/sim/pay by each handle.
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { openidFor } from '../../src/sandbox/users';
import {
  advanceClock,
  ALICE,
  APPID,
  BASE,
  callXml,
  getJson,
  MINI_APPID,
  newOutTradeNo,
  ORIGIN,
  orderFields,
  payBy,
  placeOrder,
  postJson,
  received,
  setScenario,
} from '../support/sandbox-helpers';

const SCENE = JSON.stringify({ h5_info: { type: 'Wap', wap_url: `${ORIGIN}/shop`, wap_name: '沙箱商城' } });
const BUYER_IP = '203.0.113.7'; // orderFields' spbill_create_ip
const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1';
const IN_WECHAT = `${SAFARI} MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN`;

async function nativeOrder(appid = APPID) {
  const no = newOutTradeNo('NAT');
  const fields = orderFields(no, { appid, trade_type: 'NATIVE', product_id: 'SKU-1' });
  delete fields.openid;
  const r = (await callXml('/pay/unifiedorder', fields)).fields;
  expect(r.result_code).toBe('SUCCESS');
  return { no, codeUrl: r.code_url!, prepayId: r.prepay_id! };
}

async function mwebOrder(over: Record<string, string> = {}) {
  const no = newOutTradeNo('H5');
  const fields = orderFields(no, { trade_type: 'MWEB', scene_info: SCENE, ...over });
  delete fields.openid;
  const r = (await callXml('/pay/unifiedorder', fields)).fields;
  expect(r.result_code).toBe('SUCCESS');
  return { no, mwebUrl: r.mweb_url!, prepayId: r.prepay_id! };
}

const get = (url: string, headers: Record<string, string> = {}) => exports.default.fetch(url, { headers, redirect: 'manual' });
const postForm = (path: string, form: Record<string, string>) =>
  exports.default.fetch(`${BASE}${path}`, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });

/** The refusal a page shows: its HTTP status, data-reason and text. */
async function refusal(res: Response) {
  const html = await res.text();
  const m = /id="pay-error" data-reason="([A-Z_]+)">([^<]*)</.exec(html);
  return { status: res.status, reason: m?.[1], text: m?.[2] };
}

const result = async (res: Response) => /id="pay-result" data-result="([A-Z]+)"/.exec(await res.text())?.[1];

const tradeState = async (no: string) => (await callXml('/pay/orderquery', { out_trade_no: no })).fields;

describe('NATIVE: GET /sandbox/scan?code_url=…', () => {
  it('shows the order and the test users under the order’s appid; no script', async () => {
    const { codeUrl } = await nativeOrder(MINI_APPID);
    const res = await get(`${BASE}/scan?code_url=${encodeURIComponent(codeUrl)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('沙箱商户');
    expect(html).toContain('¥19.99');
    expect(html).toContain('id="user-alice"');
    expect(html).toContain(openidFor(MINI_APPID, 'alice'));
    expect(html).not.toContain(ALICE);
    expect(html).not.toContain('<script');
  });

  it('POST /sandbox/scan pays as the picked user, and the notify is delivered', async () => {
    const { no, codeUrl } = await nativeOrder();
    const res = await postForm('/scan', { code_url: codeUrl, user: 'bob' });
    expect(res.status).toBe(200);
    expect(await result(res)).toBe('SUCCESS');
    expect(await tradeState(no)).toMatchObject({ trade_state: 'SUCCESS', trade_type: 'NATIVE', openid: openidFor(APPID, 'bob') });
    expect(await received(no)).toEqual([expect.objectContaining({ out_trade_no: no, trade_type: 'NATIVE', openid: openidFor(APPID, 'bob') })]);
    // Scanning a paid order's code again.
    expect(await refusal(await get(`${BASE}/scan?code_url=${encodeURIComponent(codeUrl)}`))).toEqual({
      status: 409,
      reason: 'ORDER_PAID',
      text: '该订单已支付',
    });
  });

  it('a name typed on the page becomes a buyer of the order’s appid', async () => {
    const { no, codeUrl } = await nativeOrder(MINI_APPID);
    expect(await result(await postForm('/scan', { code_url: codeUrl, user: 'zoe_9' }))).toBe('SUCCESS');
    expect((await tradeState(no)).openid).toBe(openidFor(MINI_APPID, 'zoe_9'));
  });

  it('refuses an unknown, a malformed and an expired code_url', async () => {
    expect(await refusal(await get(`${BASE}/scan?code_url=${encodeURIComponent('weixin://wxpay/bizpayurl?pr=Unknown0000')}`))).toEqual({
      status: 404,
      reason: 'PREPAY_NOT_FOUND',
      text: '订单不存在',
    });
    expect((await refusal(await get(`${BASE}/scan?code_url=https%3A%2F%2Fevil.example%2F`))).reason).toBe('CODE_URL_INVALID');
    const { no, codeUrl } = await nativeOrder();
    await advanceClock(2 * 3600_000);
    try {
      expect(await refusal(await get(`${BASE}/scan?code_url=${encodeURIComponent(codeUrl)}`))).toMatchObject({ status: 409, reason: 'PREPAY_EXPIRED' });
      expect((await refusal(await postForm('/scan', { code_url: codeUrl, user: 'alice' }))).reason).toBe('PREPAY_EXPIRED');
    } finally {
      await advanceClock(-2 * 3600_000);
    }
    expect((await tradeState(no)).trade_state).toBe('NOTPAY');
  });

  it('follows the scenario: the buyer cancels, the order stays NOTPAY', async () => {
    const { no, codeUrl } = await nativeOrder();
    await setScenario(no, { user_action: 'cancel' });
    expect(await result(await postForm('/scan', { code_url: codeUrl, user: 'alice' }))).toBe('CANCEL');
    expect((await tradeState(no)).trade_state).toBe('NOTPAY');
  });
});

describe('MWEB: GET /sandbox/mweb (the mweb_url), WeChat’s checks', () => {
  const good = { Referer: `${ORIGIN}/shop/cart`, 'CF-Connecting-IP': BUYER_IP, 'User-Agent': SAFARI };

  it('passes the checks: the order and the test users', async () => {
    const { mwebUrl } = await mwebOrder();
    const res = await get(mwebUrl, good);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('¥19.99');
    expect(html).toContain('id="user-alice"');
    expect(html).toContain('action="/sandbox/mweb/pay"');
  });

  it.each([
    ['no Referer', { Referer: '' }, '', 403, 'REFERER_MISSING', '商家参数格式有误，请联系商家解决'],
    [
      'a Referer off the authorised H5 domain',
      { Referer: 'https://evil.example/cart' },
      '',
      403,
      'DOMAIN_NOT_AUTHORISED',
      '商家存在未配置的参数，请联系商家解决',
    ],
    [
      'a redirect_url off the authorised H5 domain',
      {},
      `&redirect_url=${encodeURIComponent('https://evil.example/done')}`,
      403,
      'DOMAIN_NOT_AUTHORISED',
      '商家存在未配置的参数，请联系商家解决',
    ],
    ['another client IP', { 'CF-Connecting-IP': '198.51.100.1' }, '', 403, 'IP_MISMATCH', '网络环境未能通过安全验证，请稍后再试'],
    [
      'no CF-Connecting-IP (127.0.0.1) for an order placed from 203.0.113.7',
      { 'CF-Connecting-IP': '' },
      '',
      403,
      'IP_MISMATCH',
      '网络环境未能通过安全验证，请稍后再试',
    ],
    ['WeChat’s browser', { 'User-Agent': IN_WECHAT }, '', 403, 'IN_WECHAT', '请在微信外打开订单，进行支付'],
  ])('%s → refused, the order stays NOTPAY', async (_name, headers, suffix, status, reason, text) => {
    const { no, mwebUrl } = await mwebOrder();
    const h: Record<string, string> = { ...good, ...headers };
    for (const [k, v] of Object.entries(h)) if (v === '') delete h[k];
    expect(await refusal(await get(mwebUrl + suffix, h))).toEqual({ status, reason, text });
    expect((await tradeState(no)).trade_state).toBe('NOTPAY');
  });

  it('an mweb_url older than 5 minutes → 支付请求已失效，请重新发起支付; a fresh unifiedorder gives a new one', async () => {
    const { no, mwebUrl } = await mwebOrder();
    await advanceClock(5 * 60_000);
    try {
      expect(await refusal(await get(mwebUrl, good))).toEqual({ status: 410, reason: 'EXPIRED', text: '支付请求已失效，请重新发起支付' });
      const stale = await payBy({ mweb_url: mwebUrl }, ALICE);
      expect([stale.status, stale.body.error, stale.body.err_desc]).toEqual([409, 'MWEB_URL_EXPIRED', '支付请求已失效，请重新发起支付']);
      const fields = orderFields(no, { trade_type: 'MWEB', scene_info: SCENE });
      delete fields.openid;
      const again = (await callXml('/pay/unifiedorder', fields)).fields;
      expect(again.mweb_url).not.toBe(mwebUrl);
      expect((await get(again.mweb_url!, good)).status).toBe(200);
    } finally {
      await advanceClock(-5 * 60_000);
    }
  });

  it('parameters the simulator never issued → 商家参数格式有误，请联系商家解决', async () => {
    const { prepayId } = await mwebOrder();
    expect(await refusal(await get(`${BASE}/mweb?prepay_id=${prepayId}&package=1234567890`, good))).toMatchObject({ reason: 'PARAMS_INVALID' });
  });

  it('locally, without CF-Connecting-IP, the caller is 127.0.0.1', async () => {
    const { mwebUrl } = await mwebOrder({ spbill_create_ip: '127.0.0.1' });
    expect((await get(mwebUrl, { Referer: `${ORIGIN}/shop` })).status).toBe(200);
  });

  it('pays as the picked user, then returns to redirect_url; the notify is delivered', async () => {
    const { no, prepayId, mwebUrl } = await mwebOrder();
    const redirect = `${ORIGIN}/shop/paid?order=${no}`;
    expect((await get(`${mwebUrl}&redirect_url=${encodeURIComponent(redirect)}`, good)).status).toBe(200);
    const pkg = new URL(mwebUrl).searchParams.get('package')!;
    const res = await postForm('/mweb/pay', { prepay_id: prepayId, package: pkg, redirect_url: redirect, user: 'carol' });
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe(redirect);
    expect(await tradeState(no)).toMatchObject({ trade_state: 'SUCCESS', trade_type: 'MWEB', openid: openidFor(APPID, 'carol') });
    expect(await received(no)).toEqual([expect.objectContaining({ trade_type: 'MWEB', openid: openidFor(APPID, 'carol') })]);
    // The same mweb_url again: the order is paid.
    expect((await refusal(await get(mwebUrl, good))).reason).toBe('ORDER_PAID');
  });

  it('without redirect_url it shows the result; a redirect_url off the H5 domain is refused at payment too', async () => {
    const { no, prepayId, mwebUrl } = await mwebOrder();
    const pkg = new URL(mwebUrl).searchParams.get('package')!;
    expect(
      (await refusal(await postForm('/mweb/pay', { prepay_id: prepayId, package: pkg, redirect_url: 'https://evil.example/', user: 'alice' }))).reason,
    ).toBe('DOMAIN_NOT_AUTHORISED');
    expect((await tradeState(no)).trade_state).toBe('NOTPAY');
    expect(await result(await postForm('/mweb/pay', { prepay_id: prepayId, package: pkg, user: 'alice' }))).toBe('SUCCESS');
  });
});

describe('POST /sandbox/sim/pay by prepay_id, code_url or mweb_url', () => {
  it('pays each kind of handle as a buyer under the order’s appid', async () => {
    const jsapi = newOutTradeNo();
    const p = await placeOrder(jsapi);
    expect((await payBy({ prepay_id: p.prepay_id! }, ALICE)).body).toMatchObject({ ok: true, trade_type: 'JSAPI', appid: APPID, openid: ALICE });
    const nat = await nativeOrder(MINI_APPID);
    expect((await payBy({ code_url: nat.codeUrl }, openidFor(MINI_APPID, 'bob'))).body).toMatchObject({
      ok: true,
      out_trade_no: nat.no,
      trade_type: 'NATIVE',
      appid: MINI_APPID,
      notify: { state: 'acknowledged', attempts: 1 },
    });
    const h5 = await mwebOrder();
    expect((await payBy({ mweb_url: h5.mwebUrl }, openidFor(APPID, 'carol'))).body).toMatchObject({ ok: true, out_trade_no: h5.no, trade_type: 'MWEB' });
    expect(await getJson(`/sim/orders/${h5.no}`)).toMatchObject({
      trade_state: 'SUCCESS',
      trade_type: 'MWEB',
      appid: APPID,
      openid: openidFor(APPID, 'carol'),
    });
  });

  it('refuses a payer who is not a buyer under the order’s appid, and unknown handles', async () => {
    const nat = await nativeOrder();
    expect((await payBy({ code_url: nat.codeUrl }, 'oNotAUserOfThisAppid000000000')).body.error).toBe('OPENID_MISMATCH');
    expect((await payBy({ code_url: nat.codeUrl }, openidFor(MINI_APPID, 'alice'))).status).toBe(403);
    expect((await payBy({ code_url: 'weixin://wxpay/bizpayurl?pr=Nope0000000' }, ALICE)).status).toBe(404);
    expect((await payBy({ mweb_url: `${BASE}/mweb?prepay_id=${nat.prepayId}&package=1000000000` }, ALICE)).body.error).toBe('PREPAY_NOT_FOUND');
  });

  it.each([
    ['no handle', { openid: ALICE }],
    ['two handles', { prepay_id: 'wx1', code_url: 'weixin://wxpay/bizpayurl?pr=x', openid: ALICE }],
    ['an mweb_url that is not one', { mweb_url: 'https://example.com/pay', openid: ALICE }],
    ['no openid', { prepay_id: 'wx1' }],
  ])('400 for %s', async (_name, body) => {
    const res = await postJson('/sim/pay', body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ ok: false, error: 'BAD_REQUEST' });
  });
});
