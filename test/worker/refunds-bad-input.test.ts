// Issue 10: bad input on every field of the refund API → a clean 4xx, no refund row, no refund call.
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTH, api, paidOrder, postJson, simCalls } from '../support/refunds-helpers';

let no: string;
beforeAll(async () => {
  no = await paidOrder(1000);
}, 60_000);

async function refundCount(): Promise<number> {
  return (await env.DB.prepare('SELECT COUNT(*) AS n FROM refunds').first<{ n: number }>())!.n;
}

const BAD: ReadonlyArray<[string, unknown, string]> = [
  ['refund_fee missing', {}, 'VALIDATION_FAILED'],
  ['refund_fee null', { refund_fee: null }, 'VALIDATION_FAILED'],
  ['refund_fee as a string', { refund_fee: '100' }, 'VALIDATION_FAILED'],
  ['refund_fee 0', { refund_fee: 0 }, 'VALIDATION_FAILED'],
  ['refund_fee negative', { refund_fee: -1 }, 'VALIDATION_FAILED'],
  ['refund_fee fractional', { refund_fee: 1.5 }, 'VALIDATION_FAILED'],
  ['refund_fee 1e21', { refund_fee: 1e21 }, 'VALIDATION_FAILED'],
  ['refund_fee beyond safe integers', { refund_fee: 2 ** 53 }, 'VALIDATION_FAILED'],
  ['refund_fee boolean', { refund_fee: true }, 'VALIDATION_FAILED'],
  ['out_refund_no empty', { refund_fee: 1, out_refund_no: '' }, 'VALIDATION_FAILED'],
  ['out_refund_no 65 characters', { refund_fee: 1, out_refund_no: 'a'.repeat(65) }, 'VALIDATION_FAILED'],
  ['out_refund_no with a space', { refund_fee: 1, out_refund_no: 'R 1' }, 'VALIDATION_FAILED'],
  ['out_refund_no with CJK', { refund_fee: 1, out_refund_no: '退款1' }, 'VALIDATION_FAILED'],
  ['out_refund_no path-like', { refund_fee: 1, out_refund_no: '../x' }, 'VALIDATION_FAILED'],
  ['out_refund_no a number', { refund_fee: 1, out_refund_no: 12345 }, 'VALIDATION_FAILED'],
  ['reason empty', { refund_fee: 1, reason: '' }, 'VALIDATION_FAILED'],
  ['reason 81 characters', { refund_fee: 1, reason: '退'.repeat(81) }, 'VALIDATION_FAILED'],
  ['reason with outer whitespace', { refund_fee: 1, reason: ' 退款' }, 'VALIDATION_FAILED'],
  ['reason with a control character', { refund_fee: 1, reason: 'a\u0007b' }, 'VALIDATION_FAILED'],
  ['reason with a lone surrogate', { refund_fee: 1, reason: 'LONE_SURROGATE' }, 'VALIDATION_FAILED'],
  ['reason with a bidi override', { refund_fee: 1, reason: 'a\u202eb' }, 'VALIDATION_FAILED'],
  ['reason not a string', { refund_fee: 1, reason: ['x'] }, 'VALIDATION_FAILED'],
  ['unknown field', { refund_fee: 1, total_fee: 1000 }, 'VALIDATION_FAILED'],
  ['notify_url smuggled', { refund_fee: 1, notify_url: 'https://evil.example/' }, 'VALIDATION_FAILED'],
  ['a JSON array', [], 'VALIDATION_FAILED'],
  ['JSON null', null, 'VALIDATION_FAILED'],
];

