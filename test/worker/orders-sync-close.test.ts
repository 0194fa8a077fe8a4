// GET's orderquery catch-up and the close flow, against the simulator and the real OrderGate DO.
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AUTH, BUYER, ageOrder, api, createOrder, jsapiFor, orderRow, prepayIdOf, simClock, simPay, simScenario } from '../support/orders-helpers';

async function get(no: string, query = '') {
  const res = await api(`/v1/orders/${no}${query}`, { headers: AUTH });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>;
}

async function close(no: string) {
  const res = await api(`/v1/orders/${no}/close`, { method: 'POST', headers: AUTH });
  return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
}

/** An order with a prepay, paid in the simulator with no notify ever sent: only orderquery can find it. */
async function paidSilently() {
  const order = await createOrder({ openid: BUYER });
  await simScenario(order.out_trade_no, { notify: 'never' });
  const params = (await (await jsapiFor(order.out_trade_no)).json()) as { package: string };
  const paid = await simPay(prepayIdOf(params));
  expect(paid.body.ok).toBe(true);
  return { order, transactionId: paid.body.transaction_id as string };
}

async function ledgerRows(no: string) {
  return (await env.DB.prepare('SELECT amount_fen, transaction_id FROM ledger WHERE out_trade_no = ?1').bind(no).all()).results;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await simClock(0);
});

describe('GET sync through orderquery', () => {
  it('a recent prepay is not queried; ?sync=true queries now and applies the verified payment through the gate', async () => {
    const { order, transactionId } = await paidSilently();
    expect((await get(order.out_trade_no)).status).toBe('NOTPAY');
    const synced = await get(order.out_trade_no, '?sync=true');
    expect(synced).toMatchObject({ status: 'PAID', transaction_id: transactionId, total_fee: 1999 });
    expect(await ledgerRows(order.out_trade_no)).toEqual([{ amount_fen: 1999, transaction_id: transactionId }]);
    // a second forced sync of a PAID order has nothing to do
    expect((await get(order.out_trade_no, '?sync=true')).status).toBe('PAID');
    expect(await ledgerRows(order.out_trade_no)).toHaveLength(1);
  });

  it('an orderquery SUCCESS whose amount differs from the order is an anomaly (and order.anomaly), never a credit', async () => {
    const { order, transactionId } = await paidSilently();
    // Our books disagree with what WeChat holds (an operator's edit, say): the verified answer must not be applied.
    await env.DB.prepare('UPDATE orders SET total_fee = 2000 WHERE out_trade_no = ?1').bind(order.out_trade_no).run();
    for (let i = 0; i < 2; i++) {
      await env.DB.prepare('UPDATE orders SET last_synced_at = NULL WHERE out_trade_no = ?1').bind(order.out_trade_no).run();
      expect((await get(order.out_trade_no, '?sync=true')).status).toBe('NOTPAY');
    }
    expect(await ledgerRows(order.out_trade_no)).toEqual([]);
    const anomalies = (
      await env.DB.prepare('SELECT kind, detail FROM anomalies WHERE out_trade_no = ?1').bind(order.out_trade_no).all<{ kind: string; detail: string }>()
    ).results;
    expect(anomalies.map((a) => a.kind)).toEqual(['AMOUNT_MISMATCH']); // once, however often it is asked
    expect(JSON.parse(anomalies[0]!.detail)).toMatchObject({ transactionId, totalFee: 1999, source: 'ORDERQUERY' });
    const events = (
      await env.DB.prepare("SELECT type FROM events WHERE out_trade_no = ?1 AND type = 'order.anomaly'").bind(order.out_trade_no).all<{ type: string }>()
    ).results;
    expect(events).toHaveLength(1);
  });

  it('after 60 s without news a plain read syncs by itself', async () => {
    const { order } = await paidSilently();
    const issued = Date.now() - 61_000 + 2 * 3600_000; // epoch ms since 0018
    await env.DB.prepare('UPDATE orders SET prepay_expires_at = ?2 WHERE out_trade_no = ?1').bind(order.out_trade_no, issued).run();
    expect((await get(order.out_trade_no)).status).toBe('PAID');
  });

  it('forced syncs are rate-limited to one orderquery per 5 s, however many race', async () => {
    const order = await createOrder({ openid: BUYER });
    await jsapiFor(order.out_trade_no);
    const replies = await Promise.all(Array.from({ length: 10 }, () => get(order.out_trade_no, '?sync=true')));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill('NOTPAY'));
    // exactly one orderquery reached the simulator (its call log, not ours)
    const { calls } = (await (await api(`/sandbox/sim/calls?out_trade_no=${order.out_trade_no}`)).json()) as { calls: { endpoint: string }[] };
    expect(calls.filter((c) => c.endpoint === 'orderquery')).toHaveLength(1);
  });

  it('orderquery failing never fails the read', async () => {
    const order = await createOrder({ openid: BUYER });
    await jsapiFor(order.out_trade_no);
    await simScenario(order.out_trade_no, { faults: [{ endpoint: 'orderquery', error: 'SYSTEMERROR', times: 3 }] });
    expect((await get(order.out_trade_no, '?sync=true')).status).toBe('NOTPAY');
  });
});

