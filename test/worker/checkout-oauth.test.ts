// GET /oauth/callback against the simulator's OAuth: CSRF state, code exchange, 40163/40029 → one fresh round, snapshot users.
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { authorizeUrl, beginAuthorize } from '../../src/worker/checkout/http/oauth';
import { OAUTH_STATE_PRUNE_BATCH } from '../../src/worker/checkout/oauth-states-repo';
import { getConfig } from '../../src/worker/platform/config';
import { sha256Hex } from '../../src/core';
import { openidFor } from '../../src/sandbox/users';
import { authorizeVia, cookieFrom, get, localPath, pageUrl, pair, type AuthorizeRound } from '../support/checkout-helpers';
import { BASE, createOrder, orderRow } from '../support/orders-helpers';

const APPID = env.WECHAT_APPID!;

async function startRound(user = 'alice') {
  const order = await createOrder({});
  const url = await pageUrl(order.out_trade_no);
  const round = await authorizeVia(await get(url), user);
  return { order, url, round };
}

function callback(round: Pick<AuthorizeRound, 'callback'>, cookie?: string) {
  return get(round.callback, cookie ? { Cookie: cookie } : {});
}

function failedPage(body: string) {
  expect(body).toContain('<h1>微信授权失败</h1>');
}

describe('OAuth callback: success', () => {
  it('exchanges the code, sets a signed HttpOnly Secure SameSite=Lax short-lived session cookie, returns to the page', async () => {
    const { url, round } = await startRound('alice');
    expect(round.callback).toMatch(/^\/oauth\/callback\?code=[^&]+&state=[A-Za-z0-9]{32}$/);
    const res = await callback(round, round.stateCookie);
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe(BASE + url);
    const session = cookieFrom(res, 'wxpay_oid')!;
    expect(session).toMatch(new RegExp(`^wxpay_oid=${openidFor(APPID, 'alice')}\\.\\d+\\.[A-Za-z0-9_-]{43}; `));
    for (const flag of ['; Max-Age=1800', '; Path=/', '; HttpOnly', '; Secure', '; SameSite=Lax']) expect(session).toContain(flag);
    // Back on the page, the session is enough: no second OAuth round.
    const page = await get(url, { Cookie: pair(session) });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="pay"');
  });

  it('the session openid is the buyer the jsapi endpoint pays for (never an openid from the browser)', async () => {
    const { order, url, round } = await startRound('bob');
    const session = pair(cookieFrom(await callback(round, round.stateCookie), 'wxpay_oid')!);
    const token = new URL(url, BASE).searchParams.get('t')!;
    const res = await get(`/v1/orders/${order.out_trade_no}/jsapi`, {}); // GET is not the API
    expect(res.status).toBe(405);
    const jsapi = await (await import('../support/orders-helpers')).api(`/v1/orders/${order.out_trade_no}/jsapi`, {
      method: 'POST',
      headers: { 'X-Checkout-Token': token, Cookie: session },
    });
    expect(jsapi.status).toBe(200);
    expect(Object.keys(await jsapi.json()).sort()).toEqual(['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
    expect((await orderRow(order.out_trade_no))!.prepay_openid).toBe(openidFor(APPID, 'bob'));
  });
});

describe('OAuth callback: CSRF state', () => {
  it('no state cookie → 400, and the code is not even exchanged (it still works for the real browser)', async () => {
    const { round } = await startRound();
    const forged = await callback(round);
    expect(forged.status).toBe(400);
    failedPage(await forged.text());
    expect(cookieFrom(forged, 'wxpay_oid')).toBeUndefined();
    const real = await callback(round, round.stateCookie);
    expect(real.status).toBe(302);
    expect(cookieFrom(real, 'wxpay_oid')).toBeDefined();
  });

  it("another browser's state (a login-CSRF attempt) → 400, no session", async () => {
    const attacker = await startRound('carol');
    const victim = await startRound('alice');
    // The victim's browser carries its own state cookie but is sent the attacker's callback URL.
    const res = await callback(attacker.round, victim.round.stateCookie);
    expect(res.status).toBe(400);
    expect(cookieFrom(res, 'wxpay_oid')).toBeUndefined();
  });

  it('a tampered or expired state cookie → 400, no session', async () => {
    const { round } = await startRound();
    const [name, value] = round.stateCookie.split('=') as [string, string];
    const [state, r, no, exp, mac] = value.split('.') as [string, string, string, string, string];
    const config = getConfig(env);
    if (!config.ok) throw new Error('config');
    // Issued 11 minutes ago with the real module: past its 10-minute life.
    const stale = new Hono().get('/', async (c) => c.text(await beginAuthorize(c, config.config, no, 0, Date.now() - 11 * 60_000)));
    const staleRes = await stale.request('/');
    const staleState = new URL((await staleRes.text()).replace('#wechat_redirect', '')).searchParams.get('state')!;
    const cases: Array<[string, string]> = [
      [`${name}=${state}.1.${no}.${exp}.${mac}`, round.callback], // round flipped
      [`${name}=${state}.${r}.OTHER-ORDER-1.${exp}.${mac}`, round.callback], // order swapped
      [`${name}=${state}.${r}.${no}.${Number(exp) + 600}.${mac}`, round.callback], // life extended
      [`${name}=${state}.${r}.${no}.${exp}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, round.callback],
      [`${name}=${state}`, round.callback],
      [pair(staleRes.headers.get('Set-Cookie')!), round.callback.replace(/state=[A-Za-z0-9]+/, `state=${staleState}`)],
    ];
    for (const [cookie, path] of cases) {
      const res = await get(path, { Cookie: cookie });
      expect(res.status, cookie).toBe(400);
      expect(cookieFrom(res, 'wxpay_oid')).toBeUndefined();
    }
  });

  it('a missing code → 400', async () => {
    const { round } = await startRound();
    const res = await get(`/oauth/callback?state=${round.state}`, { Cookie: round.stateCookie });
    expect(res.status).toBe(400);
    expect(cookieFrom(res, 'wxpay_oid')).toBeUndefined();
  });
});

describe('OAuth callback: reused or invalid code', () => {
  /** A round whose code something else used first: WeChat answers our exchange with 40163. */
  async function retryAfterUsedCode() {
    const { url, round } = await startRound('alice');
    await spendCode(round);
    const retry = await callback(round, round.stateCookie);
    return { url, round, retry };
  }

  it('40163 (code already used) → exactly one fresh authorize round, which works with a fresh code', async () => {
    const { url, round, retry } = await retryAfterUsedCode();
    expect(retry.status).toBe(302);
    expect(retry.headers.get('Location')).toMatch(
      /^http:\/\/127\.0\.0\.1:8787\/sandbox\/connect\/oauth2\/authorize\?.*&scope=snsapi_base&state=[A-Za-z0-9]{32}#wechat_redirect$/,
    );
    expect(cookieFrom(retry, 'wxpay_oid')).toBeUndefined();
    expect(pair(cookieFrom(retry, 'wxpay_oauth')!)).toMatch(/^wxpay_oauth=[A-Za-z0-9]{32}\.1\./);
    expect(new URL(localState(retry)).searchParams.get('state')).not.toBe(round.state);

    const fresh = await authorizeVia(retry, 'alice');
    const ok = await callback(fresh, fresh.stateCookie);
    expect(ok.status).toBe(302);
    expect(ok.headers.get('Location')).toBe(BASE + url);
    expect(cookieFrom(ok, 'wxpay_oid')).toContain(openidFor(APPID, 'alice'));
  });

  it('a code rejected again in the fresh round → error page, not another redirect', async () => {
    const { round, retry } = await retryAfterUsedCode();
    const retryCookie = pair(cookieFrom(retry, 'wxpay_oauth')!);
    const retryState = new URL(localState(retry)).searchParams.get('state')!;
    const oldCode = new URL(round.callback, BASE).searchParams.get('code')!;
    const again = await get(`/oauth/callback?code=${encodeURIComponent(oldCode)}&state=${retryState}`, { Cookie: retryCookie });
    expect(again.status).toBe(502);
    expect(again.headers.get('Location')).toBeNull();
    failedPage(await again.text());
    expect(cookieFrom(again, 'wxpay_oauth')).toMatch(/Max-Age=0/); // the round is over
    expect(cookieFrom(again, 'wxpay_oid')).toBeUndefined();
  });

  it('40029 (invalid code) → one fresh round, then an error page', async () => {
    const { round } = await startRound();
    const bogus = round.callback.replace(/code=[^&]+/, 'code=not-a-real-code');
    const first = await get(bogus, { Cookie: round.stateCookie });
    expect(first.status).toBe(302);
    const retryCookie = pair(cookieFrom(first, 'wxpay_oauth')!);
    const retryState = new URL(localState(first)).searchParams.get('state')!;
    const second = await get(`/oauth/callback?code=not-a-real-code&state=${retryState}`, { Cookie: retryCookie });
    expect(second.status).toBe(502);
    failedPage(await second.text());
  });
});

describe('OAuth callback: a state is single-use', () => {
  it("replaying a finished round's state and cookie with a fresh code for another buyer → error page, no session", async () => {
    const { round } = await startRound('alice');
    const ok = await callback(round, round.stateCookie);
    expect(ok.status).toBe(302);
    expect(cookieFrom(ok, 'wxpay_oid')).toContain(openidFor(APPID, 'alice'));
    expect(cookieFrom(ok, 'wxpay_oauth')).toMatch(/Max-Age=0/); // the browser forgets the state

    // Someone who kept the state and its cookie gets a fresh code for bob and replays them.
    const replay = await callback(await callbackFor(round.state, 'bob'), round.stateCookie);
    expect(replay.status).toBe(400);
    failedPage(await replay.text());
    expect(cookieFrom(replay, 'wxpay_oid')).toBeUndefined();
    expect(replay.headers.get('Location')).toBeNull();
  });

  it('two concurrent callbacks with one state (codes for alice and bob) → exactly one session', async () => {
    const { round } = await startRound('alice');
    const bob = await callbackFor(round.state, 'bob');
    const results = await Promise.all([callback(round, round.stateCookie), callback(bob, round.stateCookie)]);
    expect(results.map((r) => r.status).sort()).toEqual([302, 400]);
    expect(results.map((r) => cookieFrom(r, 'wxpay_oid')).filter(Boolean)).toHaveLength(1);
  });

  it('keeps a hash of the spent state (never the state) until the state cookie expires, and prunes expired ones in bounded batches', async () => {
    const expired = new Date(Date.now() - 3600_000).toISOString();
    const stale = Array.from({ length: OAUTH_STATE_PRUNE_BATCH + 5 }, (_, i) => `stale-${String(i).padStart(58, '0')}`);
    await env.DB.batch(stale.map((h) => env.DB.prepare('INSERT INTO oauth_states_used (state_hash, expires_at) VALUES (?1, ?2)').bind(h, expired)));

    const { round } = await startRound('alice');
    const before = Date.now();
    expect((await callback(round, round.stateCookie)).status).toBe(302);

    const row = await env.DB.prepare('SELECT state_hash, expires_at FROM oauth_states_used WHERE state_hash = ?1')
      .bind(await sha256Hex(round.state))
      .first<{ expires_at: string }>();
    expect(row).not.toBeNull();
    // Kept as long as the state cookie could still be presented (10 minutes from the authorize).
    expect(Date.parse(row!.expires_at)).toBeGreaterThan(before + 9 * 60_000);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM oauth_states_used WHERE state_hash = ?1').bind(round.state).first('n')).toBe(0);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM oauth_states_used WHERE state_hash LIKE 'stale-%'").first('n');
    expect(left).toBe(5);
  });
});

describe('OAuth callback: snapshot users', () => {
  it('is_snapshotuser=1 → "请打开完整页面", no session, so the page asks again next time', async () => {
    const { url, round } = await startRound('snapshot');
    const res = await callback(round, round.stateCookie);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('<h1>请打开完整页面</h1>');
    expect(body).toContain('使用完整服务');
    expect(cookieFrom(res, 'wxpay_oid')).toBeUndefined();
    const page = await get(url);
    expect(page.status).toBe(302);
  });
});

/** The simulator's callback for `state` with a fresh code for `user`, as if its authorize page had been used again. */
async function callbackFor(state: string, user: string): Promise<Pick<AuthorizeRound, 'callback'>> {
  const config = getConfig(env);
  if (!config.ok) throw new Error('config');
  const picked = await get(`${localPath(authorizeUrl(config.config, state).replace('#wechat_redirect', ''))}&user=${user}`);
  expect(picked.status).toBe(302);
  return { callback: localPath(picked.headers.get('Location')!) };
}

/** Exchanges the round's code at the simulator directly, as if something else had used it first. */
async function spendCode(round: Pick<AuthorizeRound, 'callback'>): Promise<void> {
  const code = new URL(round.callback, BASE).searchParams.get('code')!;
  const query = new URLSearchParams({ appid: APPID, secret: env.WECHAT_APP_SECRET!, code, grant_type: 'authorization_code' });
  const res = await get(`/sandbox/sns/oauth2/access_token?${query}`);
  expect(await res.json()).toHaveProperty('openid');
}

function localState(res: Response): string {
  return res.headers.get('Location')!.replace('#wechat_redirect', '');
}
