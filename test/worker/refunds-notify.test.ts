// Issue 10: the refund notify against real refund rows, and payment replays after a refund.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { buildXml } from '../../src/core';
import { buildRefundNotify } from '../../src/sandbox/notify';
import { createApp } from '../../src/worker/compose/app';
import { LIVE } from '../support/checkout-helpers';
import { MERCHANT, OK, SIGN_ERROR, postNotify, snap } from '../support/notify-helpers';
import {
  anomalies,
  api,
  flushRefundNotify,
  ledger,
  orderView,
  paidOrder,
  plainRefundNotify,
  processingRefund,
  refundReq,
  refundRow,
} from '../support/refunds-helpers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';

const URL = 'http://127.0.0.1:8787/wechat/refund-notify';

describe('refund notify matching', { timeout: 60_000 }, () => {
  it('an authentic, matching notify → SUCCESS with success_time, one REFUND ledger row and a REFUND notification, once across redeliveries', async () => {
    const { no, orn, refundId } = await processingRefund();
    const { xml } = await buildRefundNotify(plainRefundNotify(no, orn, refundId), MERCHANT);
    for (let i = 0; i < 3; i++) expect(await (await postNotify(xml, { 'Content-Type': 'text/xml' }, URL)).text()).toBe(OK);
    expect(await refundRow(orn)).toMatchObject({ status: 'SUCCESS', succeeded_at: '2026-01-01T19:04:05.000Z', refund_id: refundId });
    expect((await ledger(no)).filter((l) => l.kind === 'REFUND')).toEqual([{ kind: 'REFUND', amount_fen: 300, transaction_id: orn }]);
    const notes = (await env.DB.prepare("SELECT verdict FROM notifications WHERE out_trade_no = ?1 AND kind = 'REFUND'").bind(no).all()).results;
    expect(notes).toEqual([{ verdict: 'REFUND_SUCCESS' }]);
    // A contradicting final status afterwards is an anomaly, never applied.
    const { xml: closed } = await buildRefundNotify(plainRefundNotify(no, orn, refundId, { refund_status: 'REFUNDCLOSE' }), MERCHANT);
    expect(await (await postNotify(closed, { 'Content-Type': 'text/xml' }, URL)).text()).toBe(OK);
    expect((await refundRow(orn))!.status).toBe('SUCCESS');
    expect((await anomalies(no)).map((a) => a.kind)).toEqual(['REFUND_STATE_CONFLICT']);
  });

  it('a refund notify encrypted under another key → FAIL(SIGN_ERROR), nothing written', async () => {
    const { no, orn, refundId } = await processingRefund();
    const { fields } = await buildRefundNotify(plainRefundNotify(no, orn, refundId), { ...MERCHANT, key: 'FAKE0other0key0for0tests00000000' });
    const before = await snap();
    expect(await (await postNotify(buildXml(fields), { 'Content-Type': 'text/xml' }, URL)).text()).toBe(SIGN_ERROR);
    expect(await snap()).toBe(before);
    expect((await refundRow(orn))!.status).toBe('PROCESSING');
  });

  it.each([
    ['refund_fee', { refund_fee: '301' }, 'REFUND_AMOUNT_MISMATCH'],
    ['total_fee', { total_fee: '999' }, 'REFUND_AMOUNT_MISMATCH'],
    ['out_trade_no of another order', { out_trade_no: 'OTHER000001' }, 'UNKNOWN_ORDER'],
    ['refund_id', { refund_id: '50300000000000000000000000999' }, 'REFUND_MISMATCH'],
    ['refund_status', { refund_status: 'PROCESSING' }, 'MALFORMED_FIELD'],
  ])('authentic but wrong %s → anomaly + OK, the refund, order and ledger unchanged', async (_name, over, kind) => {
    const { no, orn, refundId } = await processingRefund();
    const before = { refund: await refundRow(orn), order: await orderView(no), ledger: await ledger(no) };
    const { xml } = await buildRefundNotify(plainRefundNotify(no, orn, refundId, over as Record<string, string>), MERCHANT);
    expect(await (await postNotify(xml, { 'Content-Type': 'text/xml' }, URL)).text()).toBe(OK);
    expect({ refund: await refundRow(orn), order: await orderView(no), ledger: await ledger(no) }).toEqual(before);
    const rows = (await env.DB.prepare('SELECT verdict FROM notifications WHERE raw_body = ?1').bind(xml).all()).results;
    expect(rows.map((r) => r.verdict)).toEqual([`ANOMALY:${kind}`]);
  });

  it('a notify for a refund we never filed (made in the merchant platform) → REFUND_UNMATCHED + OK', async () => {
    const { no } = await processingRefund();
    const { xml } = await buildRefundNotify(plainRefundNotify(no, `${no}-byhand`, '50300000000000000000000000777'), MERCHANT);
    expect(await (await postNotify(xml, { 'Content-Type': 'text/xml' }, URL)).text()).toBe(OK);
    expect((await anomalies(no)).map((a) => a.kind)).toEqual(['REFUND_UNMATCHED']);
  });
});

