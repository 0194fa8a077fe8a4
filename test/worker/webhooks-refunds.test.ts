// Refund events through the transactional outbox: refund.succeeded (→ SUCCESS) and refund.failed
// (→ FAILED, CHANGE, REFUNDCLOSE), written in the refund transition's own D1 batch with the order and
// the refund as the transition left them, once per transition, delivered and verified with the
// `standardwebhooks` package.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { buildRefundNotify } from '../../src/sandbox/notify';
import { INJECTED_FAULT_TAG } from '../support/injected-fault';
import { MERCHANT, OK, RETRY, postNotify } from '../support/notify-helpers';
import {
  AUTH,
  anomalies,
  api,
  flushRefundNotify,
  ledger,
  orderView,
  paidOrder,
  plainRefundNotify,
  processingRefund,
  refundGet,
  refundReq,
  refundRow,
  simScenario,
} from '../support/refunds-helpers';
import {
  configureReceiver,
  deliverVerified,
  eventRows,
  messageFor,
  received,
  receiverEnv,
  runQueue,
  verifyWithStandardWebhooks,
} from '../support/webhooks-helpers';

const REFUND_NOTIFY_URL = 'http://127.0.0.1:8787/wechat/refund-notify';

/** The refund events of an order, oldest first, with data parsed. */
async function refundEvents(no: string) {
  return (await eventRows(no))
    .filter((e) => String(e.type).startsWith('refund.'))
    .map((e): Record<string, any> => ({ ...e, data: JSON.parse(e.data as string) }));
}

describe('order.paid retried after the order changed', { timeout: 60_000 }, () => {
  it('every attempt of one event sends the same bytes, whatever changed the order between them (a refund)', async () => {
    const no = await paidOrder(1999);
    const paid = (await eventRows(no)).find((e) => e.type === 'order.paid')!;
    const hook = receiverEnv();
    await configureReceiver(hook.name, 1);
    expect((await runQueue(hook.env, [await messageFor(paid.id as string)])).retryMessages).toHaveLength(1);

    // Between the attempts the order moves on: a partial refund succeeds (status, refund sums, updated_at).
    await refundReq(no, { refund_fee: 500, out_refund_no: `${no}-r1` });
    await flushRefundNotify(`${no}-r1`);
    expect(await orderView(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 500 });

    expect((await runQueue(hook.env, [await messageFor(paid.id as string)])).explicitAcks).toHaveLength(1);
    const got = await received(hook.name);
    expect(got.map((r) => r.reply)).toEqual(['http500', 'ack']);
    expect(got[1]!.body).toBe(got[0]!.body);
    expect(verifyWithStandardWebhooks(got[1]!).data.order).toMatchObject({ status: 'PAID', refunded_fee: 0, refundable_fee: 1999 });
  });
});

