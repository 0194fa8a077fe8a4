import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { CHECKOUT_SCRIPT_PATH } from '../../src/worker/checkout/views';

describe('GET /healthz', () => {
  it('answers ok with the mode', async () => {
    const res = await exports.default.fetch('http://127.0.0.1:8787/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, service: 'wxpay-edge', mode: 'sandbox' });
  });
  it('has real D1 and DO bindings', async () => {
    const row = await env.DB.prepare('SELECT count(*) AS n FROM orders').first<{ n: number }>();
    expect(row?.n).toBe(0);
    const stub = env.ORDER_GATE.getByName('HEALTH-1');
    expect(await stub.ping()).toBe('pong');
  });
});

describe('Cache-Control: no-store on every response', () => {
  it.each([
    ['/healthz', 200],
    ['/openapi.json', 200],
    ['/no/such/route', 404],
    ['/v1/orders/abcdef123/nothing', 404],
  ])('GET %s → %i with no-store', async (path, status) => {
    const res = await exports.default.fetch(`http://127.0.0.1:8787${path}`);
    expect(res.status).toBe(status);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
  });
  it('a response that chose its own caching keeps it (the static checkout script)', async () => {
    const res = await exports.default.fetch(`http://127.0.0.1:8787${CHECKOUT_SCRIPT_PATH}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=300');
  });
});