describe('payment replays after a refund (I5)', { timeout: 60_000 }, () => {
  it('T65: the payment notify replayed after a refund succeeded → OK, still PARTIALLY_REFUNDED, one credit, a LATE_PAYMENT_NOTIFY anomaly — with the isolate cache warm', async () => {
    const no = await paidOrder(1000);
    const r = await refundReq(no, { refund_fee: 100, out_refund_no: `${no}-x` });
    await flushRefundNotify(`${no}-x`);
    expect((await orderView(no)).status).toBe('PARTIALLY_REFUNDED');
    // The simulator replays the exact bytes of the payment notify, several times.
    for (let i = 0; i < 3; i++) {
      const res = await api('/sandbox/sim/deliveries/resend', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ out_trade_no: no }),
      });
      expect(res.status).toBe(200);
    }
    expect(await orderView(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 100 });
    expect((await ledger(no)).map((l) => [l.kind, l.amount_fen])).toEqual([
      ['PAYMENT', 1000],
      ['REFUND', 100],
    ]);
    expect((await anomalies(no)).map((a) => a.kind)).toEqual(['LATE_PAYMENT_NOTIFY']);
    expect(r.status).toBe(201);
  });
});

describe('a payment notify read before a refund committed (I5)', () => {
  it('its stale PAID snapshot is not trusted: LATE_PAYMENT_NOTIFY, and the paid memo is not brought back', async () => {
    const no = await paidOrder(1000);
    const paid = (await env.DB.prepare('SELECT transaction_id FROM orders WHERE out_trade_no = ?1').bind(no).first<{ transaction_id: string }>())!;
    // A duplicate notify read the order while it was still PAID, then waited for the gate's lock while a
    // refund committed; it reaches applyPayment with that snapshot.
    const stale = { status: 'PAID' as const, totalFee: 1000, feeType: 'CNY', transactionId: paid.transaction_id };
    await refundReq(no, { refund_fee: 100, out_refund_no: `${no}-s` });
    await flushRefundNotify(`${no}-s`);
    expect((await orderView(no)).status).toBe('PARTIALLY_REFUNDED');
    const facts = { outTradeNo: no, transactionId: paid.transaction_id, totalFee: 1000, feeType: 'CNY', source: 'NOTIFY' as const };
    const first = await env.ORDER_GATE.getByName(no).applyPayment(facts, undefined, stale);
    expect(first).toEqual({ outcome: 'LATE_PAYMENT', status: 'PARTIALLY_REFUNDED' });
    // Nor is a later replay answered from a memo: it takes the full path to the same verdict.
    const again = await env.ORDER_GATE.getByName(no).applyPayment(facts);
    expect(again).toEqual({ outcome: 'LATE_PAYMENT', status: 'PARTIALLY_REFUNDED' });
    expect((await anomalies(no)).map((a) => a.kind)).toEqual(['LATE_PAYMENT_NOTIFY']);
    expect((await ledger(no)).map((l) => [l.kind, l.amount_fen])).toEqual([
      ['PAYMENT', 1000],
      ['REFUND', 100],
    ]);
  });
});

describe('live mode without the certificate binding', () => {
  it('refunds fail closed with 503 REFUND_UNAVAILABLE before anything is reserved', async () => {
    const no = await paidOrder(1000);
    const ctx = createExecutionContext();
    const res = await createApp().fetch(
      new Request(`https://pay.example.com/v1/orders/${no}/refunds`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${LIVE.MERCHANT_API_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ refund_fee: 100, out_refund_no: `${no}-live` }),
      }),
      { ...env, ...LIVE } as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.code).toBe('REFUND_UNAVAILABLE');
    expect(await refundRow(`${no}-live`)).toBeNull();
    expect(await orderView(no)).toMatchObject({ refundable_fee: 1000 });
  });
});
