// Property tests over the buyer-facing routes: arbitrary ids, tokens, codes and states give a clean 4xx, never a 5xx or a session.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cookieFrom, get, pageUrl } from './checkout-helpers';
import { createOrder, orderRow } from './orders-helpers';

const urlSafe = fc.string({ maxLength: 300 }).map((s) => encodeURIComponent(s));

describe('buyer-facing routes under arbitrary input', () => {
  it('GET /pay/:id?t=… → 404, never a 5xx, never an OAuth round', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 64 }), urlSafe, async (id, token) => {
        const res = await get(`/pay/${encodeURIComponent(id)}?t=${token}`);
        expect(res.status).toBe(404);
        expect(cookieFrom(res, 'wxpay_oauth')).toBeUndefined();
        await res.arrayBuffer();
      }),
      { numRuns: 60 },
    );
  });

  it('GET /pay/:real-order?t=<wrong> → 404 and the order is untouched', async () => {
    const order = await createOrder({});
    const right = new URL(await pageUrl(order.out_trade_no), 'http://x').searchParams.get('t')!;
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 200 }).filter((t) => t !== right),
        async (token) => {
          const res = await get(`/pay/${order.out_trade_no}?t=${encodeURIComponent(token)}`);
          expect(res.status).toBe(404);
          await res.arrayBuffer();
        },
      ),
      { numRuns: 60 },
    );
    expect((await orderRow(order.out_trade_no))!.status).toBe('CREATED');
  });

  it('GET /oauth/callback with arbitrary code/state/cookie → 400, never a session', async () => {
    await fc.assert(
      fc.asyncProperty(urlSafe, urlSafe, fc.string({ maxLength: 300 }), async (code, state, cookie) => {
        const res = await get(`/oauth/callback?code=${code}&state=${state}`, { Cookie: `wxpay_oauth=${encodeURIComponent(cookie)}` });
        expect(res.status).toBe(400);
        expect(cookieFrom(res, 'wxpay_oid')).toBeUndefined();
        await res.arrayBuffer();
      }),
      { numRuns: 60 },
    );
  });
});
