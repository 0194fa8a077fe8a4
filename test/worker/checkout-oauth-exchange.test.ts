// exchangeCode against the live URL shape (no network here: a recording transport stands in for api.weixin.qq.com).
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { authorizeUrl } from '../../src/worker/checkout/http/oauth';
import { exchangeCode } from '../../src/worker/wechat/oauth';
import { parseConfig, type Config } from '../../src/worker/platform/config';
import { LIVE } from '../support/checkout-helpers';

function liveConfig(): Config {
  const parsed = parseConfig({ ...env, ...LIVE });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.config;
}

function answering(status: number, body: string) {
  const seen: string[] = [];
  const transport = async (url: string, init: RequestInit) => {
    seen.push(`${init.method} ${url}${init.signal instanceof AbortSignal ? '' : ' (no deadline!)'}`);
    return new Response(body, { status, headers: { 'Content-Type': 'application/json' } });
  };
  return { seen, transport };
}

describe('OAuth against live WeChat (URL shapes and answer handling)', () => {
  it('authorize goes to open.weixin.qq.com in the documented parameter order', () => {
    expect(authorizeUrl(liveConfig(), 'AbC123')).toBe(
      'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wxd930ea5d5a258f4f&redirect_uri=https%3A%2F%2Fpay.example.com%2Foauth%2Fcallback&response_type=code&scope=snsapi_base&state=AbC123#wechat_redirect',
    );
  });

  it('the code exchange is a GET to api.weixin.qq.com with appid, the AppSecret, the code and grant_type', async () => {
    const { seen, transport } = answering(
      200,
      '{"access_token":"AT","expires_in":7200,"refresh_token":"RT","openid":"oLIVEbuyer000000000000000001","scope":"snsapi_base"}',
    );
    expect(await exchangeCode(transport, liveConfig(), 'CODE&x=1')).toEqual({ ok: true, openid: 'oLIVEbuyer000000000000000001', snapshotUser: false });
    expect(seen).toEqual([
      'GET https://api.weixin.qq.com/sns/oauth2/access_token?appid=wxd930ea5d5a258f4f&secret=fake-live-app-secret-for-tests&code=CODE%26x%3D1&grant_type=authorization_code',
    ]);
  });

  const cases: Array<[string, number, string, unknown]> = [
    ['40163 code been used', 200, '{"errcode":40163,"errmsg":"code been used"}', { ok: false, reason: 'CODE_REJECTED', errcode: 40163 }],
    ['40029 invalid code', 200, '{"errcode":40029,"errmsg":"invalid code"}', { ok: false, reason: 'CODE_REJECTED', errcode: 40029 }],
    ['40125 invalid appsecret', 200, '{"errcode":40125,"errmsg":"invalid appsecret"}', { ok: false, reason: 'REFUSED', errcode: 40125 }],
    ['-1 system busy', 200, '{"errcode":-1,"errmsg":"system error"}', { ok: false, reason: 'REFUSED', errcode: -1 }],
    [
      'snapshot user (number)',
      200,
      '{"openid":"oSNAPuser0000000000000000001","is_snapshotuser":1}',
      { ok: true, openid: 'oSNAPuser0000000000000000001', snapshotUser: true },
    ],
    [
      'snapshot user (string)',
      200,
      '{"openid":"oSNAPuser0000000000000000001","is_snapshotuser":"1"}',
      { ok: true, openid: 'oSNAPuser0000000000000000001', snapshotUser: true },
    ],
    [
      'errcode 0 with an openid',
      200,
      '{"errcode":0,"openid":"oLIVEbuyer000000000000000001"}',
      { ok: true, openid: 'oLIVEbuyer000000000000000001', snapshotUser: false },
    ],
    ['no openid', 200, '{"access_token":"AT"}', { ok: false, reason: 'UNAVAILABLE' }],
    ['not JSON', 200, '<html>busy</html>', { ok: false, reason: 'UNAVAILABLE' }],
    ['JSON null', 200, 'null', { ok: false, reason: 'UNAVAILABLE' }],
    ['HTTP 502', 502, '{"openid":"oLIVEbuyer000000000000000001"}', { ok: false, reason: 'UNAVAILABLE' }],
  ];
  for (const [name, status, body, expected] of cases) {
    it(`${name} → ${JSON.stringify(expected)}`, async () => {
      expect(await exchangeCode(answering(status, body).transport, liveConfig(), 'CODE')).toEqual(expected);
    });
  }

  it('a transport failure (timeout, DNS) → UNAVAILABLE, never a throw', async () => {
    const failing = () => Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    expect(await exchangeCode(failing, liveConfig(), 'CODE')).toEqual({ ok: false, reason: 'UNAVAILABLE' });
  });
});
