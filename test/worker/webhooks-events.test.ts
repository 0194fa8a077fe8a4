// The transactional outbox: which changes emit which events, in the change's own D1 batch (a failing
// batch leaves neither), once per change however often it is retried; and the events API feed.
import { automaticRefundsSent } from '../support/refunds-helpers';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { INJECTED_FAULT_TAG } from '../support/injected-fault';
import { AUTH, BUYER, ageOrder, api, createOrder, jsapiFor, prepayIdOf, simClock, simPay } from '../support/orders-helpers';
import { ledgerRows, orderRow, postNotify, seedOrder, signedNotify } from '../support/notify-helpers';
import { eventRows } from '../support/webhooks-helpers';

async function eventsOf(no: string) {
  const res = await api(`/v1/events?limit=100`, { headers: AUTH });
  expect(res.status).toBe(200);
  const all: Record<string, any>[] = [];
  let page = (await res.json()) as { data: Record<string, any>[]; has_more: boolean };
  all.push(...page.data);
  while (page.has_more) {
    page = (await (await api(`/v1/events?limit=100&after=${all[all.length - 1]!.id}`, { headers: AUTH })).json()) as typeof page;
    all.push(...page.data);
  }
  return all.filter((e) => e.data.order?.out_trade_no === no || e.data.anomaly?.detail?.out_trade_no === no);
}

describe('events emitted with the change', () => {
  it('order.paid: data.order is exactly the GET /v1/orders view of the paid order (the snapshot covers every view field)', async () => {
    const order = await createOrder({ openid: BUYER, metadata: { sku: 'A-1' }, attach: 'gift' });
    const params = (await (await jsapiFor(order.out_trade_no)).json()) as { package: string };
    await simPay(prepayIdOf(params));
    const view = (await (await api(`/v1/orders/${order.out_trade_no}`, { headers: AUTH })).json()) as Record<string, any>;
    expect(view.status).toBe('PAID');
    const events = await eventsOf(order.out_trade_no);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'order.paid', delivery: { status: 'pending', attempts: 0 } });
    expect(events[0]!.id).toMatch(/^evt_[A-Za-z0-9]{24}$/);
    expect(events[0]!.data.order).toEqual(view);
    expect(Object.keys(events[0]!.data)).toEqual(['order']);
  });

  it('50 concurrent copies of the notify: one transition, one credit, one order.paid', async () => {
    const no = await seedOrder({ prepayOpenid: BUYER });
    const body = (await signedNotify(no, { openid: BUYER })).xml;
    await Promise.all(Array.from({ length: 50 }, () => postNotify(body)));
    expect(await ledgerRows(no)).toHaveLength(1);
    expect((await eventRows(no)).map((e) => e.type)).toEqual(['order.paid']);
  });

  it('order.closed when the merchant closes; closing again adds none', async () => {
    const order = await createOrder({ openid: BUYER });
    await jsapiFor(order.out_trade_no);
    await ageOrder(order.out_trade_no, 6 * 60_000);
    await simClock(6 * 60_000);
    try {
      const res = await api(`/v1/orders/${order.out_trade_no}/close`, { method: 'POST', headers: AUTH });
      expect(res.status).toBe(200);
      const closed = (await res.json()) as Record<string, any>;
      expect((await api(`/v1/orders/${order.out_trade_no}/close`, { method: 'POST', headers: AUTH })).status).toBe(200);
      const events = await eventRows(order.out_trade_no);
      expect(events.map((e) => e.type)).toEqual(['order.closed']);
      const [event] = await eventsOf(order.out_trade_no);
      expect(event!.data.order).toEqual(closed);
      expect(event!.data.order.status).toBe('CLOSED');
    } finally {
      await simClock(0);
    }
  });

  it('order.anomaly for an authentic notify that cannot apply (AMOUNT_MISMATCH); a re-sent copy adds none', async () => {
    const no = await seedOrder({ prepayOpenid: BUYER });
    const body = (await signedNotify(no, { openid: BUYER, total_fee: 1 })).xml;
    expect((await postNotify(body)).status).toBe(200);
    expect((await postNotify(body)).status).toBe(200);
    const events = await eventRows(no);
    expect(events.map((e) => e.type)).toEqual(['order.anomaly']);
    const [event] = await eventsOf(no);
    expect(event!.data.anomaly).toEqual({ kind: 'AMOUNT_MISMATCH', detail: { expected: 1999, total_fee: 1 } });
    expect(event!.data.order).toMatchObject({ out_trade_no: no, status: 'NOTPAY' });
    expect((await orderRow(no))!.status).toBe('NOTPAY');
  });

  it('order.anomaly about an order we do not know: data.order is null', async () => {
    const no = `UNKNOWN${Date.now().toString(36)}`;
    expect((await postNotify((await signedNotify(no)).xml)).status).toBe(200);
    const events = await eventRows(no);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'order.anomaly', order_status: null, order_updated_at: null });
  });

  it('a payment after a local close: PAID_AFTER_CLOSE with order.paid and order.anomaly (AUTOMATIC_REFUND), in one batch with the refund reserved', async () => {
    const no = await seedOrder({ status: 'CLOSED', prepayOpenid: BUYER });
    expect((await postNotify((await signedNotify(no, { openid: BUYER })).xml)).status).toBe(200);
    expect((await orderRow(no))!.status).toBe('PAID_AFTER_CLOSE');
    const events = await eventRows(no);
    expect(events.map((e) => e.type)).toEqual(['order.paid', 'order.anomaly']);
    expect(JSON.parse(events[1]!.data)).toMatchObject({
      anomaly: { kind: 'PAID_AFTER_CLOSE', detail: { action: 'AUTOMATIC_REFUND', out_refund_no: `late_${no}` } },
    });
    expect(events[0]).toMatchObject({ order_status: 'PAID_AFTER_CLOSE', order_reserved_fee: 1999 });
    await automaticRefundsSent(no);
  });
});

