// Helpers for the hosted-checkout tests: page fetches with cookies, CSP nonce extraction, session cookies.
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { expect } from 'vitest';
import { createApp } from '../../src/worker/compose/app';
import { makeCheckoutToken } from '../../src/worker/platform/checkout-link';
import { issueOauthSession } from '../../src/worker/platform/buyer-session';
import { api, BASE } from './orders-helpers';

export const SECRET = env.CHECKOUT_SECRET!;
export const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN';
export const PLAIN_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

export function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return api(path, { headers: { 'User-Agent': WECHAT_UA, ...headers }, redirect: 'manual' });
}

/** The `name=value` part of the Set-Cookie for `name`, or undefined. */
export function cookieFrom(res: Response, name: string): string | undefined {
  const all = (res.headers as unknown as { getSetCookie(): string[] }).getSetCookie();
  return all.find((c) => c.startsWith(`${name}=`));
}

export function pair(setCookie: string): string {
  return setCookie.split(';')[0]!;
}

/** A session cookie exactly as the OAuth callback issues it (through the real module). */
export async function sessionCookie(openid: string, nowMs = Date.now()): Promise<string> {
  const app = new Hono().get('/', async (c) => {
    await issueOauthSession(c, SECRET, openid, nowMs);
    return c.text('ok');
  });
  return pair((await app.request('/')).headers.get('Set-Cookie')!);
}

export async function pageUrl(outTradeNo: string): Promise<string> {
  return `/pay/${outTradeNo}?t=${await makeCheckoutToken(SECRET, outTradeNo)}`;
}

/** The nonce in the CSP header; asserts the policy's shape on the way. */
export function cspNonceOf(res: Response): string {
  const csp = res.headers.get('Content-Security-Policy') ?? '';
  const m = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp);
  expect(m, csp).not.toBeNull();
  return m![1]!;
}

/**
 * The hardening every checkout page has: the nonce CSP, nosniff, no-store, no framing, and nothing
 * inline (no handlers, no javascript: URLs, every script and style carrying this response's nonce).
 * Returns the body and the nonce for the caller's own checks.
 */
export async function expectHardenedPage(res: Response): Promise<{ body: string; nonce: string }> {
  const nonce = cspNonceOf(res);
  expect(res.headers.get('Content-Security-Policy')).toBe(
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  );
  expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
  expect(res.headers.get('Cache-Control')).toBe('no-store');
  expect(res.headers.get('X-Frame-Options')).toBe('DENY');
  const body = await res.text();
  expect(body).not.toMatch(/\son[a-z]+\s*=/i);
  expect(body).not.toMatch(/javascript:/i);
  for (const tag of body.matchAll(/<(script|style)\b[^>]*>/g)) expect(tag[0]).toContain(`nonce="${nonce}"`);
  return { body, nonce };
}

/** The page with this response's nonce blanked, for byte comparisons across responses. */
export function withoutNonce(body: string, nonce: string): string {
  return body.split(nonce).join('NONCE');
}

/** Runs the app with env overrides (e.g. live mode), the way the runtime would. */
export async function fetchWith(overrides: Record<string, string>, path: string, headers: Record<string, string> = {}): Promise<Response> {
  const app = createApp();
  const ctx = createExecutionContext();
  return app.fetch(new Request(BASE + path, { headers, redirect: 'manual' }), { ...env, ...overrides } as Env, ctx);
}

/** Obviously fake live secrets: live mode refuses the documented sandbox values. */
export { LIVE_VARS as LIVE } from './live-vars';

/** A path on our origin from an absolute URL, without the `#wechat_redirect` fragment. */
export function localPath(url: string): string {
  const u = new URL(url);
  expect(u.origin).toBe(BASE);
  return u.pathname + u.search;
}

export interface AuthorizeRound {
  /** `wxpay_oauth=…` as the browser would send it back. */
  stateCookie: string;
  state: string;
  /** Where the simulator's authorize page sends the browser: /oauth/callback?code=…&state=…. */
  callback: string;
}

/** Follows one authorize redirect through the simulator's pick-user page as `user`. */
export async function authorizeVia(redirect: Response, user: string): Promise<AuthorizeRound> {
  expect(redirect.status).toBe(302);
  const stateCookie = pair(cookieFrom(redirect, 'wxpay_oauth')!);
  const authorize = localPath(redirect.headers.get('Location')!);
  const state = new URL(authorize, BASE).searchParams.get('state')!;
  const picked = await api(`${authorize}&user=${user}`, { redirect: 'manual' });
  expect(picked.status).toBe(302);
  return { stateCookie, state, callback: localPath(picked.headers.get('Location')!) };
}
