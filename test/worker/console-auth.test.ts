// The console's doors: login with ADMIN_TOKEN (a wrong one gets no session), the failed-login rate
// limit per client IP, CSRF on every state-changing form, logout revoking the session server-side,
// the page headers (nonce CSP without inline scripts, frame-ancestors 'none', no-store), and
// DOCUMENTED_EXAMPLE_SECRETS refusing the sandbox token in live mode.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { createApp } from '../../src/worker/compose/app';
import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/worker/platform/config';
import { ADMIN_TOKEN, adminGet, adminPage, adminPost, csrfOf, form, login, postForm, sessionCookieOf, setCookies } from '../support/console-helpers';
import { api } from '../support/orders-helpers';

/** Live settings that pass every rule but the one a test varies (CHECKOUT_SECRET is set per test). */
const LIVE_BASE = {
  ...env,
  WECHAT_MODE: 'live',
  PUBLIC_BASE_URL: 'https://pay.example.com',
  WECHAT_API_KEY: 'L'.repeat(32),
  WECHAT_APP_SECRET: 'live-app-secret-xxxxxxxx',
  MERCHANT_API_TOKEN: 'live-merchant-token-xxxxxxxxxxxx',
};

describe('console login', () => {
  it('/admin without a session redirects to the login form, which asks for the token', async () => {
    const res = await api('/admin', { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/admin/login');
    const page = await api('/admin/login');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('name="token"');
    expect(html).toContain('lang="zh-CN"');
  });

  it('a wrong token gets 401 and no session cookie; the right one a Secure, HttpOnly, SameSite=Strict 8 h cookie', async () => {
    const bad = await postForm('/admin/login', { operator: 'eve', token: `${ADMIN_TOKEN}x` }, { 'CF-Connecting-IP': '198.51.100.7' });
    expect(bad.status).toBe(401);
    expect(sessionCookieOf(bad)).toBeNull();
    expect(await bad.text()).toContain('访问令牌不正确');

    const good = await postForm('/admin/login', { operator: 'alice', token: ADMIN_TOKEN }, { 'CF-Connecting-IP': '198.51.100.8' });
    expect(good.status).toBe(303);
    const set = setCookies(good).find((s) => s.startsWith('wxpay_admin='))!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/Secure/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\/admin/);
    expect(set).toMatch(/Max-Age=28800/);
    const html = await adminPage('/admin', set.split(';')[0]!);
    expect(html).toContain('概览');
    expect(html).toContain('alice');
  });

  it('a forged or tampered cookie is no session', async () => {
    const cookie = await login();
    const tampered = cookie.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
    expect((await adminGet('/admin', tampered)).status).toBe(303);
    // The old signed format (id.expiry.mac) is not a session either.
    const id = cookie.slice('wxpay_admin='.length);
    expect((await adminGet('/admin', `wxpay_admin=${id}.${Math.floor(Date.now() / 1000) + 999_999}.${'A'.repeat(43)}`)).status).toBe(303);
    expect((await adminGet('/admin', `wxpay_admin=${'A'.repeat(43)}`)).status).toBe(303);
  });

  it('failed logins are rate-limited per client IP: the 6th attempt in a window is refused even with the right token', async () => {
    const ip = '203.0.113.77';
    for (let i = 0; i < 5; i++) {
      expect((await postForm('/admin/login', { operator: 'eve', token: `wrong-${i}` }, { 'CF-Connecting-IP': ip })).status).toBe(401);
    }
    const limited = await postForm('/admin/login', { operator: 'eve', token: ADMIN_TOKEN }, { 'CF-Connecting-IP': ip });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(sessionCookieOf(limited)).toBeNull();
    // Another address is not affected.
    expect((await postForm('/admin/login', { operator: 'ann', token: ADMIN_TOKEN }, { 'CF-Connecting-IP': '203.0.113.78' })).status).toBe(303);
    // Nothing of the attempts is kept but the counter, and the refused attempt did not add to it.
    const rows = await env.DB.prepare('SELECT * FROM admin_login_failures WHERE bucket = ?1').bind(`ip4:${ip}`).all();
    expect(rows.results).toEqual([expect.objectContaining({ bucket: `ip4:${ip}`, count: 5 })]);
  });

  it('a correct login gives its attempt back: a user who typed the token right is never locked out by their own logins', async () => {
    const ip = '203.0.113.90';
    for (let i = 0; i < 8; i++) expect((await postForm('/admin/login', { operator: 'ann', token: ADMIN_TOKEN }, { 'CF-Connecting-IP': ip })).status).toBe(303);
  });

  it('logout needs the CSRF token, ends the session server-side, and clears the cookie', async () => {
    const cookie = await login();
    const html = await adminPage('/admin', cookie);
    expect((await adminPost('/admin/logout', cookie, {})).status).toBe(403);
    expect((await adminPost('/admin/logout', cookie, { _csrf: 'x'.repeat(43) })).status).toBe(403);
    expect((await adminGet('/admin', cookie)).status).toBe(200);
    const out = await adminPost('/admin/logout', cookie, { _csrf: csrfOf(html) });
    expect(out.status).toBe(303);
    expect(out.headers.get('Location')).toBe('/admin/login');
    expect(setCookies(out).join()).toMatch(/wxpay_admin=;.*Max-Age=0/);
    // The old cookie, replayed, is no longer a session.
    expect((await adminGet('/admin', cookie)).status).toBe(303);
  });

  it('a cross-site POST is refused before the session is even looked at', async () => {
    const cookie = await login();
    const html = await adminPage('/admin', cookie);
    const res = await postForm('/admin/logout', { _csrf: csrfOf(html) }, { Cookie: cookie, Origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect((await adminGet('/admin', cookie)).status).toBe(200);
  });

  it('pages carry a nonce CSP with no inline script allowance, frame-ancestors none, and no-store', async () => {
    const cookie = await login();
    for (const path of ['/admin', '/admin/login', '/admin/orders', '/admin/refunds', '/admin/anomalies']) {
      const res = await adminGet(path, cookie);
      const csp = res.headers.get('Content-Security-Policy')!;
      expect(csp, path).toMatch(/script-src 'nonce-[^']+'/);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      expect(res.headers.get('X-Frame-Options')).toBe('DENY');
      const body = await res.text();
      expect(body).not.toMatch(/<script(?![^>]*nonce=)/);
      expect(body).not.toMatch(/ on[a-z]+="/);
      expect(body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    }
  });

  it('the sandbox ADMIN_TOKEN or a low-variety one is refused in live mode (the console answers 503; payments stay up); without ADMIN_TOKEN the console is off', async () => {
    const live = { ...LIVE_BASE, CHECKOUT_SECRET: 'Qm4vT8xK2pW6nZ0rB5cH9jL3sF7yD1gA' } as unknown as Env;
    const refused = parseConfig(live as unknown as Record<string, unknown>);
    expect(refused.ok && refused.config).toMatchObject({
      adminToken: null,
      adminTokenProblem: 'ADMIN_TOKEN is a documented example value and is refused in live mode',
    });
    const call = async (e: Env, path: string, init: RequestInit = {}) => {
      const ctx = createExecutionContext();
      const res = await createApp().fetch(new Request(`https://pay.example.com${path}`, init), e, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect((await call(live, '/admin/login')).status).toBe(503);
    const attempt = await call(live, '/admin/login', { method: 'POST', ...form({ operator: 'x', token: ADMIN_TOKEN }) });
    expect(attempt.status).toBe(503);
    expect(sessionCookieOf(attempt)).toBeNull();
    expect((await call(live, '/healthz')).status).toBe(200);

    const { ADMIN_TOKEN: _, ...withoutToken } = live as unknown as Record<string, unknown>;
    const off = parseConfig(withoutToken);
    expect(off.ok && off.config).toMatchObject({ adminToken: null, adminTokenProblem: null });
    expect((await call(withoutToken as unknown as Env, '/admin/login')).status).toBe(404);
    const strong = { ...live, ADMIN_TOKEN: 'Hs5kP9wQ2mV7bX1nT4zR8cL3yG6dJ0fE' } as unknown as Env;
    expect((await call(strong, '/admin/login')).status).toBe(200);

    // Low variety is refused like an example: the console is off, payments are not.
    const logged: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void logged.push(a.map(String).join(' ')));
    for (const weak of ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'adminadminadminadminadminadminadmin', 'Hs5kP9wQ2mV7bX1n']) {
      const e = { ...live, ADMIN_TOKEN: weak } as unknown as Env;
      const parsed = parseConfig(e as unknown as Record<string, unknown>);
      expect(parsed.ok && parsed.config.adminToken, weak).toBeNull();
      expect(parsed.ok && parsed.config.adminTokenProblem, weak).toMatch(/^ADMIN_TOKEN (is shorter than 24 characters|.*refused in live mode)$/);
      expect(parsed.ok && parsed.config.adminTokenProblem).not.toContain(weak);
      expect((await call(e, '/admin/login')).status).toBe(503);
      const order = await call(e, '/v1/orders', {
        method: 'POST',
        headers: { Authorization: `Bearer ${live.MERCHANT_API_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ description: 'live console off', total_fee: 1 }),
      });
      expect(order.status).toBe(201);
    }
    spy.mockRestore();
    expect(logged.filter((l) => l.includes('CONSOLE_CONFIG_INVALID') && l.includes('ADMIN_TOKEN'))).toHaveLength(3);
    for (const weak of ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'adminadminadminadminadminadminadmin']) expect(logged.join('\n')).not.toContain(weak);
  });

  it('a live CHECKOUT_SECRET that is a repeated word or too short is refused like an example; the problem names the variable only', () => {
    const base = LIVE_BASE;
    for (const weak of ['checkoutcheckoutcheckoutcheckout', 'x'.repeat(40), '0123456789abcdef0123456789abcdef']) {
      const parsed = parseConfig({ ...base, CHECKOUT_SECRET: weak } as unknown as Record<string, unknown>);
      expect(parsed.ok, weak).toBe(false);
      const problems = parsed.ok ? [] : parsed.problems;
      expect(problems.some((p) => p.startsWith('CHECKOUT_SECRET '))).toBe(true);
      expect(problems.join()).not.toContain(weak);
    }
    expect(parseConfig({ ...base, CHECKOUT_SECRET: 'Qm4vT8xK2pW6nZ0rB5cH9jL3sF7yD1gA' } as unknown as Record<string, unknown>).ok).toBe(true);
  });
});
