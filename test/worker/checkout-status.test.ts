// GET /pay/:out_trade_no/status: token-authorised, no-store, PAID only from a verified notify or orderquery.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { makeCheckoutToken } from '../../src/worker/platform/checkout-link';
import { openidFor } from '../../src/sandbox/users';
import { SECRET } from '../support/checkout-helpers';
import { api, createOrder, freshNo, orderRow, postJson } from '../support/orders-helpers';

const ALICE = openidFor(env.WECHAT_APPID!, 'alice');

async function status(no: string, opts: { token?: string | null; sync?: boolean; via?: 'header' | 'query' } = {}) {
  const token = opts.token === undefined ? await makeCheckoutToken(SECRET, no) : opts.token;
  const params = new URLSearchParams();
  if (opts.sync) params.set('sync', '1');
  const headers: Record<string, string> = {};
  if (token !== null) {
    if (opts.via === 'query') params.set('t', token);
    else headers['X-Checkout-Token'] = token;
  }
  const qs = params.toString();
  return api(`/pay/${no}/status${qs ? `?${qs}` : ''}`, { headers });
}

async function statusOf(no: string, opts: { sync?: boolean } = {}): Promise<string> {
  const res = await status(no, opts);
  expect(res.status).toBe(200);
  return ((await res.json()) as { status: string }).status;
}

/** What the checkout page does before the pay sheet: signed params for the order's buyer. */
async function prepay(no: string): Promise<string> {
  const res = await api(`/v1/orders/${no}/jsapi`, { method: 'POST', headers: { 'X-Checkout-Token': await makeCheckoutToken(SECRET, no) } });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { package: string }).package.slice('prepay_id='.length);
}

/** The buyer taps Pay in the simulator's sheet (the documented test endpoint the sheet itself calls). */
async function simPay(prepayId: string, openid = ALICE) {
  const res = await postJson('/sandbox/sim/pay', { prepay_id: prepayId, openid }, {});
  expect(res.status).toBe(200);
  return (await res.json()) as { ok: boolean; err_msg: string };
}

describe('status endpoint authorisation', () => {
  it('a missing or wrong token and an unknown order get the same 404 body', async () => {
    const order = await createOrder({ openid: ALICE });
    const unknown = freshNo();
    const answers = [
      await status(order.out_trade_no, { token: null }),
      await status(order.out_trade_no, { token: await makeCheckoutToken(SECRET, unknown) }),
      await status(order.out_trade_no, { token: 'x'.repeat(300) }),
      await status(unknown),
    ];
    const texts = await Promise.all(answers.map((r) => r.text()));
    const bodies = texts.map((s) => s.replace(/"requestId":"[^"]+"/, ''));
    for (const [i, res] of answers.entries()) {
      expect(res.status, `case ${i}`).toBe(404);
      expect(bodies[i]).toBe(bodies[0]);
    }
    expect(JSON.parse(texts[0]!).error.code).toBe('ORDER_NOT_FOUND');
  });

  it('accepts the token as X-Checkout-Token or ?t=, and is never cached', async () => {
    const order = await createOrder({ openid: ALICE });
    for (const via of ['header', 'query'] as const) {
      const res = await status(order.out_trade_no, { via });
      expect(res.status).toBe(200);
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(await res.json()).toEqual({ status: 'NOTPAY' });
    }
  });
});

describe('status endpoint input', () => {
  it('a malformed order number → 400 INVALID_OUT_TRADE_NO (no lookup)', async () => {
    for (const bad of ['short', '..%2F..%2Fetc', '%E8%AE%A2%E5%8D%95%E5%8F%B7abc', 'x'.repeat(33)]) {
      const res = await api(`/pay/${bad}/status`, { headers: { 'X-Checkout-Token': 'x' } });
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_OUT_TRADE_NO');
    }
  });

  it('only GET: other verbs → 405, OPTIONS → 204 without a body', async () => {
    const order = await createOrder({ openid: ALICE });
    const paths = [`/pay/${order.out_trade_no}/status`, `/pay/${order.out_trade_no}`, '/oauth/callback', '/assets/checkout.js'];
    for (const path of paths) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const res = await api(path, { method });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
      }
      const options = await api(path, { method: 'OPTIONS' });
      expect(options.status).toBe(204);
      expect(await options.text()).toBe('');
    }
  });
});

