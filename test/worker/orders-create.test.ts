import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { makeCheckoutToken } from '../../src/worker/platform/checkout-link';
import { AUTH, BASE, api, createOrder, freshNo, orderCount, orderRow, postJson } from '../support/orders-helpers';

describe('POST /v1/orders', () => {
  it('creates a CREATED order and returns 201 with an HMAC checkout_url', async () => {
    const no = freshNo();
    const res = await postJson('/v1/orders', {
      description: '腾讯充值中心-QQ会员充值',
      total_fee: 1999,
      out_trade_no: no,
      attach: 'a=1',
      metadata: { sku: 'X1' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const order = (await res.json()) as Record<string, any>;
    expect(order).toMatchObject({
      out_trade_no: no,
      status: 'CREATED',
      total_fee: 1999,
      fee_type: 'CNY',
      description: '腾讯充值中心-QQ会员充值',
      attach: 'a=1',
      metadata: { sku: 'X1' },
    });
    const token = await makeCheckoutToken(env.CHECKOUT_SECRET!, no);
    expect(order.checkout_url).toBe(`${BASE}/pay/${no}?t=${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(order).not.toHaveProperty('prepay_id');
    expect(order).not.toHaveProperty('request_hash');
    const row = await orderRow(no);
    expect(row).toMatchObject({ status: 'CREATED', total_fee: 1999, sign_type: 'HMAC-SHA256' });
    // expires_in_minutes defaults to 30
    expect(Date.parse(row!.expires_at) - Date.parse(row!.created_at)).toBe(30 * 60_000);
  });

  it('generates a valid out_trade_no when absent', async () => {
    const res = await postJson('/v1/orders', { description: 'Generated', total_fee: 1 });
    expect(res.status).toBe(201);
    const order = (await res.json()) as Record<string, any>;
    expect(order.out_trade_no).toMatch(/^[A-Za-z0-9_\-|*]{6,32}$/);
  });

  it('generated order numbers are the Beijing date and 24 random base62 characters, distinct from openids', async () => {
    const beijingDate = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
    const before = beijingDate(Date.now());
    const numbers = await Promise.all(
      [1, 2, 3].map(
        async () => ((await (await postJson('/v1/orders', { description: 'Generated', total_fee: 1 })).json()) as Record<string, string>).out_trade_no!,
      ),
    );
    const after = beijingDate(Date.now());
    for (const no of numbers) {
      expect(no).toMatch(/^20\d{6}[A-Za-z0-9]{24}$/);
      expect([before, after]).toContain(no.slice(0, 8));
    }
    expect(new Set(numbers.map((n) => n.slice(8))).size).toBe(3);
  });

  it('sets expires_at from expires_in_minutes', async () => {
    const order = await createOrder({ expires_in_minutes: 1440 });
    expect(Date.parse(order.expires_at) - Date.parse(order.created_at)).toBe(1440 * 60_000);
  });

  it('is idempotent on out_trade_no: same body → 200 same order, different body → 409, nothing new written', async () => {
    const no = freshNo();
    const body = { description: 'Idem', total_fee: 500, out_trade_no: no, metadata: { a: '1', b: '2' } };
    const first = await postJson('/v1/orders', body);
    expect(first.status).toBe(201);
    const firstJson = await first.json();
    const count = await orderCount();
    // key order inside the body does not matter
    const again = await postJson('/v1/orders', { out_trade_no: no, metadata: { b: '2', a: '1' }, total_fee: 500, description: 'Idem' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(firstJson);
    const different = await postJson('/v1/orders', { ...body, total_fee: 501 });
    expect(different.status).toBe(409);
    expect(((await different.json()) as any).error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await orderCount()).toBe(count);
    expect((await orderRow(no))!.total_fee).toBe(500);
  });

  it('10 concurrent identical creates give one order and identical answers', async () => {
    const no = freshNo();
    const body = { description: 'Concurrent', total_fee: 800, out_trade_no: no };
    const responses = await Promise.all(Array.from({ length: 10 }, () => postJson('/v1/orders', body)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(9);
    const bodies = await Promise.all(responses.map((r) => r.json()));
    for (const b of bodies) expect(b).toEqual(bodies[0]);
    const n = await env.DB.prepare('SELECT count(*) AS n FROM orders WHERE out_trade_no = ?1').bind(no).first<{ n: number }>();
    expect(n!.n).toBe(1);
  });

  it('refuses total_fee above MAX_TOTAL_FEE and accepts exactly the maximum', async () => {
    const max = Number(env.MAX_TOTAL_FEE);
    const before = await orderCount();
    const over = await postJson('/v1/orders', { description: 'Big', total_fee: max + 1, out_trade_no: freshNo() });
    expect(over.status).toBe(400);
    expect(((await over.json()) as any).error.code).toBe('TOTAL_FEE_TOO_LARGE');
    expect(await orderCount()).toBe(before);
    const at = await postJson('/v1/orders', { description: 'Big', total_fee: max, out_trade_no: freshNo() });
    expect(at.status).toBe(201);
  });
});

describe('GET /v1/orders/:out_trade_no', () => {
  it('returns the order', async () => {
    const created = await createOrder();
    const res = await api(`/v1/orders/${created.out_trade_no}`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(created);
  });

  it('404s an unknown order with the stable code', async () => {
    const res = await api(`/v1/orders/${freshNo()}`, { headers: AUTH });
    expect(res.status).toBe(404);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe('ORDER_NOT_FOUND');
    expect(body.error.requestId).toBe(res.headers.get('X-Request-Id'));
  });
});
