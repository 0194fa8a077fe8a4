// APP payments (docs/wechatpay-v2.md §23.4): unifiedorder under the mobile app appid, then the OpenSDK PayReq
// built by the core's appPayParams, verified by POST /sandbox/sim/app-pay as WeChat verifies it.
import { describe, expect, it } from 'vitest';
import { appPayParams, jsapiPayParams, signParams, type SignType } from '../../src/core';
import { openidFor } from '../../src/sandbox/users';
import {
  APP_APPID,
  APPID,
  callXml,
  getJson,
  KEY,
  MCHID,
  newOutTradeNo,
  orderFields,
  placeOrder,
  postJson,
  received,
  setScenario,
} from '../support/sandbox-helpers';

async function appOrder(signType: SignType = 'HMAC-SHA256') {
  const no = newOutTradeNo('APP');
  const fields = orderFields(no, { appid: APP_APPID, trade_type: 'APP' });
  delete fields.openid;
  const r = (await callXml('/pay/unifiedorder', fields, { signType })).fields;
  expect(r).toMatchObject({ result_code: 'SUCCESS', appid: APP_APPID, trade_type: 'APP' });
  const payReq = await appPayParams(r.prepay_id!, { appId: APP_APPID, mchId: MCHID, key: KEY, signType }, Math.floor(Date.now() / 1000), 'appNonce01');
  return { no, prepayId: r.prepay_id!, payReq: { ...payReq } as Record<string, unknown> };
}

async function appPay(body: Record<string, unknown>) {
  const res = await postJson('/sim/app-pay', body);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** Re-signs the six PayReq fields after a change, so only the change itself is wrong. */
async function resigned(p: Record<string, unknown>, signType: SignType = 'HMAC-SHA256') {
  const six = {
    appid: String(p.appid),
    partnerid: String(p.partnerid),
    prepayid: String(p.prepayid),
    package: String(p.package),
    noncestr: String(p.noncestr),
    timestamp: String(p.timestamp),
  };
  return { ...six, sign: await signParams(six, KEY, signType) };
}

describe('POST /sandbox/sim/app-pay', () => {
  it.each(['MD5', 'HMAC-SHA256'] as const)('verifies the PayReq sign (%s) and pays as the user; the notify names the app appid', async (signType) => {
    const { no, payReq } = await appOrder(signType);
    const r = await appPay({ ...payReq, user: 'alice' });
    const payer = openidFor(APP_APPID, 'alice');
    expect(r).toMatchObject({ status: 200, body: { ok: true, errCode: 0, out_trade_no: no, trade_type: 'APP', appid: APP_APPID, openid: payer } });
    expect(r.body.notify).toMatchObject({ state: 'acknowledged' });
    expect(await received(no)).toEqual([expect.objectContaining({ appid: APP_APPID, trade_type: 'APP', openid: payer })]);
    expect(await appPay({ ...payReq, user: 'alice' })).toMatchObject({ status: 409, body: { errCode: -1, error: 'ORDER_PAID' } });
  });

  it('refuses a wrong sign, and a sign made with another sign type than the order’s; nothing is paid', async () => {
    const { no, payReq } = await appOrder('HMAC-SHA256');
    expect(await appPay({ ...payReq, sign: 'F'.repeat(64), user: 'alice' })).toEqual({
      status: 400,
      body: { ok: false, errCode: -1, error: 'SIGN_MISMATCH', err_desc: '支付验证签名失败' },
    });
    expect(await appPay({ ...(await resigned(payReq, 'MD5')), user: 'alice' })).toMatchObject({ status: 400, body: { error: 'SIGN_MISMATCH' } });
    // A field changed after signing.
    expect((await appPay({ ...payReq, noncestr: 'otherNonce', user: 'alice' })).body.error).toBe('SIGN_MISMATCH');
    expect(await getJson(`/sim/orders/${no}`)).toMatchObject({ trade_state: 'NOTPAY', trade_type: 'APP' });
  });

  it.each([
    ['partnerid other than mch_id', { partnerid: '1900000109' }, 'PARTNERID_MISMATCH'],
    ['package prepay_id=… (the JSAPI form)', { package: 'prepay_id=x' }, 'BAD_PACKAGE'],
    ['the 公众号 appid', { appid: APPID }, 'APPID_MISMATCH'],
    ['a millisecond timestamp', { timestamp: '1700000000000' }, 'BAD_TIMESTAMP'],
  ])('refuses %s (re-signed) with 400 %s', async (_name, change, error) => {
    const { payReq } = await appOrder();
    expect(await appPay({ ...(await resigned({ ...payReq, ...change })), user: 'alice' })).toMatchObject({
      status: 400,
      body: { ok: false, errCode: -1, error },
    });
  });

  it('refuses missing and non-string fields, an unknown prepayid, a JSAPI prepay, and no buyer', async () => {
    const { payReq } = await appOrder();
    expect((await appPay({ ...payReq, sign: '', user: 'alice' })).body.error).toBe('MISSING_PARAM');
    expect((await appPay({ ...payReq, timestamp: Number(payReq.timestamp), user: 'alice' })).body.error).toBe('NOT_A_STRING');
    expect((await appPay({ ...payReq })).body.error).toBe('BAD_REQUEST');
    expect(await appPay({ ...(await resigned({ ...payReq, prepayid: 'wx20240101000000deadbeefdeadbeefdead' })), user: 'alice' })).toMatchObject({
      status: 404,
      body: { error: 'PREPAY_NOT_FOUND' },
    });
    const jsapi = await placeOrder(newOutTradeNo(), {}, 'HMAC-SHA256');
    expect((await appPay({ ...(await resigned({ ...payReq, prepayid: jsapi.prepay_id })), user: 'alice' })).body.error).toBe('TRADE_TYPE_MISMATCH');
  });

  it('the scenario’s cancel answers errCode -2; the order stays NOTPAY', async () => {
    const { no, payReq } = await appOrder();
    await setScenario(no, { user_action: 'cancel' });
    expect(await appPay({ ...payReq, user: 'bob' })).toMatchObject({ status: 200, body: { ok: false, errCode: -2 } });
    expect(await getJson(`/sim/orders/${no}`)).toMatchObject({ trade_state: 'NOTPAY' });
  });

  it('an APP prepay cannot be opened by the 公众号 pay sheet', async () => {
    const { prepayId } = await appOrder();
    const params = await jsapiPayParams(prepayId, { appId: APPID, key: KEY, signType: 'HMAC-SHA256' }, Math.floor(Date.now() / 1000), 'x1');
    expect(await (await postJson('/sim/check-pay-params', params)).json()).toMatchObject({ ok: false, reason: 'APPID_MISMATCH' });
  });
});