describe('status values', () => {
  it('folds internal states into NOTPAY / PAID / CLOSED / FAILED', async () => {
    const cases: Array<[string, string]> = [
      ['CREATED', 'NOTPAY'],
      ['NOTPAY', 'NOTPAY'],
      ['PAID', 'PAID'],
      ['PAID_AFTER_CLOSE', 'PAID'],
      ['REFUNDED', 'PAID'],
      ['CLOSING', 'CLOSED'],
      ['CLOSED', 'CLOSED'],
      ['PAYERROR', 'FAILED'],
      ['FAILED', 'FAILED'],
    ];
    for (const [internal, shown] of cases) {
      const order = await createOrder({ openid: ALICE });
      await env.DB.prepare('UPDATE orders SET status = ?2 WHERE out_trade_no = ?1').bind(order.out_trade_no, internal).run();
      expect(await statusOf(order.out_trade_no), internal).toBe(shown);
    }
  });
});

describe('status after paying in the simulator', () => {
  it('NOTPAY before the payment; PAID once the signed notify has been applied', async () => {
    const order = await createOrder({ openid: ALICE, total_fee: 2500 });
    const prepayId = await prepay(order.out_trade_no);
    expect(await statusOf(order.out_trade_no)).toBe('NOTPAY');
    const paid = await simPay(prepayId);
    expect(paid.err_msg).toBe('get_brand_wcpay_request:ok');
    expect(await statusOf(order.out_trade_no)).toBe('PAID');
    const row = (await orderRow(order.out_trade_no))!;
    expect(row.status).toBe('PAID');
    expect(row.transaction_id).toMatch(/^\d+$/);
    const applied = await env.DB.prepare("SELECT count(*) AS n FROM notifications WHERE out_trade_no = ?1 AND verdict = 'APPLIED'")
      .bind(order.out_trade_no)
      .first<{ n: number }>();
    expect(applied!.n).toBe(1);
  });

  it('the buyer cancelling changes nothing: still NOTPAY, even with sync=1', async () => {
    const order = await createOrder({ openid: ALICE });
    await postJson('/sandbox/sim/scenario', { out_trade_no: order.out_trade_no, user_action: 'cancel' }, {});
    const prepayId = await prepay(order.out_trade_no);
    expect((await simPay(prepayId)).err_msg).toBe('get_brand_wcpay_request:cancel');
    expect(await statusOf(order.out_trade_no, { sync: true })).toBe('NOTPAY');
  });

  it('the notify never arrives: plain polls stay NOTPAY, sync=1 resolves PAID through a verified orderquery', async () => {
    const order = await createOrder({ openid: ALICE });
    await postJson('/sandbox/sim/scenario', { out_trade_no: order.out_trade_no, notify: 'never' }, {});
    const prepayId = await prepay(order.out_trade_no);
    expect((await simPay(prepayId)).err_msg).toBe('get_brand_wcpay_request:ok');
    // Without sync the page only reads D1, and no notify came.
    expect(await statusOf(order.out_trade_no)).toBe('NOTPAY');
    expect(await statusOf(order.out_trade_no, { sync: true })).toBe('PAID');
    const row = (await orderRow(order.out_trade_no))!;
    expect(row.status).toBe('PAID');
    expect(row.last_synced_at).not.toBeNull();
    const notifies = await env.DB.prepare('SELECT count(*) AS n FROM notifications WHERE out_trade_no = ?1').bind(order.out_trade_no).first<{ n: number }>();
    expect(notifies!.n).toBe(0);
  });

  it('sync=1 spam (50 concurrent polls) makes at most one orderquery (docs/reliability.md §8.3 #4)', async () => {
    const order = await createOrder({ openid: ALICE });
    await prepay(order.out_trade_no);
    const answers = await Promise.all(Array.from({ length: 50 }, () => statusOf(order.out_trade_no, { sync: true })));
    expect(new Set(answers)).toEqual(new Set(['NOTPAY']));
    const calls = (await (await api(`/sandbox/sim/calls?out_trade_no=${order.out_trade_no}`)).json()) as { calls: Array<{ endpoint: string }> };
    const queries = calls.calls.filter((c) => c.endpoint === 'orderquery');
    expect(queries.length).toBe(1);
  });
});
