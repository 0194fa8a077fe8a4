// OAuth snsapi_base as the simulator serves it (docs/wechatpay-v2.md §5): pick page, redirect with
// code and state, single-use 5-minute codes, and WeChat's error codes.
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { openidFor, TEST_USERS } from '../../src/sandbox/users';
import { advanceClock, APPID, BASE, newOutTradeNo, ORIGIN, placeOrder } from './helpers';

const SECRET = env.WECHAT_APP_SECRET!;
const REDIRECT = `${ORIGIN}/oauth/callback?o=1`;

function authorizeUrl(params: Record<string, string> = {}): string {
  const q = new URLSearchParams({ appid: APPID, redirect_uri: REDIRECT, response_type: 'code', scope: 'snsapi_base', state: 'st-123', ...params });
  return `${BASE}/connect/oauth2/authorize?${q}#wechat_redirect`;
}

async function codeFor(user: string): Promise<string> {
  const res = await exports.default.fetch(authorizeUrl({ user }), { redirect: 'manual' });
  expect(res.status).toBe(302);
  const loc = new URL(res.headers.get('Location')!);
  return loc.searchParams.get('code')!;
}

async function exchange(params: Record<string, string>) {
  const q = new URLSearchParams({ appid: APPID, secret: SECRET, grant_type: 'authorization_code', ...params });
  const res = await exports.default.fetch(`${BASE}/sns/oauth2/access_token?${q}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('authorize', () => {
  it('shows a pick page listing the test users with their openids; no script', async () => {
    const res = await exports.default.fetch(authorizeUrl());
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
    const html = await res.text();
    for (const u of TEST_USERS) {
      expect(html).toContain(`id="user-${u.name}"`);
      expect(html).toContain(openidFor(APPID, u.name));
    }
    expect(html).toContain('<form method="get"');
    expect(html).not.toContain('<script');
  });

  it('with &user= redirects to redirect_uri?code=…&state=…, keeping its query', async () => {
    const res = await exports.default.fetch(authorizeUrl({ user: 'alice' }), { redirect: 'manual' });
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get('Location')!);
    expect(loc.origin + loc.pathname).toBe(`${ORIGIN}/oauth/callback`);
    expect(loc.searchParams.get('o')).toBe('1');
    expect(loc.searchParams.get('state')).toBe('st-123');
    expect(loc.searchParams.get('code')).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it.each([
    ['another appid', { appid: 'wx0000000000000001' }, '40013'],
    ['a redirect_uri on another domain', { redirect_uri: 'https://evil.example/cb' }, '10003'],
    ['a redirect_uri that is not a URL', { redirect_uri: 'cb' }, '10003'],
    ['response_type=token', { response_type: 'token' }, '10004'],
    ['an unknown scope', { scope: 'snsapi_all' }, '10005'],
    ['a bad user name', { user: 'a b<c>' }, '10003'],
  ])('refuses %s', async (_name, params, code) => {
    const res = await exports.default.fetch(authorizeUrl(params), { redirect: 'manual' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain(code);
    expect(html).not.toContain('<c>');
  });
});

describe('sns/oauth2/access_token', () => {
  it('exchanges a code for the user openid under this appid', async () => {
    const body = await exchange({ code: await codeFor('alice') });
    expect(body).toMatchObject({ expires_in: 7200, openid: openidFor(APPID, 'alice'), scope: 'snsapi_base' });
    expect(body.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    expect(typeof body.access_token).toBe('string');
    expect(typeof body.refresh_token).toBe('string');
    expect(body).not.toHaveProperty('is_snapshotuser');
    expect(body).not.toHaveProperty('errcode');
  });

  it('reports is_snapshotuser=1 for the snapshot user', async () => {
    expect(await exchange({ code: await codeFor('snapshot') })).toMatchObject({ is_snapshotuser: 1, openid: openidFor(APPID, 'snapshot') });
  });

  it('a code is single-use: 40163 code been used', async () => {
    const code = await codeFor('bob');
    expect((await exchange({ code })).openid).toBe(openidFor(APPID, 'bob'));
    expect(await exchange({ code })).toEqual({ errcode: 40163, errmsg: 'code been used' });
  });

  it('a code expires after 5 minutes: 40029 invalid code', async () => {
    const code = await codeFor('carol');
    await advanceClock(5 * 60_000);
    try {
      expect(await exchange({ code })).toEqual({ errcode: 40029, errmsg: 'invalid code' });
    } finally {
      await advanceClock(-5 * 60_000);
    }
  });

  it.each([
    ['an unknown code', { code: 'A'.repeat(32) }, { errcode: 40029, errmsg: 'invalid code' }],
    ['a wrong secret', { secret: 'not-the-app-secret' }, { errcode: 40125, errmsg: 'invalid appsecret' }],
    ['another appid', { appid: 'wx0000000000000001' }, { errcode: 40013, errmsg: 'invalid appid' }],
    ['a wrong grant_type', { grant_type: 'client_credential' }, { errcode: 40002, errmsg: 'invalid grant_type' }],
  ])('%s', async (_name, params, expected) => {
    const code = await codeFor('alice');
    expect(await exchange({ code, ...params })).toEqual(expected);
    // The failed attempt did not consume the code.
    if (!('code' in params)) expect((await exchange({ code })).openid).toBe(openidFor(APPID, 'alice'));
  });

  it('a name typed on the pick page becomes a buyer of this appid', async () => {
    const body = await exchange({ code: await codeFor('erin-7') });
    expect(body.openid).toBe(openidFor(APPID, 'erin-7'));
    expect((await placeOrder(newOutTradeNo(), { openid: body.openid as string })).result_code).toBe('SUCCESS');
  });
});
