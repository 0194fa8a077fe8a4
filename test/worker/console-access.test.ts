// Cloudflare Access in front of /admin: RS256 JWTs checked with WebCrypto against a JWKS served by a
// stubbed fetch, from a key pair generated here. Good, bad signature, expired, wrong audience, wrong
// issuer, unknown key, and the JWKS cached per isolate (one fetch for many requests).
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { base64urlEncode } from '../../src/core';
import { createApp } from '../../src/worker/compose/app';
import { parseConfig } from '../../src/worker/platform/config';
import { clearAccessKeyCache, verifyAccessJwt } from '../../src/worker/console/access';
import { login } from '../support/console-helpers';

const TEAM = 'https://wxpay-test.cloudflareaccess.com';
const AUD = 'a'.repeat(64);
const SETTINGS = { teamOrigin: TEAM, aud: AUD };

let key: CryptoKeyPair;
let other: CryptoKeyPair;
let jwks: { keys: JsonWebKey[] };

beforeAll(async () => {
  const gen = () =>
    crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, [
      'sign',
      'verify',
    ]) as Promise<CryptoKeyPair>;
  key = await gen();
  other = await gen();
  const pub = (await crypto.subtle.exportKey('jwk', key.publicKey)) as JsonWebKey;
  jwks = { keys: [{ ...pub, kid: 'k1', alg: 'RS256', use: 'sig' } as JsonWebKey] };
});

afterEach(() => {
  vi.restoreAllMocks();
  clearAccessKeyCache();
});

async function jwt(claims: Record<string, unknown>, opts: { kid?: string; signer?: CryptoKey; alg?: string } = {}): Promise<string> {
  const h = base64urlEncode(JSON.stringify({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? 'k1', typ: 'JWT' }));
  const p = base64urlEncode(JSON.stringify(claims));
  const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', opts.signer ?? key.privateKey, new TextEncoder().encode(`${h}.${p}`));
  return `${h}.${p}.${base64urlEncode(new Uint8Array(sig))}`;
}

const now = () => Math.floor(Date.now() / 1000);
const good = () => ({ aud: [AUD], iss: TEAM, email: 'ops@example.com', sub: 'u1', iat: now(), exp: now() + 600 });

function jwksFetcher() {
  const calls: string[] = [];
  const fetcher = async (url: string) => {
    calls.push(url);
    return new Response(JSON.stringify(jwks), { headers: { 'Content-Type': 'application/json' } });
  };
  return { calls, fetcher };
}

describe('Access JWT verification', () => {
  it('accepts a valid token and fetches the team JWKS once for many verifications', async () => {
    const { calls, fetcher } = jwksFetcher();
    for (let i = 0; i < 3; i++)
      expect(await verifyAccessJwt(await jwt(good()), SETTINGS, Date.now(), fetcher)).toEqual({ ok: true, email: 'ops@example.com', sub: 'u1' });
    expect(calls).toEqual([`${TEAM}/cdn-cgi/access/certs`]);
  });

  it('concurrent verifications that miss the cache share one key-set fetch (single flight)', async () => {
    const calls: string[] = [];
    const fetcher = async (url: string) => {
      calls.push(url);
      await new Promise((r) => setTimeout(r, 20));
      return new Response(JSON.stringify(jwks));
    };
    const token = await jwt(good());
    const verdicts = await Promise.all(Array.from({ length: 8 }, () => verifyAccessJwt(token, SETTINGS, Date.now(), fetcher)));
    expect(verdicts.every((v) => v.ok)).toBe(true);
    expect(calls).toHaveLength(1);
    // An unknown key after the refetch floor: again one fetch for many.
    const later = Date.now() + 60_000;
    const unknown = await jwt(good(), { kid: 'rotated' });
    await Promise.all(Array.from({ length: 5 }, () => verifyAccessJwt(unknown, SETTINGS, later, fetcher)));
    expect(calls).toHaveLength(2);
  });

  it('refuses a bad signature, an expired token, a wrong audience or issuer, another algorithm, an unknown key, garbage', async () => {
    const { fetcher } = jwksFetcher();
    const v = (t: string | undefined) => verifyAccessJwt(t, SETTINGS, Date.now(), fetcher);
    expect(await v(await jwt(good(), { signer: other.privateKey }))).toEqual({ ok: false, reason: 'signature' });
    expect(await v(await jwt({ ...good(), exp: now() - 120 }))).toEqual({ ok: false, reason: 'expired' });
    expect(await v(await jwt({ ...good(), aud: ['b'.repeat(64)] }))).toEqual({ ok: false, reason: 'audience' });
    expect(await v(await jwt({ ...good(), iss: 'https://evil.cloudflareaccess.com' }))).toEqual({ ok: false, reason: 'issuer' });
    expect(await v(await jwt({ ...good(), nbf: now() + 3600 }))).toEqual({ ok: false, reason: 'not yet valid' });
    expect(await v(await jwt(good(), { alg: 'HS256' }))).toEqual({ ok: false, reason: 'algorithm' });
    expect(await v(await jwt(good(), { kid: 'nope' }))).toEqual({ ok: false, reason: 'unknown key' });
    const [h, p] = (await jwt(good())).split('.');
    expect(await v(`${h}.${p}.`)).toEqual({ ok: false, reason: 'signature' });
    expect(await v(`${h}.${p}`)).toEqual({ ok: false, reason: 'malformed' });
    expect(await v(undefined)).toEqual({ ok: false, reason: 'missing' });
  });
});