describe('refund.succeeded', { timeout: 60_000 }, () => {
  it('partial then full: each SUCCESS emits one refund.succeeded whose data.order (PARTIALLY_REFUNDED / REFUNDED, refunded_fee) and data.refund are the GET views; delivered and verified with standardwebhooks', async () => {
    const no = await paidOrder(1999);
    const first = await refundReq(no, { refund_fee: 500, out_refund_no: `${no}-r1` });
    expect(first.body.status).toBe('PROCESSING');
    expect(await refundEvents(no)).toEqual([]); // PROCESSING emits nothing

    await flushRefundNotify(`${no}-r1`);
    const [e1] = await refundEvents(no);
    expect(e1).toMatchObject({ type: 'refund.succeeded', dedupe_key: `refund.succeeded:${no}-r1`, status: 'pending' });
    const p1 = await deliverVerified(e1!.id);
    expect(p1).toMatchObject({ id: e1!.id, type: 'refund.succeeded', created_at: e1!.created_at });
    expect(Object.keys(p1.data).sort()).toEqual(['order', 'refund']);
    expect(p1.data.order).toEqual(await orderView(no));
    expect(p1.data.order).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 500, refundable_fee: 1499 });
    expect(p1.data.refund).toEqual((await refundGet(`${no}-r1`)).body);
    expect(p1.data.refund).toMatchObject({ status: 'SUCCESS', refund_fee: 500 });

    const rest = await refundReq(no, { refund_fee: 1499, out_refund_no: `${no}-r2` });
    await flushRefundNotify(rest.body.out_refund_no);
    const events = await refundEvents(no);
    expect(events.map((e) => e.type)).toEqual(['refund.succeeded', 'refund.succeeded']);
    const p2 = await deliverVerified(events[1]!.id);
    expect(p2.data.order).toEqual(await orderView(no));
    expect(p2.data.order).toMatchObject({ status: 'REFUNDED', refunded_fee: 1999, refundable_fee: 0 });
    expect(p2.data.refund).toEqual((await refundGet(`${no}-r2`)).body);
    // the first event still carries the order as ITS change left it (the events API shows the same body)
    const shown = (await (await api(`/v1/events/${e1!.id}`, { headers: AUTH })).json()) as Record<string, any>;
    expect(shown.data).toEqual(p1.data);
  });

  it('the same refund notify redelivered (3 in a row, then 10 at once): one SUCCESS, one ledger debit, one refund.succeeded', async () => {
    const { no, orn, refundId } = await processingRefund();
    const { xml } = await buildRefundNotify(plainRefundNotify(no, orn, refundId), MERCHANT);
    for (let i = 0; i < 3; i++) expect(await (await postNotify(xml, { 'Content-Type': 'text/xml' }, REFUND_NOTIFY_URL)).text()).toBe(OK);
    const replies = await Promise.all(
      Array.from({ length: 10 }, async () => (await postNotify(xml, { 'Content-Type': 'text/xml' }, REFUND_NOTIFY_URL)).text()),
    );
    expect(new Set(replies)).toEqual(new Set([OK]));
    expect((await refundRow(orn))!.status).toBe('SUCCESS');
    expect((await ledger(no)).filter((l) => l.kind === 'REFUND')).toHaveLength(1);
    const events = await refundEvents(no);
    expect(events.map((e) => e.type)).toEqual(['refund.succeeded']);
    expect(events[0]!.data.refund).toMatchObject({ out_refund_no: orn, status: 'SUCCESS', refund_id: refundId, succeeded_at: '2026-01-01T19:04:05.000Z' });
  });
});

