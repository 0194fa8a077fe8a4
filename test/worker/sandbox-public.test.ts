// The sandbox signs with a published key, so it must never be a public gateway by accident: a
// non-loopback PUBLIC_BASE_URL or request host makes sandbox mode invalid unless SANDBOX_ALLOW_PUBLIC.
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/worker/compose/app';
import { parseConfig } from '../../src/worker/platform/config';
import { isLoopbackHost } from '../../src/worker/platform/loopback';
import { AUTH, freshNo, orderCount } from '../support/orders-helpers';

let errors: string[] = [];
beforeEach(() => {
  errors = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args.map(String).join(' ')));
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

async function call(origin: string, overrides: Record<string, string>, method: string, path: string, body?: string): Promise<Response> {
  const headers: Record<string, string> = { ...AUTH };
  if (body !== undefined) headers['Content-Type'] = path.startsWith('/wechat/') ? 'text/xml' : 'application/json';
  return createApp().fetch(
    new Request(origin + path, { method, headers, body, redirect: 'manual' }),
    { ...env, ...overrides } as Env,
    createExecutionContext(),
  );
}

const create = () => JSON.stringify({ description: 'public sandbox probe', total_fee: 1, out_trade_no: freshNo('PUB') });

describe('loopback hosts', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.0.0.1:8787', true],
    ['127.255.10.3', true],
    ['localhost', true],
    ['LOCALHOST:8787', true],
    ['[::1]', true],
    ['[::1]:8787', true],
    ['127.0.0.256', false],
    ['128.0.0.1', false],
    ['localhost.example.com', false],
    ['pay.example.com', false],
    ['10.0.0.1', false],
    ['0.0.0.0', false],
    ['[::2]', false],
  ])('%s → %s', (host, loopback) => expect(isLoopbackHost(host)).toBe(loopback));
});

describe('configuration', () => {
  const sandbox = { ...(env as unknown as Record<string, string>) };
  it('a sandbox on a public PUBLIC_BASE_URL is invalid, naming the flag, not a value', () => {
    const r = parseConfig({ ...sandbox, PUBLIC_BASE_URL: 'https://pay.example.com' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.join()).toMatch(/PUBLIC_BASE_URL.*SANDBOX_ALLOW_PUBLIC/);
  });
  it('SANDBOX_ALLOW_PUBLIC = "true" makes a public demo possible', () => {
    const r = parseConfig({ ...sandbox, PUBLIC_BASE_URL: 'https://pay.example.com', SANDBOX_ALLOW_PUBLIC: 'true' });
    expect(r.ok && r.config.sandboxAllowPublic).toBe(true);
  });
  it('any other value of the flag is refused', () => {
    expect(parseConfig({ ...sandbox, SANDBOX_ALLOW_PUBLIC: 'yes' }).ok).toBe(false);
  });
  it('loopback sandboxes need no flag', () => {
    for (const url of ['http://127.0.0.1:8787', 'http://localhost:8787', 'http://[::1]:8787']) {
      expect(parseConfig({ ...sandbox, PUBLIC_BASE_URL: url }).ok).toBe(true);
    }
  });
});

describe('a public sandbox is refused', () => {
  const PUBLIC = { PUBLIC_BASE_URL: 'https://pay.example.com' };

  it('PUBLIC_BASE_URL not loopback: create 503 CONFIG_INVALID, notify RETRY, /sandbox 404, nothing written', async () => {
    const before = await orderCount();
    const created = await call('https://pay.example.com', PUBLIC, 'POST', '/v1/orders', create());
    expect(created.status).toBe(503);
    expect(((await created.json()) as { error: { code: string } }).error.code).toBe('CONFIG_INVALID');
    const notify = await call('https://pay.example.com', PUBLIC, 'POST', '/wechat/notify', '<xml><return_code>SUCCESS</return_code></xml>');
    expect(notify.status).toBe(503);
    expect(await notify.text()).toContain('<return_code><![CDATA[FAIL]]></return_code>');
    for (const path of ['/sandbox/sim/users', '/sandbox/sim/scenario']) {
      expect((await call('https://pay.example.com', PUBLIC, 'GET', path)).status).toBe(404);
    }
    expect((await call('https://pay.example.com', PUBLIC, 'POST', '/sandbox/sim/pay', '{}')).status).toBe(404);
    expect(await orderCount()).toBe(before);
    expect(errors.join('\n')).toContain('SANDBOX_ALLOW_PUBLIC');
  });

  it('a loopback PUBLIC_BASE_URL reached on a public host (a plain wrangler deploy) is refused the same way', async () => {
    const host = 'https://wxpay-edge.example.workers.dev';
    const before = await orderCount();
    const created = await call(host, {}, 'POST', '/v1/orders', create());
    expect(created.status).toBe(503);
    expect(((await created.json()) as { error: { code: string } }).error.code).toBe('CONFIG_INVALID');
    expect((await call(host, {}, 'GET', '/sandbox/sim/users')).status).toBe(404);
    expect((await call(host, {}, 'POST', '/wechat/notify', '<xml></xml>')).status).toBe(503);
    expect(await orderCount()).toBe(before);
  });

  it('the reason is logged once, however many requests are refused', async () => {
    const overrides = { PUBLIC_BASE_URL: 'https://once.example.com' };
    const frozen = { ...env, ...overrides } as Env; // one env object, as the runtime reuses it
    const app = createApp();
    for (let i = 0; i < 3; i++) {
      const res = await app.fetch(new Request('https://once.example.com/v1/orders', { headers: AUTH }), frozen, createExecutionContext());
      expect(res.status).toBe(503);
    }
    expect(errors.filter((l) => l.includes('CONFIG_INVALID'))).toHaveLength(1);
  });

  it('with SANDBOX_ALLOW_PUBLIC = "true" the public demo works', async () => {
    const demo = { PUBLIC_BASE_URL: 'https://demo.example.com', SANDBOX_ALLOW_PUBLIC: 'true' };
    const created = await call('https://demo.example.com', demo, 'POST', '/v1/orders', create());
    expect(created.status).toBe(201);
    expect((await call('https://demo.example.com', demo, 'GET', '/sandbox/sim/users')).status).toBe(200);
  });

  it('loopback requests on the default config are served', async () => {
    expect((await call('http://localhost:8787', {}, 'GET', '/sandbox/sim/users')).status).toBe(200);
    expect((await call('http://127.0.0.1:8787', {}, 'POST', '/v1/orders', create())).status).toBe(201);
  });
});