describe('/admin behind Access', () => {
  const accessEnv = { ...env, ACCESS_TEAM_DOMAIN: 'wxpay-test.cloudflareaccess.com', ACCESS_AUD: AUD };

  async function get(path: string, headers: Record<string, string> = {}) {
    const ctx = createExecutionContext();
    const res = await createApp().fetch(new Request(`http://127.0.0.1:8787${path}`, { headers, redirect: 'manual' }), accessEnv, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  it('without a valid Cf-Access-Jwt-Assertion even the login form is 403; with one, the token login is next', async () => {
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
      expect(String(input instanceof Request ? input.url : input)).toBe(`${TEAM}/cdn-cgi/access/certs`);
      return new Response(JSON.stringify(jwks));
    });
    expect((await get('/admin/login')).status).toBe(403);
    expect((await get('/admin/login', { 'Cf-Access-Jwt-Assertion': await jwt({ ...good(), exp: now() - 300 }) })).status).toBe(403);
    expect((await get('/admin/login', { 'Cf-Access-Jwt-Assertion': await jwt({ ...good(), aud: 'x'.repeat(64) }) })).status).toBe(403);
    const ok = await get('/admin/login', { 'Cf-Access-Jwt-Assertion': await jwt(good()) });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('name="token"');
    // Access does not replace the token: /admin still wants a session.
    const res = await get('/admin', { 'Cf-Access-Jwt-Assertion': await jwt(good()) });
    expect(res.status).toBe(303);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  async function post(path: string, fields: Record<string, string>, headers: Record<string, string>) {
    const ctx = createExecutionContext();
    const res = await createApp().fetch(
      new Request(`http://127.0.0.1:8787${path}`, {
        method: 'POST',
        body: new URLSearchParams(fields).toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://127.0.0.1:8787', 'CF-Connecting-IP': '198.51.100.200', ...headers },
        redirect: 'manual',
      }),
      accessEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return res;
  }

  it('the operator is the Access identity, not the form field; the session is bound to that identity and ends when it changes', async () => {
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response(JSON.stringify(jwks)));
    const alice = { 'Cf-Access-Jwt-Assertion': await jwt(good()) };
    const form = await get('/admin/login', alice);
    const formHtml = await form.text();
    expect(formHtml).toContain('ops@example.com');
    expect(formHtml).not.toContain('name="operator"');
    const res = await post('/admin/login', { operator: 'mallory', token: env.ADMIN_TOKEN! }, alice);
    expect(res.status).toBe(303);
    const cookie = (res.headers as unknown as { getSetCookie(): string[] })
      .getSetCookie()
      .find((c) => c.startsWith('wxpay_admin='))!
      .split(';')[0]!;
    const page = await get('/admin', { ...alice, Cookie: cookie });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<span id="operator">ops@example.com</span>');
    expect(html).not.toContain('mallory');
    // Another Access identity presenting the same cookie: the session ends for good.
    const bob = { 'Cf-Access-Jwt-Assertion': await jwt({ ...good(), sub: 'u2', email: 'bob@example.com' }) };
    expect((await get('/admin', { ...bob, Cookie: cookie })).status).toBe(303);
    expect((await get('/admin', { ...alice, Cookie: cookie })).status).toBe(303);
  });

  it('a session opened without Access does not survive Access being turned on', async () => {
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response(JSON.stringify(jwks)));
    const plain = await login();
    expect((await get('/admin', { 'Cf-Access-Jwt-Assertion': await jwt(good()), Cookie: plain })).status).toBe(303);
  });

  it('ACCESS_TEAM_DOMAIN must be a team host under cloudflareaccess.com', () => {
    const withDomain = (d: string) => parseConfig({ ...env, ACCESS_TEAM_DOMAIN: d, ACCESS_AUD: AUD } as unknown as Record<string, unknown>);
    for (const good of ['wxpay-test.cloudflareaccess.com', 'https://wxpay-test.cloudflareaccess.com/', 'TEAM.CloudflareAccess.com']) {
      const r = withDomain(good);
      expect(r.ok && r.config.access?.teamOrigin, good).toBe(
        `https://${good
          .replace(/^https:\/\//, '')
          .replace(/\/$/, '')
          .toLowerCase()}`,
      );
    }
    for (const bad of [
      'evil.example.com',
      'wxpay-test.cloudflareaccess.com.evil.com',
      'cloudflareaccess.com',
      'a.b.cloudflareaccess.com',
      'evilcloudflareaccess.com',
      'http://wxpay-test.cloudflareaccess.com',
    ]) {
      const r = withDomain(bad);
      expect(r.ok, bad).toBe(false);
      expect(r.ok ? '' : r.problems.join(), bad).toContain('ACCESS_TEAM_DOMAIN must be <team>.cloudflareaccess.com');
    }
  });

  it('a JWKS that cannot be fetched fails closed', async () => {
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response('down', { status: 503 }));
    expect((await get('/admin/login', { 'Cf-Access-Jwt-Assertion': await jwt(good()) })).status).toBe(403);
  });
});
