// The mini-program (docs/wechatpay-v2.md §23.3): wx.login() codes (POST /sandbox/sim/js-code), code2Session
// (GET /sandbox/sns/jscode2session), openids per appid, unifiedorder JSAPI under the mini-program appid,
// and wx.requestPayment (POST /sandbox/sim/request-payment) with the JSAPI paySign under that appid.
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { jsapiPayParams, SANDBOX_MINI_PROGRAM_SECRET, type SignType } from '../../src/core';
import { openidFor } from '../../src/sandbox/users';
import {
  advanceClock,
  ALICE,
  APP_APPID,
  APPID,
  BASE,
  callXml,
  getJson,
  KEY,
  MINI_APPID,
  newOutTradeNo,
  ORIGIN,
  orderFields,
  postJson,
  received,
  setScenario,
} from '../support/sandbox-helpers';

async function jsCode(user: string): Promise<string> {
  const res = await postJson('/sim/js-code', { user });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { js_code: string; expires_in: number };
  expect(body.expires_in).toBe(300);
  return body.js_code;
}

async function session(params: Record<string, string>) {
  const q = new URLSearchParams({ appid: MINI_APPID, secret: SANDBOX_MINI_PROGRAM_SECRET, grant_type: 'authorization_code', ...params });
  const res = await exports.default.fetch(`${BASE}/sns/jscode2session?${q}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('GET /sandbox/sns/jscode2session', () => {
  it('exchanges a js_code for the openid under the mini-program appid, and a session_key', async () => {
    const code = await jsCode('alice');
    expect(code).toMatch(/^[A-Za-z0-9]{32}$/);
    const body = await session({ js_code: code });
    expect(body).toEqual({ openid: openidFor(MINI_APPID, 'alice'), session_key: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/) });
    // Per appid: not her 公众号 openid.
    expect(body.openid).not.toBe(ALICE);
  });

  it('a js_code is single use: 40163 code been used', async () => {
    const code = await jsCode('bob');
    expect((await session({ js_code: code })).openid).toBe(openidFor(MINI_APPID, 'bob'));
    expect(await session({ js_code: code })).toEqual({ errcode: 40163, errmsg: 'code been used' });
  });

  it('a js_code lives 5 minutes: then 40029 invalid code', async () => {
    const code = await jsCode('carol');
    await advanceClock(5 * 60_000);
    try {
      expect(await session({ js_code: code })).toEqual({ errcode: 40029, errmsg: 'invalid code' });
    } finally {
      await advanceClock(-5 * 60_000);
    }
  });

  it.each([
    ['a wrong secret', { secret: 'not-the-mini-program-secret' }, { errcode: 40125, errmsg: 'invalid appsecret' }],
    ['the 公众号 secret', { secret: 'sandbox-app-secret-not-for-live-use' }, { errcode: 40125, errmsg: 'invalid appsecret' }],
    ['the 公众号 appid', { appid: APPID }, { errcode: 40013, errmsg: 'invalid appid' }],
    ['the mobile app appid', { appid: APP_APPID }, { errcode: 40013, errmsg: 'invalid appid' }],
    ['a wrong grant_type', { grant_type: 'client_credential' }, { errcode: 40002, errmsg: 'invalid grant_type' }],
  ])('%s → %o, and the code is not consumed', async (_name, params, expected) => {
    const code = await jsCode('alice');
    expect(await session({ js_code: code, ...params })).toEqual(expected);
    expect((await session({ js_code: code })).openid).toBe(openidFor(MINI_APPID, 'alice'));
  });

  it('no js_code → 41008; an unknown one → 40029', async () => {
    expect(await session({})).toEqual({ errcode: 41008, errmsg: 'missing code' });
    expect(await session({ js_code: 'A'.repeat(32) })).toEqual({ errcode: 40029, errmsg: 'invalid code' });
  });

  it('codes do not cross: a 公众号 OAuth code is no js_code, and a js_code is no OAuth code', async () => {
    const authorize = new URLSearchParams({
      appid: APPID,
      redirect_uri: `${ORIGIN}/cb`,
      response_type: 'code',
      scope: 'snsapi_base',
      state: 's',
      user: 'alice',
    });
    const res = await exports.default.fetch(`${BASE}/connect/oauth2/authorize?${authorize}`, { redirect: 'manual' });
    const oauthCode = new URL(res.headers.get('Location')!).searchParams.get('code')!;
    expect(await session({ js_code: oauthCode })).toEqual({ errcode: 40029, errmsg: 'invalid code' });
    const code = await jsCode('alice');
    const q = new URLSearchParams({ appid: APPID, secret: 'sandbox-app-secret-not-for-live-use', code, grant_type: 'authorization_code' });
    expect(await (await exports.default.fetch(`${BASE}/sns/oauth2/access_token?${q}`)).json()).toEqual({ errcode: 40029, errmsg: 'invalid code' });
  });

  it('POST /sandbox/sim/js-code refuses a bad user name', async () => {
    expect((await postJson('/sim/js-code', { user: 'a b' })).status).toBe(400);
  });
});

describe('buyers per appid: /sandbox/sim/users', () => {
  it('lists and registers buyers under the mini-program appid; refuses an appid not bound to the merchant', async () => {
    const list = await getJson<{ appid: string; users: { name: string; openid: string }[] }>(`/sim/users?appid=${MINI_APPID}`);
    expect(list.appid).toBe(MINI_APPID);
    expect(list.users.find((u) => u.name === 'alice')!.openid).toBe(openidFor(MINI_APPID, 'alice'));
    const reg = await postJson('/sim/users', { name: 'mini_dave', appid: MINI_APPID });
    expect(await reg.json()).toEqual({ name: 'mini_dave', appid: MINI_APPID, openid: openidFor(MINI_APPID, 'mini_dave') });
    // Registered under the mini-program only: a buyer there, not under the 公众号.
    const jsapi = (openid: string, appid: string) => callXml('/pay/unifiedorder', orderFields(newOutTradeNo(), { appid, openid }));
    expect((await jsapi(openidFor(MINI_APPID, 'mini_dave'), MINI_APPID)).fields.result_code).toBe('SUCCESS');
    expect((await jsapi(openidFor(APPID, 'mini_dave'), APPID)).fields).toMatchObject({ err_code: 'PARAM_ERROR', err_code_des: 'appid和openid不匹配' });
    expect((await getJson<{ users: { name: string }[] }>('/sim/users')).users.map((u) => u.name)).not.toContain('mini_dave');
    expect((await postJson('/sim/users', { name: 'x', appid: 'wx0000000000000001' })).status).toBe(400);
  });
});

describe('POST /sandbox/sim/request-payment (wx.requestPayment)', () => {
  /** The whole mini-program flow up to the pay params: login, code2Session, unifiedorder under the mini-program appid. */
  async function miniOrder(user: string, signType: SignType = 'HMAC-SHA256') {
    const { openid } = (await session({ js_code: await jsCode(user) })) as { openid: string };
    const no = newOutTradeNo('MP');
    const r = (await callXml('/pay/unifiedorder', orderFields(no, { appid: MINI_APPID, openid }), { signType })).fields;
    expect(r).toMatchObject({ result_code: 'SUCCESS', appid: MINI_APPID, trade_type: 'JSAPI' });
    const params = await jsapiPayParams(r.prepay_id!, { appId: MINI_APPID, key: KEY, signType }, Math.floor(Date.now() / 1000), 'n0nce4mini');
    const { appId: _appId, ...wxParams } = params; // wx.requestPayment takes no appId
    return { no, openid, wxParams, params };
  }

  it.each(['MD5', 'HMAC-SHA256'] as const)('pays with the JSAPI paySign under the mini-program appid (%s); the notify names that appid', async (signType) => {
    const { no, openid, wxParams } = await miniOrder('alice', signType);
    const res = await postJson('/sim/request-payment', { ...wxParams, user: 'alice' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, errMsg: 'requestPayment:ok', out_trade_no: no, appid: MINI_APPID, trade_type: 'JSAPI', openid });
    expect(await received(no)).toEqual([expect.objectContaining({ appid: MINI_APPID, trade_type: 'JSAPI', openid })]);
  });

  it('refuses a wrong paySign, a paySign over the 公众号 appid, another buyer, and a cancel keeps it NOTPAY', async () => {
    const { no, wxParams } = await miniOrder('bob');
    const call = async (body: Record<string, unknown>) => {
      const res = await postJson('/sim/request-payment', body);
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    expect(await call({ ...wxParams, paySign: 'F'.repeat(64), user: 'bob' })).toMatchObject({
      status: 400,
      body: { ok: false, error: 'PAYSIGN_MISMATCH', errMsg: 'requestPayment:fail 支付验证签名失败' },
    });
    const underMp = await jsapiPayParams(
      wxParams.package.slice('prepay_id='.length),
      { appId: APPID, key: KEY, signType: 'HMAC-SHA256' },
      wxParams.timeStamp,
      'x1',
    );
    const { appId: _a, ...mpParams } = underMp;
    expect((await call({ ...mpParams, user: 'bob' })).body.error).toBe('PAYSIGN_MISMATCH');
    expect(await call({ ...wxParams, user: 'alice' })).toMatchObject({ status: 403, body: { error: 'OPENID_MISMATCH' } });
    await setScenario(no, { user_action: 'cancel' });
    expect(await call({ ...wxParams, user: 'bob' })).toMatchObject({ status: 200, body: { ok: false, errMsg: 'requestPayment:fail cancel' } });
    expect((await callXml('/pay/orderquery', { out_trade_no: no })).fields.trade_state).toBe('NOTPAY');
  });

  it('the 公众号 pay sheet refuses a mini-program order (its appId is not the 公众号’s)', async () => {
    const { params } = await miniOrder('carol');
    const res = await postJson('/sim/check-pay-params', params);
    expect(await res.json()).toMatchObject({ ok: false, reason: 'APPID_MISMATCH' });
  });
});