describe('POST /v1/orders/:out_trade_no/close', () => {
  it('within 5 minutes of creation → 409 CLOSE_TOO_EARLY with retry_after, nothing changes', async () => {
    const order = await createOrder({ openid: BUYER });
    await jsapiFor(order.out_trade_no);
    const res = await close(order.out_trade_no);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CLOSE_TOO_EARLY');
    expect(res.body.error.retry_after).toBeGreaterThan(0);
    expect(res.body.error.retry_after).toBeLessThanOrEqual(300);
    expect(res.headers.get('Retry-After')).toBe(String(res.body.error.retry_after));
    expect((await orderRow(order.out_trade_no))!.status).toBe('NOTPAY');
  });

  it('after 5 minutes: closeorder at WeChat, then CLOSED; closing again is idempotent; jsapi then refuses', async () => {
    const order = await createOrder({ openid: BUYER });
    await jsapiFor(order.out_trade_no);
    await ageOrder(order.out_trade_no, 6 * 60_000);
    await simClock(6 * 60_000);
    const res = await close(order.out_trade_no);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ out_trade_no: order.out_trade_no, status: 'CLOSED' });
    expect(res.body.closed_at).toBeTruthy();
    const again = await close(order.out_trade_no);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('CLOSED');
    const pay = await jsapiFor(order.out_trade_no);
    expect(pay.status).toBe(409);
    expect(((await pay.json()) as any).error.code).toBe('ORDER_CLOSED');
  });

  it('an order WeChat never saw (no prepay) closes too (ORDERNOTEXIST counts as closed)', async () => {
    const order = await createOrder();
    await ageOrder(order.out_trade_no, 6 * 60_000);
    const res = await close(order.out_trade_no);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('CLOSED');
  });

  it('ORDERPAID race: the payment is confirmed by orderquery and recorded; the order is never CLOSED (T50)', async () => {
    const { order, transactionId } = await paidSilently();
    await ageOrder(order.out_trade_no, 6 * 60_000);
    await simClock(6 * 60_000);
    const res = await close(order.out_trade_no);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('ORDER_PAID');
    const row = await orderRow(order.out_trade_no);
    expect(row).toMatchObject({ status: 'PAID', transaction_id: transactionId });
    expect(row!.closed_at).toBeNull();
    expect(await ledgerRows(order.out_trade_no)).toHaveLength(1);
  });

  it('closeorder failing (SYSTEMERROR) → 502 and the order is payable again (CLOSING → NOTPAY)', async () => {
    const order = await createOrder({ openid: BUYER });
    await jsapiFor(order.out_trade_no);
    await ageOrder(order.out_trade_no, 6 * 60_000);
    await simClock(6 * 60_000);
    await simScenario(order.out_trade_no, { faults: [{ endpoint: 'closeorder', error: 'SYSTEMERROR' }] });
    const res = await close(order.out_trade_no);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect((await orderRow(order.out_trade_no))!.status).toBe('NOTPAY');
    expect((await close(order.out_trade_no)).body.status).toBe('CLOSED');
  });

  it('a paid order cannot be closed', async () => {
    const { order } = await paidSilently();
    await get(order.out_trade_no, '?sync=true');
    await ageOrder(order.out_trade_no, 6 * 60_000);
    const res = await close(order.out_trade_no);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('ORDER_PAID');
  });

  it('an order WeChat closed by itself is found CLOSED by sync', async () => {
    const order = await createOrder({ openid: BUYER });
    await jsapiFor(order.out_trade_no);
    await simClock(6 * 60_000);
    // close at WeChat only, as the system does for unpaid orders (the local row still says NOTPAY)
    const { closeOrder } = await import('../../src/worker/wechat');
    const { wechatDeps } = await import('../../src/worker/compose/wiring');
    const { parseConfig } = await import('../../src/worker/platform/config');
    const { exports } = await import('cloudflare:workers');
    const cfg = parseConfig(env as unknown as Record<string, unknown>);
    if (!cfg.ok) throw new Error('config');
    await closeOrder(wechatDeps(cfg.config, env, { exports }), order.out_trade_no, 'HMAC-SHA256');
    expect((await get(order.out_trade_no, '?sync=true')).status).toBe('CLOSED');
  });
});
