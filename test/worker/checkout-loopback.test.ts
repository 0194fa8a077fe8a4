// Sandbox pages opened on another loopback name (localhost vs 127.0.0.1): sent to PUBLIC_BASE_URL's
// host before any cookie is set, because the OAuth state cookie only comes back on the host that set it.
import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/worker/compose/app';
import { isLoopbackHost } from '../../src/worker/platform/loopback';
import { authorizeVia, get, LIVE, pageUrl, WECHAT_UA } from '../support/checkout-helpers';
import { BASE, createOrder } from '../support/orders-helpers';

const BUYER = 'oTESTbuyer00000000000000001';

function at(origin: string, path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(origin + path, { redirect: 'manual', ...init, headers: { 'User-Agent': WECHAT_UA, ...init.headers } }));
}

function setCookies(res: Response): string[] {
  return (res.headers as unknown as { getSetCookie(): string[] }).getSetCookie();
}

describe('isLoopbackHost', () => {
  it('is true for 127.0.0.0/8, localhost and [::1], with or without a port', () => {
    for (const host of [
      '127.0.0.1',
      '127.0.0.1:8787',
      '127.255.255.254',
      '127.1.2.3:1',
      'localhost',
      'localhost:8787',
      'LocalHost:8787',
      '[::1]',
      '[::1]:8787',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
  });

  it('is false for every other host, including look-alikes', () => {
    for (const host of [
      '',
      'pay.example.com',
      'pay.example.com:8787',
      '128.0.0.1',
      '10.0.0.1',
      '0.0.0.0',
      '127.0.0.256',
      '127.0.0',
      '127.0.0.1.example.com',
      '127.0.0.1:',
      '127.0.0.1:8787:1',
      'localhost.example.com',
      'notlocalhost',
      '[::2]',
      '[::1',
      '::1',
      '[::ffff:7f00:1]',
      'localhost/x',
      ' localhost',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});

describe('a page opened on the other loopback name', () => {
  it('localhost:8787/pay/… → 302 to the same path and query on PUBLIC_BASE_URL (127.0.0.1:8787), with no cookie', async () => {
    const order = await createOrder({}); // no openid: on its own host this page would start OAuth
    const path = await pageUrl(order.out_trade_no);
    for (const method of ['GET', 'HEAD']) {
      const res = await at('http://localhost:8787', path, { method });
      expect(res.status, method).toBe(302);
      expect(res.headers.get('Location')).toBe(`http://127.0.0.1:8787${path}`);
      expect(setCookies(res)).toEqual([]);
      expect(res.headers.get('Cache-Control')).toBe('no-store');
    }
    // Where it was sent, the page is as before: the OAuth round starts there, with its state cookie.
    const home = await get(path);
    expect(home.status).toBe(302);
    expect(setCookies(home).some((c) => c.startsWith('wxpay_oauth='))).toBe(true);
    await authorizeVia(home, 'alice');
  });

  it('[::1] and other 127/8 addresses are sent there too, as is /oauth/callback with its query', async () => {
    const order = await createOrder({ openid: BUYER });
    const path = await pageUrl(order.out_trade_no);
    const callback = '/oauth/callback?code=CODE123&state=AbC123';
    for (const origin of ['http://[::1]:8787', 'http://127.0.0.2:8787', 'http://localhost']) {
      for (const p of [path, callback]) {
        const res = await at(origin, p);
        expect(res.status, origin + p).toBe(302);
        expect(res.headers.get('Location')).toBe(`http://127.0.0.1:8787${p}`);
        expect(setCookies(res)).toEqual([]);
      }
    }
  });

  it("on PUBLIC_BASE_URL's own host (any port) the page renders as before", async () => {
    const order = await createOrder({ openid: BUYER });
    const path = await pageUrl(order.out_trade_no);
    for (const origin of [BASE, 'http://127.0.0.1:9999']) {
      const res = await at(origin, path);
      expect(res.status, origin).toBe(200);
      expect(await res.text()).toContain('id="pay"');
    }
  });

  it('leaves the JSON status endpoint, the script, other verbs, non-loopback hosts and live mode alone', async () => {
    const order = await createOrder({ openid: BUYER });
    const path = await pageUrl(order.out_trade_no);
    const token = new URL(path, BASE).searchParams.get('t')!;
    const status = await at('http://localhost:8787', `/pay/${order.out_trade_no}/status`, { headers: { 'X-Checkout-Token': token } });
    expect(status.status).toBe(200);
    expect(await status.json()).toEqual({ status: 'NOTPAY' });
    expect((await at('http://localhost:8787', '/assets/checkout.js')).status).toBe(200);
    const post = await at('http://localhost:8787', path, { method: 'POST' });
    expect(post.status).toBe(405);
    // Not loopback: not this rule's business. (A sandbox reached on a public host is refused outright.)
    const publicHost = await at('http://pay.example.com', path);
    expect(publicHost.status).toBe(503);
    expect(publicHost.headers.get('Location')).toBeNull();

    // Live mode never redirects on the host (its PUBLIC_BASE_URL is https on a real domain).
    const live = await createApp().fetch(
      new Request(`http://localhost:8787${path}`, { headers: { 'User-Agent': WECHAT_UA }, redirect: 'manual' }),
      { ...env, ...LIVE } as Env,
      createExecutionContext(),
    );
    expect(live.status).not.toBe(302);
    expect(live.headers.get('Location')).toBeNull();
  });
});
