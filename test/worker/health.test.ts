import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

describe('GET /healthz', () => {
  it('answers ok with the mode', async () => {
    const res = await exports.default.fetch('https://gw.test/healthz');
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
