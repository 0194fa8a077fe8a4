// Console login limits (docs/console.md): failures counted per IPv4 address or IPv6 /64 on a sliding
// 15-minute window, a global budget across all addresses, a strict shared bucket for live requests
// without a usable CF-Connecting-IP, trusted devices immune to their NAT neighbours, refused attempts
// that write nothing, and every expired row pruned.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/worker/compose/app';
import { addressBucketKey } from '../../src/worker/console/client-address';
import { LOGIN_LIMITS, LOGIN_WINDOW_MS, secondsUntilUnder, windowsAt } from '../../src/worker/console/login-limit';
import { ADMIN_TOKEN, postForm, sessionCookieOf, setCookies } from '../support/console-helpers';

const attempt = (ip: string | null, token: string, cookie?: string) =>
  postForm('/admin/login', { operator: 'eve', token }, { ...(ip ? { 'CF-Connecting-IP': ip } : {}), ...(cookie ? { Cookie: cookie } : {}) });

const failures = async () =>
  (await env.DB.prepare('SELECT bucket, window_ms, count FROM admin_login_failures ORDER BY bucket, window_ms').all()).results as Array<{
    bucket: string;
    window_ms: number;
    count: number;
  }>;

beforeEach(() => env.DB.prepare('DELETE FROM admin_login_failures').run());
afterEach(async () => {
  vi.restoreAllMocks();
  await env.DB.prepare('DELETE FROM admin_login_failures').run();
});