describe('refund API bad input', { timeout: 60_000 }, () => {
  it.each(BAD)('%s → 400 %s, no refund', async (_name, body, code) => {
    const before = await refundCount();
    // Built here: a lone surrogate in the test's parameters would break the runner's UTF-8 channel.
    const sent = JSON.stringify(body).replace('LONE_SURROGATE', '\\ud800');
    const res = await api(`/v1/orders/${no}/refunds`, { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/json' }, body: sent });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe(code);
    expect(await refundCount()).toBe(before);
  });

  it('exactly 80 characters of reason are accepted', async () => {
    const res = await postJson(`/v1/orders/${no}/refunds`, { refund_fee: 1, reason: '退'.repeat(80) });
    expect(res.status).toBe(201);
  });

  it('non-JSON, wrong content type, oversize body, bad order number, unknown order, no token, wrong verb', async () => {
    const before = await refundCount();
    const post = (path: string, init: RequestInit) => api(path, { method: 'POST', ...init });
    expect((await post(`/v1/orders/${no}/refunds`, { headers: { ...AUTH, 'Content-Type': 'application/json' }, body: '{' })).status).toBe(400);
    expect((await post(`/v1/orders/${no}/refunds`, { headers: { ...AUTH, 'Content-Type': 'text/plain' }, body: '{"refund_fee":1}' })).status).toBe(415);
    expect(
      (
        await post(`/v1/orders/${no}/refunds`, {
          headers: { ...AUTH, 'Content-Type': 'application/json' },
          body: JSON.stringify({ refund_fee: 1, reason: 'x'.repeat(20_000) }),
        })
      ).status,
    ).toBe(413);
    const badNo = await postJson('/v1/orders/ab/refunds', { refund_fee: 1 });
    expect([badNo.status, ((await badNo.json()) as any).error.code]).toEqual([400, 'INVALID_OUT_TRADE_NO']);
    const unknown = await postJson('/v1/orders/NOSUCHORDER01/refunds', { refund_fee: 1 });
    expect([unknown.status, ((await unknown.json()) as any).error.code]).toEqual([404, 'ORDER_NOT_FOUND']);
    expect((await postJson(`/v1/orders/${no}/refunds`, { refund_fee: 1 }, {})).status).toBe(401);
    expect((await api(`/v1/orders/${no}/refunds`, { method: 'PUT', headers: AUTH })).status).toBe(405);
    expect(await refundCount()).toBe(before);
  });

  it('unrefundable orders, WeChat limits and the refund reads', async () => {
    const created = await postJson('/v1/orders', { description: 'unpaid', total_fee: 100, out_trade_no: `U${no}`.slice(0, 32) });
    const unpaid = ((await created.json()) as any).out_trade_no;
    const r = await postJson(`/v1/orders/${unpaid}/refunds`, { refund_fee: 1 });
    expect([r.status, ((await r.json()) as any).error.code]).toEqual([409, 'ORDER_NOT_REFUNDABLE']);

    // A year after payment WeChat refuses refunds: refused here, before any call.
    const old = await paidOrder(500);
    await env.DB.prepare('UPDATE orders SET paid_at = ?2 WHERE out_trade_no = ?1')
      .bind(old, Date.now() - 366 * 24 * 3600_000) // epoch ms since 0018
      .run();
    const expired = await postJson(`/v1/orders/${old}/refunds`, { refund_fee: 1 });
    expect([expired.status, ((await expired.json()) as any).error.code]).toEqual([409, 'REFUND_WINDOW_EXPIRED']);
    expect(await simCalls(old)).toBe(0);

    // 50 refunds per order: the 51st is refused here. 48 are planted as accepted (1 fen each, reserved on
    // the order as the gate would have), the 49th and 50th go through the API and WeChat.
    const many = await paidOrder(100);
    const at = Date.now(); // epoch ms since 0015
    await env.DB.batch([
      ...Array.from({ length: 48 }, (_, i) =>
        env.DB.prepare(
          `INSERT INTO refunds (out_refund_no, out_trade_no, payment_no, refund_fee, total_fee, status, request_hash, created_at, updated_at)
           VALUES (?1, ?2, ?2, 1, 100, 'PROCESSING', 'planted', ?3, ?3)`,
        ).bind(`${many}-p${i}`, many, at),
      ),
      env.DB.prepare('UPDATE orders SET refund_reserved_fee = 48, refund_version = refund_version + 1 WHERE out_trade_no = ?1').bind(many),
    ]);
    const results = [];
    for (let i = 48; i < 50; i++) results.push((await postJson(`/v1/orders/${many}/refunds`, { refund_fee: 1, out_refund_no: `${many}-${i}` })).status);
    expect(results).toEqual([201, 201]);
    const fiftyFirst = await postJson(`/v1/orders/${many}/refunds`, { refund_fee: 1 });
    expect([fiftyFirst.status, ((await fiftyFirst.json()) as any).error.code]).toEqual([409, 'REFUND_LIMIT_REACHED']);
    expect(await simCalls(many)).toBe(2);

    const bad = await api(`/v1/refunds/${'x'.repeat(65)}`, { headers: AUTH });
    expect([bad.status, ((await bad.json()) as any).error.code]).toEqual([400, 'INVALID_OUT_REFUND_NO']);
    const missing = await api('/v1/refunds/NO-SUCH-REFUND', { headers: AUTH });
    expect([missing.status, ((await missing.json()) as any).error.code]).toEqual([404, 'REFUND_NOT_FOUND']);
    expect((await api('/v1/refunds/NO-SUCH-REFUND?sync=true', { headers: AUTH })).status).toBe(400);
    expect((await api('/v1/refunds/NO-SUCH-REFUND')).status).toBe(401);
    expect((await api('/v1/orders/NOSUCHORDER01/refunds', { headers: AUTH })).status).toBe(404);
  });
});
