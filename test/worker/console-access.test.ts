// Cloudflare Access in front of /admin: RS256 JWTs checked with WebCrypto against a JWKS served by a
// stubbed fetch, from a key pair generated here. Good, bad signature, expired, wrong audience, wrong
// issuer, unknown key, and the JWKS cached per isolate (one fetch for many requests).
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { base64urlEncode } from '../../src/core';
import { createApp } from '../../src/worker/app';
import { clearAccessKeyCache, verifyAccessJwt } from '../../src/worker/console/access';

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

  it('a JWKS that cannot be fetched fails closed', async () => {
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response('down', { status: 503 }));
    expect((await get('/admin/login', { 'Cf-Access-Jwt-Assertion': await jwt(good()) })).status).toBe(403);
  });
});