describe('outbox atomicity', () => {
  it('the event insert failing rolls back the payment: RETRY, order NOTPAY, no credit, no event; the redelivery commits both', async () => {
    const no = await seedOrder({ prepayOpenid: BUYER });
    const body = (await signedNotify(no, { openid: BUYER })).xml;
    await env.DB.exec(`CREATE TRIGGER fail_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, '${INJECTED_FAULT_TAG} events insert failure'); END`);
    try {
      const res = await postNotify(body);
      expect(res.status).toBe(503);
      expect((await orderRow(no))!.status).toBe('NOTPAY');
      expect(await ledgerRows(no)).toEqual([]);
      expect(await eventRows(no)).toEqual([]);
    } finally {
      await env.DB.exec('DROP TRIGGER fail_events');
    }
    expect((await postNotify(body)).status).toBe(200);
    expect((await orderRow(no))!.status).toBe('PAID');
    expect(await ledgerRows(no)).toHaveLength(1);
    expect((await eventRows(no)).map((e) => e.type)).toEqual(['order.paid']);
  });

  it('the payment failing (ledger insert) leaves no event either', async () => {
    const no = await seedOrder({ prepayOpenid: BUYER });
    await env.DB.exec(`CREATE TRIGGER fail_ledger_wh BEFORE INSERT ON ledger BEGIN SELECT RAISE(ABORT, '${INJECTED_FAULT_TAG} ledger failure'); END`);
    try {
      expect((await postNotify((await signedNotify(no, { openid: BUYER })).xml)).status).toBe(503);
    } finally {
      await env.DB.exec('DROP TRIGGER fail_ledger_wh');
    }
    expect((await orderRow(no))!.status).toBe('NOTPAY');
    expect(await eventRows(no)).toEqual([]);
  });

  it('an anomaly whose event cannot be written is not recorded either (RETRY, then recorded once)', async () => {
    const no = await seedOrder({ prepayOpenid: BUYER });
    const body = (await signedNotify(no, { openid: BUYER, total_fee: 5 })).xml;
    await env.DB.exec(`CREATE TRIGGER fail_events2 BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, '${INJECTED_FAULT_TAG} events insert failure'); END`);
    try {
      expect((await postNotify(body)).status).toBe(503);
      expect((await env.DB.prepare('SELECT count(*) AS n FROM anomalies WHERE out_trade_no = ?1').bind(no).first<{ n: number }>())!.n).toBe(0);
    } finally {
      await env.DB.exec('DROP TRIGGER fail_events2');
    }
    expect((await postNotify(body)).status).toBe(200);
    expect((await eventRows(no)).map((e) => e.type)).toEqual(['order.anomaly']);
  });
});

describe('GET /v1/events', () => {
  it('oldest first, `after` continues without gaps or duplicates, `type` filters, bad input is 400', async () => {
    const nos: string[] = [];
    for (let i = 0; i < 5; i++) {
      const no = await seedOrder({ prepayOpenid: BUYER });
      await postNotify((await signedNotify(no, { openid: BUYER })).xml);
      nos.push(no);
    }
    const seen: string[] = [];
    let after = '';
    for (;;) {
      const page = (await (await api(`/v1/events?type=order.paid&limit=2${after}`, { headers: AUTH })).json()) as {
        data: Record<string, any>[];
        has_more: boolean;
      };
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((e) => e.id));
      for (const e of page.data) expect(e.type).toBe('order.paid');
      if (!page.has_more) break;
      after = `&after=${page.data[page.data.length - 1]!.id}`;
    }
    expect(new Set(seen).size).toBe(seen.length);
    const mine = (await Promise.all(nos.map((no) => eventRows(no)))).flat().map((e) => e.id);
    expect(seen.filter((id) => mine.includes(id))).toEqual(mine); // commit order
    for (const bad of ['?limit=0', '?limit=101', '?type=order.shipped', '?after=evt_nope', '?after=evt_000000000000000000000000', '?foo=1']) {
      const res = await api(`/v1/events${bad}`, { headers: AUTH });
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as any).error.code).toBe('VALIDATION_FAILED');
    }
    expect((await api('/v1/events/evt_000000000000000000000000', { headers: AUTH })).status).toBe(404);
  });

  it('the events API is in the OpenAPI document', async () => {
    const doc = (await (await api('/openapi.json')).json()) as Record<string, any>;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/events', '/v1/events/{id}', '/v1/events/{id}/redeliver']));
    expect(doc.paths['/v1/events/{id}/redeliver'].post.responses['202']).toBeDefined();
    expect(doc.paths['/v1/events'].get.parameters.map((p: any) => p.name)).toEqual(['type', 'after', 'limit']);
    expect(doc.components.schemas.Event.properties.type.enum).toEqual([
      'order.paid',
      'order.closed',
      'order.anomaly',
      'refund.succeeded',
      'refund.failed',
      'reconciliation.completed',
    ]);
  });
});