describe('address buckets', () => {
  it('IPv4 per address, IPv6 per /64 whatever its spelling, IPv4-mapped as IPv4, garbage as none', () => {
    expect(addressBucketKey('203.0.113.7')).toBe('ip4:203.0.113.7');
    expect(addressBucketKey('2001:db8:1:2::1')).toBe('ip6:2001:db8:1:2::/64');
    expect(addressBucketKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('ip6:2001:db8:1:2::/64');
    expect(addressBucketKey('2001:db8:1:2:0:0:0:9')).toBe('ip6:2001:db8:1:2::/64');
    expect(addressBucketKey('2001:db8::')).toBe('ip6:2001:db8:0:0::/64');
    expect(addressBucketKey('::ffff:198.51.100.4')).toBe('ip4:198.51.100.4');
    expect(addressBucketKey('2001:db8:1:3::1')).not.toBe(addressBucketKey('2001:db8:1:2::1'));
    for (const bad of [
      undefined,
      '',
      'localhost',
      '1.2.3.256',
      '1.2.3',
      '01.2.3.4',
      '2001:db8::1::2',
      '2001:db8:1:2:3:4:5:6:7',
      'fe80::1%eth0',
      '1.2.3.4, 5.6.7.8',
    ]) {
      expect(addressBucketKey(bad), String(bad)).toBeNull();
    }
  });

  it('the wait is the time until the sliding window falls below the limit', () => {
    // 5 failures at the start of this window: only once it has passed do they start to weigh less.
    expect(secondsUntilUnder(5, 0, 0, 5)).toBe(LOGIN_WINDOW_MS / 1000 + 1);
    // 3 now and 8 before: the previous window must weigh less than a quarter (3 + 8 × 0.25 = 5).
    expect(secondsUntilUnder(3, 8, 0, 5)).toBe((LOGIN_WINDOW_MS / 1000) * 0.75 + 1);
    // 0 now, 5 in the previous window, half-way through: already under.
    expect(secondsUntilUnder(0, 5, LOGIN_WINDOW_MS / 2, 5)).toBe(1);
  });
});

describe('login limits', () => {
  it('six addresses of one IPv6 /64 share a budget: the 6th is refused, even with the right token; another /64 is not', async () => {
    for (let i = 1; i <= 5; i++) expect((await attempt(`2001:db8:aa:bb::${i}`, `wrong-${i}`)).status).toBe(401);
    const sixth = await attempt('2001:db8:aa:bb:ffff:1:2:3', ADMIN_TOKEN);
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(sessionCookieOf(sixth)).toBeNull();
    expect((await attempt('2001:db8:aa:bc::1', ADMIN_TOKEN)).status).toBe(303);
  });

  it('a full bucket writes nothing more: refused attempts leave the table as it was', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt('198.51.100.20', `wrong-${i}`)).status).toBe(401);
    const before = await failures();
    expect(before.find((r) => r.bucket === 'ip4:198.51.100.20')?.count).toBe(5);
    for (let i = 0; i < 10; i++) expect((await attempt('198.51.100.20', `wrong-again-${i}`)).status).toBe(429);
    expect(await failures()).toEqual(before);
  });

  // 200 requests: a generous timeout, so a busy machine cannot fail it.
  it('200 wrong logins from 200 unrelated addresses trip the global budget; then every login is refused and the operator is alerted once', {
    timeout: 60_000,
  }, async () => {
    const alerts: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void alerts.push(args.map(String).join(' ')));
    // Eight at a time (D1 still judges them one by one): exactly the budget gets through, the rest are refused.
    const statuses: number[] = [];
    for (let batch = 0; batch < 200; batch += 8) {
      const round = Array.from({ length: 8 }, (_, k) => batch + k).map((i) => attempt(`10.${i % 7}.${(i * 37) % 251}.${i % 250}`, `guess-${i}`));
      for (const res of await Promise.all(round)) statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_LIMITS.global);
    expect(statuses.filter((s) => s === 429)).toHaveLength(200 - LOGIN_LIMITS.global);
    // The right token from a fresh address is refused as well while the budget is spent.
    const fresh = await attempt('192.0.2.99', ADMIN_TOKEN);
    expect(fresh.status).toBe(429);
    expect(sessionCookieOf(fresh)).toBeNull();
    expect(alerts.filter((l) => l.includes('CONSOLE_LOGIN_LOCKDOWN'))).toHaveLength(1);
    expect((await failures()).find((r) => r.bucket === '*')?.count).toBe(LOGIN_LIMITS.global);
  });

  it('every expired row is pruned on the next attempt, whatever its address', async () => {
    const { previousMs } = windowsAt(Date.now());
    const stale = env.DB.prepare('INSERT INTO admin_login_failures (bucket, window_ms, count) VALUES (?1, ?2, ?3)');
    await env.DB.batch(Array.from({ length: 60 }, (_, i) => stale.bind(`ip4:10.9.${i}.1`, previousMs - LOGIN_WINDOW_MS * (1 + (i % 5)), 1 + (i % 5))));
    await env.DB.batch([stale.bind('ip4:10.9.99.1', previousMs, 2)]); // still inside the sliding window
    expect((await attempt('198.51.100.30', 'wrong')).status).toBe(401);
    const rows = await failures();
    expect(rows.filter((r) => r.window_ms < previousMs)).toEqual([]);
    expect(rows.map((r) => r.bucket).sort()).toEqual(['*', 'ip4:10.9.99.1', 'ip4:198.51.100.30']);
  });

  it('a browser that logged in before keeps its own budget: failures from its NAT neighbours do not lock it out', async () => {
    const nat = '203.0.113.150';
    const first = await attempt(nat, ADMIN_TOKEN);
    expect(first.status).toBe(303);
    const device = setCookies(first).find((s) => s.startsWith('wxpay_admin_device='))!;
    expect(device).toMatch(/HttpOnly/);
    expect(device).toMatch(/Secure/);
    expect(device).toMatch(/SameSite=Strict/);
    expect(device).toMatch(/Path=\/admin\/login/);
    const deviceCookie = device.split(';')[0]!;
    // Someone else behind the same address spends the address's budget.
    for (let i = 0; i < 5; i++) expect((await attempt(nat, `neighbour-${i}`)).status).toBe(401);
    expect((await attempt(nat, ADMIN_TOKEN)).status).toBe(429);
    // The operator's browser still gets in, and the device id is not reissued.
    const again = await attempt(nat, ADMIN_TOKEN, deviceCookie);
    expect(again.status).toBe(303);
    expect(setCookies(again).some((s) => s.startsWith('wxpay_admin_device='))).toBe(false);
    // The device's own guesses are limited like an address's.
    for (let i = 0; i < LOGIN_LIMITS.device; i++) expect((await attempt(nat, `typo-${i}`, deviceCookie)).status).toBe(401);
    expect((await attempt(nat, ADMIN_TOKEN, deviceCookie)).status).toBe(429);
    // A made-up device id is no device.
    expect((await attempt(nat, ADMIN_TOKEN, `wxpay_admin_device=${'A'.repeat(43)}`)).status).toBe(429);
  });

  it('in live mode, requests without a usable CF-Connecting-IP share one strict bucket', async () => {
    const live = {
      ...env,
      WECHAT_MODE: 'live',
      PUBLIC_BASE_URL: 'https://pay.example.com',
      WECHAT_API_KEY: 'FAKEliveKEYforTESTSonly000000000',
      WECHAT_APP_SECRET: 'fake-live-app-secret-for-tests',
      MERCHANT_API_TOKEN: 'fake-live-merchant-token-for-tests',
      CHECKOUT_SECRET: 'Zq3vN8rT1xW6yB0cE5gH7jK2mP4sU9aD',
      ADMIN_TOKEN: 'Lr7pX2nQ9vB4tG6kW1hC8zM3sF5yJ0dA',
    } as unknown as Env;
    const post = async (token: string, ip?: string) => {
      const ctx = createExecutionContext();
      const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://pay.example.com' };
      if (ip !== undefined) headers['CF-Connecting-IP'] = ip;
      const res = await createApp().fetch(
        new Request('https://pay.example.com/admin/login', {
          method: 'POST',
          headers,
          body: new URLSearchParams({ operator: 'x', token }).toString(),
          redirect: 'manual',
        }),
        live,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res.status;
    };
    expect(await post('wrong-1')).toBe(401);
    expect(await post('wrong-2', 'not-an-address')).toBe(401);
    expect(await post('wrong-3', '1.2.3.999')).toBe(401);
    expect(await post('Lr7pX2nQ9vB4tG6kW1hC8zM3sF5yJ0dA')).toBe(429);
    expect(await post('Lr7pX2nQ9vB4tG6kW1hC8zM3sF5yJ0dA', 'garbage')).toBe(429);
    expect((await failures()).find((r) => r.bucket === 'ip:unknown')?.count).toBe(LOGIN_LIMITS.unknownAddress);
    // A request with a real address has its own budget.
    expect(await post('Lr7pX2nQ9vB4tG6kW1hC8zM3sF5yJ0dA', '198.51.100.77')).toBe(303);
  });
});
