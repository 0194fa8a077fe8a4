// The pay sheet (docs/wechatpay-v2.md §7): the script, and the server-side check of every
// getBrandWCPayRequest field exactly as WeChat makes it.
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { jsapiPayParams, signParams, type SignType } from '../../src/core';
import { advanceClock, APPID, BASE, callXml, KEY, newOutTradeNo, orderFields, pay, placeOrder, postJson } from '../support/sandbox-helpers';

async function params(signType: SignType = 'HMAC-SHA256', over: { prepayId?: string; paySignType?: SignType } = {}) {
  const prepayId = over.prepayId ?? (await placeOrder(newOutTradeNo(), {}, signType)).prepay_id!;
  const p = await jsapiPayParams(
    prepayId,
    { appId: APPID, key: KEY, signType: over.paySignType ?? signType },
    String(Math.floor(Date.now() / 1000)),
    'RIPb5Upk3ku7knU6',
  );
  return { prepayId, p: { ...p } as Record<string, unknown> };
}

async function check(body: unknown) {
  const res = await postJson('/sim/check-pay-params', body);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('GET /sandbox/pay-sheet.js', () => {
  it('defines WeixinJSBridge and fires WeixinJSBridgeReady, CSP-friendly', async () => {
    const res = await exports.default.fetch(`${BASE}/pay-sheet.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('application/javascript');
    const js = await res.text();
    expect(js).toContain('window.WeixinJSBridge = {');
    expect(js).toContain("'getBrandWCPayRequest'");
    expect(js).toContain("new Event('WeixinJSBridgeReady')");
    expect(js).toContain("'/sim/check-pay-params'");
    expect(js).toContain("'/sim/pay'");
    for (const banned of ['eval(', 'new Function', 'innerHTML', 'onclick', "setAttribute('style'", 'http://', 'https://']) expect(js).not.toContain(banned);
    // It parses as a script.
    expect(() => new Function(js)).not.toThrow();
  });
});

describe('POST /sandbox/sim/check-pay-params', () => {
  it.each(['MD5', 'HMAC-SHA256'] as const)('accepts correct %s params and returns what the sheet shows', async (signType) => {
    const { prepayId, p } = await params(signType);
    expect(await check(p)).toEqual({
      ok: true,
      merchant_name: '沙箱商户',
      body: '沙箱测试-商品',
      total_fee: 1999,
      amount: '19.99',
      prepay_id: prepayId,
      openid: expect.stringMatching(/^o/),
      payer: 'alice',
    });
  });

  it('rejects a wrong paySign with 支付验证签名失败, never echoing the expected one', async () => {
    const { p } = await params();
    const expected = p.paySign as string;
    const res = await check({ ...p, paySign: 'F'.repeat(64) });
    expect(res).toEqual({ ok: false, err_msg: 'get_brand_wcpay_request:fail', reason: 'PAYSIGN_MISMATCH', err_desc: '支付验证签名失败' });
    expect(JSON.stringify(res)).not.toContain(expected);
  });

  it.each([
    [
      'the unifiedorder sign reused as paySign',
      async (p: Record<string, unknown>) => ({ ...p, paySign: await signParams({ appid: APPID, prepay_id: 'x' }, KEY, 'HMAC-SHA256') }),
      'PAYSIGN_MISMATCH',
    ],
    [
      'timestamp in lowercase (wx.chooseWXPay style)',
      async (p: Record<string, unknown>) => {
        const { timeStamp, ...rest } = p;
        return { ...rest, timestamp: timeStamp };
      },
      'MISSING_PARAM',
    ],
    [
      'appid in lowercase',
      async (p: Record<string, unknown>) => {
        const { appId, ...rest } = p;
        return { ...rest, appid: appId };
      },
      'MISSING_PARAM',
    ],
    ['timeStamp as a number', async (p: Record<string, unknown>) => ({ ...p, timeStamp: Number(p.timeStamp) }), 'NOT_A_STRING'],
    ['timeStamp in milliseconds, re-signed', async (p: Record<string, unknown>) => resign({ ...p, timeStamp: 'x1700000000' }), 'BAD_TIMESTAMP'],
    ['another appId, re-signed', async (p: Record<string, unknown>) => resign({ ...p, appId: 'wx0000000000000001' }), 'APPID_MISMATCH'],
    [
      'package without prepay_id=, re-signed',
      async (p: Record<string, unknown>) => resign({ ...p, package: String(p.package).slice('prepay_id='.length) }),
      'BAD_PACKAGE',
    ],
    ['signType SHA1', async (p: Record<string, unknown>) => ({ ...p, signType: 'SHA1' }), 'BAD_SIGN_TYPE'],
    ['signType changed without re-signing', async (p: Record<string, unknown>) => ({ ...p, signType: 'MD5' }), 'PAYSIGN_MISMATCH'],
    [
      'an unknown prepay_id, re-signed',
      async (p: Record<string, unknown>) => resign({ ...p, package: 'prepay_id=wx20240101000000deadbeefdeadbeefdead' }),
      'PREPAY_NOT_FOUND',
    ],
    ['a missing paySign', async (p: Record<string, unknown>) => ({ ...p, paySign: '' }), 'MISSING_PARAM'],
  ])('rejects %s', async (_name, mutate, reason) => {
    const { p } = await params();
    const res = await check(await mutate(p));
    expect(res).toMatchObject({ ok: false, err_msg: 'get_brand_wcpay_request:fail', reason });
    expect(typeof res.err_desc).toBe('string');
  });

  it('rejects a signType that differs from the unifiedorder sign_type, even when paySign is right for it', async () => {
    const { p } = await params('HMAC-SHA256', { paySignType: 'MD5' });
    expect(await check(p)).toMatchObject({ ok: false, reason: 'SIGN_TYPE_MISMATCH' });
  });

  it('rejects a paid order and an expired prepay', async () => {
    const { prepayId, p } = await params();
    await pay(prepayId);
    expect(await check(p)).toMatchObject({ ok: false, reason: 'ORDER_PAID' });
    const fresh = await params();
    await advanceClock(2 * 3600_000);
    try {
      expect(await check(fresh.p)).toMatchObject({ ok: false, reason: 'PREPAY_EXPIRED' });
    } finally {
      await advanceClock(-2 * 3600_000);
    }
  });

  it('rejects a NATIVE prepay: only a JSAPI order opens in the bridge', async () => {
    const no = newOutTradeNo();
    const fields = orderFields(no, { trade_type: 'NATIVE', product_id: 'SKU-1' });
    delete fields.openid;
    const r = (await callXml('/pay/unifiedorder', fields, { signType: 'HMAC-SHA256' })).fields;
    const p = await jsapiPayParams(r.prepay_id!, { appId: APPID, key: KEY, signType: 'HMAC-SHA256' }, String(Math.floor(Date.now() / 1000)), 'n1');
    expect(await check(p)).toMatchObject({ ok: false, reason: 'TRADE_TYPE_MISMATCH' });
  });

  it('rejects a non-JSON body', async () => {
    const res = await exports.default.fetch(`${BASE}/sim/check-pay-params`, { method: 'POST', body: 'nope' });
    expect(await res.json()).toMatchObject({ ok: false, reason: 'BAD_REQUEST' });
  });
});

async function resign(p: Record<string, unknown>) {
  const fields = {
    appId: String(p.appId),
    timeStamp: String(p.timeStamp),
    nonceStr: String(p.nonceStr),
    package: String(p.package),
    signType: String(p.signType),
  };
  return { ...fields, paySign: await signParams(fields, KEY, fields.signType as SignType) };
}
