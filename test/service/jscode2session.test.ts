// BuyerIdentity.miniProgramOpenid (src/worker/wechat/oauth.ts, jscode2session): the URL it GETs, live
// and sandbox, and every way the answer is read — like the OAuth exchange (test/worker/checkout-oauth-exchange.test.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CodeExchange } from '../../src/worker/channel';
import { jscode2session, wechatIdentity } from '../../src/worker/wechat/oauth';
import { fakeConfig } from '../support/fakes';
import { LIVE_VARS } from '../support/live-vars';

const MINI = { WECHAT_MINIPROGRAM_APPID: 'wx1111111111111111', WECHAT_MINIPROGRAM_SECRET: 'fake-live-mini-program-secret-0001' };
const LIVE = {
  ...MINI,
  ...LIVE_VARS,
  WECHAT_TRADE_TYPES: 'JSAPI,MINIPROGRAM',
};

function answering(status: number, body: string) {
  const seen: string[] = [];
  const transport = async (url: string, init: RequestInit) => {
    seen.push(`${init.method} ${url}${init.signal instanceof AbortSignal ? '' : ' (no deadline!)'}`);
    return new Response(body, { status, headers: { 'Content-Type': 'application/json' } });
  };
  return { seen, transport };
}

const OPENID = 'oMINIbuyer0000000000000001';
const SESSION = `{"openid":"${OPENID}","session_key":"tiihtNczf5v6AKRyjwEUhQ==","unionid":"oUNION0000000000000000000001"}`;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('jscode2session', () => {
  it("live: a GET to api.weixin.qq.com with the mini-program's appid and secret, the code and grant_type; the session_key stays here", async () => {
    const { seen, transport } = answering(200, SESSION);
    const answer = await jscode2session(transport, fakeConfig(LIVE), 'CODE&x=1');
    expect(answer).toEqual({ ok: true, openid: OPENID, snapshotUser: false });
    expect(JSON.stringify(answer)).not.toContain('tiihtNczf5v6AKRyjwEUhQ==');
    expect(seen).toEqual([
      'GET https://api.weixin.qq.com/sns/jscode2session?appid=wx1111111111111111&secret=fake-live-mini-program-secret-0001&js_code=CODE%26x%3D1&grant_type=authorization_code',
    ]);
  });

  it("sandbox: the simulator under PUBLIC_BASE_URL, with the sandbox's test mini-program", async () => {
    const { seen, transport } = answering(200, SESSION);
    expect(await jscode2session(transport, fakeConfig(), 'CODE')).toEqual({ ok: true, openid: OPENID, snapshotUser: false });
    expect(seen).toEqual([
      'GET http://127.0.0.1:8787/sandbox/sns/jscode2session?appid=wx5a4db0c0de000001&secret=sandbox-mini-program-secret-not-for-live-use&js_code=CODE&grant_type=authorization_code',
    ]);
  });

  it('no mini-program (MINIPROGRAM not enabled) → UNAVAILABLE, nothing sent', async () => {
    const { seen, transport } = answering(200, SESSION);
    expect(await jscode2session(transport, fakeConfig({ ...LIVE, WECHAT_TRADE_TYPES: 'JSAPI' }), 'CODE')).toEqual({ ok: false, reason: 'UNAVAILABLE' });
    expect(await jscode2session(transport, fakeConfig({ WECHAT_TRADE_TYPES: 'JSAPI,NATIVE' }), 'CODE')).toEqual({ ok: false, reason: 'UNAVAILABLE' });
    expect(seen).toEqual([]);
  });

  const cases: Array<[string, number, string, CodeExchange]> = [
    ['40029 invalid code', 200, '{"errcode":40029,"errmsg":"invalid code"}', { ok: false, reason: 'CODE_REJECTED', errcode: 40029 }],
    ['40163 code been used', 200, '{"errcode":40163,"errmsg":"code been used"}', { ok: false, reason: 'CODE_REJECTED', errcode: 40163 }],
    ['45011 rate limit', 200, '{"errcode":45011,"errmsg":"api minute-quota reach limit"}', { ok: false, reason: 'REFUSED', errcode: 45011 }],
    ['40226 high-risk user blocked', 200, '{"errcode":40226,"errmsg":"high risk user"}', { ok: false, reason: 'REFUSED', errcode: 40226 }],
    ['40125 invalid appsecret', 200, '{"errcode":40125,"errmsg":"invalid appsecret"}', { ok: false, reason: 'REFUSED', errcode: 40125 }],
    ['-1 system busy', 200, '{"errcode":-1,"errmsg":"system error"}', { ok: false, reason: 'REFUSED', errcode: -1 }],
    ['errcode 0 with an openid', 200, `{"errcode":0,"openid":"${OPENID}","session_key":"k"}`, { ok: true, openid: OPENID, snapshotUser: false }],
    ['no openid', 200, '{"session_key":"k"}', { ok: false, reason: 'UNAVAILABLE' }],
    ['an openid of 129 characters', 200, `{"openid":"${'o'.repeat(129)}"}`, { ok: false, reason: 'UNAVAILABLE' }],
    ['a numeric openid', 200, '{"openid":12345}', { ok: false, reason: 'UNAVAILABLE' }],
    ['not JSON', 200, '<html>busy</html>', { ok: false, reason: 'UNAVAILABLE' }],
    ['JSON null', 200, 'null', { ok: false, reason: 'UNAVAILABLE' }],
    ['HTTP 502', 502, SESSION, { ok: false, reason: 'UNAVAILABLE' }],
  ];
  it.each(cases)('%s', async (_name, status, body, expected) => {
    expect(await jscode2session(answering(status, body).transport, fakeConfig(LIVE), 'CODE')).toEqual(expected);
  });

  it('a transport failure (timeout, DNS) → UNAVAILABLE, never a throw', async () => {
    const failing = () => Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    expect(await jscode2session(failing, fakeConfig(LIVE), 'CODE')).toEqual({ ok: false, reason: 'UNAVAILABLE' });
  });

  it('is BuyerIdentity.miniProgramOpenid, and nothing it does prints the secret', async () => {
    const printed: unknown[] = [];
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, level).mockImplementation((...a) => void printed.push(...a));
    const config = fakeConfig(LIVE);
    for (const [, status, body] of cases) await wechatIdentity(answering(status, body).transport, config).miniProgramOpenid('CODE');
    await wechatIdentity(() => Promise.reject(new Error('boom')), config).miniProgramOpenid('CODE');
    expect(JSON.stringify(printed)).not.toContain(MINI.WECHAT_MINIPROGRAM_SECRET);
    const { transport } = answering(200, SESSION);
    expect(await wechatIdentity(transport, config).miniProgramOpenid('CODE')).toEqual({ ok: true, openid: OPENID, snapshotUser: false });
  });
});