describe('refund.failed', { timeout: 60_000 }, () => {
  it('NOTENOUGH (the refund API refuses for certain) → FAILED → one refund.failed, the amount released in data.order; the replay adds none', async () => {
    const no = await paidOrder(1000);
    await simScenario(no, { faults: [{ endpoint: 'refund', error: 'NOTENOUGH' }] });
    const r = await refundReq(no, { refund_fee: 1000, out_refund_no: `${no}-ne` });
    expect(r.body).toMatchObject({ status: 'FAILED', failure_reason: 'NOTENOUGH' });
    expect((await refundReq(no, { refund_fee: 1000, out_refund_no: `${no}-ne` })).status).toBe(200);
    const events = await refundEvents(no);
    expect(events.map((e) => [e.type, e.dedupe_key])).toEqual([['refund.failed', `refund.failed:${no}-ne`]]);
    const p = await deliverVerified(events[0]!.id);
    expect(p.type).toBe('refund.failed');
    expect(p.data.refund).toEqual((await refundGet(`${no}-ne`)).body);
    expect(p.data.refund).toMatchObject({ status: 'FAILED', failure_reason: 'NOTENOUGH', refund_id: null });
    expect(p.data.order).toEqual(await orderView(no));
    expect(p.data.order).toMatchObject({ status: 'PAID', refunded_fee: 0, refundable_fee: 1000 });
  });

  it('CHANGE → one refund.failed (failure_reason CHANGE, amount kept reserved) and the REFUND_CHANGE anomaly’s order.anomaly, in the same batch', async () => {
    const no = await paidOrder(1000, { refund_status: 'CHANGE' });
    await refundReq(no, { refund_fee: 400, out_refund_no: `${no}-chg` });
    await flushRefundNotify(`${no}-chg`);
    const types = (await eventRows(no)).map((e) => e.type);
    expect(types).toEqual(['order.paid', 'refund.failed', 'order.anomaly']);
    const [failed] = await refundEvents(no);
    const p = await deliverVerified(failed!.id);
    expect(p.data.refund).toEqual((await refundGet(`${no}-chg`)).body);
    expect(p.data.refund).toMatchObject({ status: 'CHANGE', failure_reason: 'CHANGE' });
    expect(p.data.order).toMatchObject({ status: 'PAID', refunded_fee: 0, refundable_fee: 600 });
    const anomaly = (await eventRows(no)).find((e) => e.type === 'order.anomaly')!;
    expect(JSON.parse(anomaly.data)).toMatchObject({ anomaly: { kind: 'REFUND_CHANGE', detail: { action: 'REFUND_BY_HAND' } } });
    expect((await anomalies(no)).map((a) => a.kind)).toEqual(['REFUND_CHANGE']);
  });

  it('REFUNDCLOSE → one refund.failed, the amount refundable again in data.order', async () => {
    const no = await paidOrder(1000, { refund_status: 'REFUNDCLOSE' });
    await refundReq(no, { refund_fee: 1000, out_refund_no: `${no}-cls` });
    await flushRefundNotify(`${no}-cls`);
    await flushRefundNotify(`${no}-cls`);
    const events = await refundEvents(no);
    expect(events.map((e) => e.type)).toEqual(['refund.failed']);
    const p = await deliverVerified(events[0]!.id);
    expect(p.data.refund).toMatchObject({ status: 'REFUNDCLOSE', failure_reason: 'REFUNDCLOSE' });
    expect(p.data.order).toEqual(await orderView(no));
    expect(p.data.order).toMatchObject({ status: 'PAID', refundable_fee: 1000 });
  });

  it('a contradicting final status afterwards (REFUNDCLOSE after SUCCESS) adds no refund event, only the anomaly’s order.anomaly', async () => {
    const { no, orn, refundId } = await processingRefund();
    const { xml } = await buildRefundNotify(plainRefundNotify(no, orn, refundId), MERCHANT);
    expect(await (await postNotify(xml, { 'Content-Type': 'text/xml' }, REFUND_NOTIFY_URL)).text()).toBe(OK);
    const { xml: closed } = await buildRefundNotify(plainRefundNotify(no, orn, refundId, { refund_status: 'REFUNDCLOSE' }), MERCHANT);
    expect(await (await postNotify(closed, { 'Content-Type': 'text/xml' }, REFUND_NOTIFY_URL)).text()).toBe(OK);
    expect((await eventRows(no)).map((e) => e.type)).toEqual(['order.paid', 'refund.succeeded', 'order.anomaly']);
  });
});

describe('refund outbox atomicity', { timeout: 60_000 }, () => {
  it('the refund event insert failing rolls back the refund change: RETRY, still PROCESSING, no debit, order unchanged; the redelivery commits both', async () => {
    const { no, orn, refundId } = await processingRefund();
    const before = await orderView(no);
    const { xml } = await buildRefundNotify(plainRefundNotify(no, orn, refundId), MERCHANT);
    await env.DB.exec(
      `CREATE TRIGGER fail_refund_events BEFORE INSERT ON events WHEN NEW.type LIKE 'refund.%' BEGIN SELECT RAISE(ABORT, '${INJECTED_FAULT_TAG} refund event insert failure'); END`,
    );
    try {
      expect(await (await postNotify(xml, { 'Content-Type': 'text/xml' }, REFUND_NOTIFY_URL)).text()).toBe(RETRY);
      expect((await refundRow(orn))!.status).toBe('PROCESSING');
      expect((await ledger(no)).filter((l) => l.kind === 'REFUND')).toEqual([]);
      expect(await orderView(no)).toEqual(before);
      expect(await refundEvents(no)).toEqual([]);
      const notes = (await env.DB.prepare("SELECT COUNT(*) AS n FROM notifications WHERE out_trade_no = ?1 AND kind = 'REFUND'")
        .bind(no)
        .first<{ n: number }>())!;
      expect(notes.n).toBe(0);
    } finally {
      await env.DB.exec('DROP TRIGGER fail_refund_events');
    }
    expect(await (await postNotify(xml, { 'Content-Type': 'text/xml' }, REFUND_NOTIFY_URL)).text()).toBe(OK);
    expect((await refundRow(orn))!.status).toBe('SUCCESS');
    expect((await ledger(no)).filter((l) => l.kind === 'REFUND')).toHaveLength(1);
    expect((await refundEvents(no)).map((e) => e.type)).toEqual(['refund.succeeded']);
    expect(await orderView(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 300 });
  });
});
