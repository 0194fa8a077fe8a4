// Issue 10: refunds through the merchant API against the simulator (real D1, DO and simulator).
import { abortAllDurableObjects } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { advanceStuckRefunds } from '../../src/worker/refunds/advance';
import { createRefund, refundRequestHash } from '../../src/worker/refunds/create';
import { orderGate } from '../../src/worker/compose/wiring';
import {
  AUTH,
  ageRefund,
  anomalies,
  api,
  flushRefundNotify,
  ledger,
  orderView,
  paidOrder,
  refundDeliveries,
  refundGet,
  refundReq,
  refundRow,
  simCalls,
  simOrder,
  simScenario,
  testDeps,
} from '../support/refunds-helpers';

describe('refunds: the done-when walk-through', { timeout: 60_000 }, () => {
  it('pay 1999, refund 500 (201, replay 200, other amount 409), notify → SUCCESS and PARTIALLY_REFUNDED; 1600 more → 409; 1499 more → REFUNDED; ledger 1999 in, 1999 out', async () => {
    const no = await paidOrder(1999);
    const first = await refundReq(no, { refund_fee: 500, out_refund_no: `${no}-r1`, reason: '尺码不合适' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      out_refund_no: `${no}-r1`,
      out_trade_no: no,
      refund_fee: 500,
      total_fee: 1999,
      reason: '尺码不合适',
      status: 'PROCESSING',
      failure_reason: null,
      succeeded_at: null,
    });
    expect(first.body.refund_id).toBeTruthy();
    expect(first.body).toMatchObject({ payment_no: no, automatic: false });
    expect(Object.keys(first.body).sort()).toEqual([
      'automatic',
      'created_at',
      'failure_reason',
      'out_refund_no',
      'out_trade_no',
      'payment_no',
      'reason',
      'refund_fee',
      'refund_id',
      'status',
      'succeeded_at',
      'total_fee',
    ]);

    const again = await refundReq(no, { refund_fee: 500, out_refund_no: `${no}-r1`, reason: '尺码不合适' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const other = await refundReq(no, { refund_fee: 501, out_refund_no: `${no}-r1`, reason: '尺码不合适' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await simCalls(no)).toBe(1);
    expect(await orderView(no)).toMatchObject({ status: 'PAID', refunded_fee: 0, refundable_fee: 1499 });

    await flushRefundNotify(`${no}-r1`);
    expect((await refundGet(`${no}-r1`)).body).toMatchObject({ status: 'SUCCESS' });
    expect((await refundGet(`${no}-r1`)).body.succeeded_at).toBeTruthy();
    expect(await orderView(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 500, refundable_fee: 1499 });

    const tooMuch = await refundReq(no, { refund_fee: 1600 });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error).toMatchObject({ code: 'REFUND_EXCEEDS_PAID', refundable_fee: 1499 });

    const rest = await refundReq(no, { refund_fee: 1499 });
    expect(rest.status).toBe(201);
    expect(rest.body.out_refund_no).toMatch(/^R\d{8}[A-Za-z0-9]{24}$/); // generated
    await flushRefundNotify(rest.body.out_refund_no);
    expect(await orderView(no)).toMatchObject({ status: 'REFUNDED', refunded_fee: 1999, refundable_fee: 0 });

    const further = await refundReq(no, { refund_fee: 1 });
    expect(further.status).toBe(409);
    expect(further.body.error.code).toBe('ORDER_NOT_REFUNDABLE');

    const rows = await ledger(no);
    expect(rows.filter((r) => r.kind === 'PAYMENT').map((r) => r.amount_fen)).toEqual([1999]);
    expect(rows.filter((r) => r.kind === 'REFUND').map((r) => [r.amount_fen, r.transaction_id])).toEqual([
      [500, `${no}-r1`],
      [1499, rest.body.out_refund_no],
    ]);
    const list = (await (await api(`/v1/orders/${no}/refunds`, { headers: AUTH })).json()) as { data: Array<Record<string, any>> };
    expect(list.data.map((r) => [r.refund_fee, r.status])).toEqual([
      [500, 'SUCCESS'],
      [1499, 'SUCCESS'],
    ]);
    // The simulator (WeChat) agrees: all of it refunded.
    expect(await simOrder(no)).toMatchObject({ refunded_fee: 1999, total_fee: 1999 });
  });

  it('T70: 10 concurrent 400-fen refunds of a 1000-fen order → exactly 2 accepted, 8 REFUND_EXCEEDS_PAID, exactly 2 refund calls at WeChat', async () => {
    const no = await paidOrder(1000);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => refundReq(no, { refund_fee: 400, out_refund_no: `${no}-c${i}` })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 409, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.error).toMatchObject({ code: 'REFUND_EXCEEDS_PAID', refundable_fee: 200 });
    expect(await simCalls(no)).toBe(2);
    expect((await env.DB.prepare('SELECT COUNT(*) AS n FROM refunds WHERE out_trade_no = ?1').bind(no).first<{ n: number }>())!.n).toBe(2);
    expect(await orderView(no)).toMatchObject({ refundable_fee: 200 });
  });
});

describe('refunds: WeChat answers and faults', { timeout: 60_000 }, () => {
  it('NOTENOUGH (a definitive business FAIL) → FAILED, the amount released; a later refund can use it', async () => {
    const no = await paidOrder(1000);
    await simScenario(no, { faults: [{ endpoint: 'refund', error: 'NOTENOUGH' }] });
    const r = await refundReq(no, { refund_fee: 1000, out_refund_no: `${no}-ne` });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'FAILED', failure_reason: 'NOTENOUGH', refund_id: null });
    expect(await orderView(no)).toMatchObject({ status: 'PAID', refundable_fee: 1000 });
    expect(await refundReq(no, { refund_fee: 1000, out_refund_no: `${no}-ne` })).toMatchObject({ status: 200, body: { status: 'FAILED' } });
    expect(await simCalls(no)).toBe(1); // a replay of a FAILED refund is not sent again
    const next = await refundReq(no, { refund_fee: 1000 });
    expect(next).toMatchObject({ status: 201, body: { status: 'PROCESSING' } });
  });

  it('T71: SYSTEMERROR keeps SUBMITTING with the amount reserved; the merchant retry resends the SAME out_refund_no', async () => {
    const no = await paidOrder(1000);
    await simScenario(no, { faults: [{ endpoint: 'refund', error: 'SYSTEMERROR' }] });
    const r = await refundReq(no, { refund_fee: 600, out_refund_no: `${no}-se` });
    expect(r).toMatchObject({ status: 201, body: { status: 'SUBMITTING', refund_id: null } });
    expect(await orderView(no)).toMatchObject({ refundable_fee: 400 });
    expect(await refundReq(no, { refund_fee: 500 })).toMatchObject({ status: 409, body: { error: { code: 'REFUND_EXCEEDS_PAID', refundable_fee: 400 } } });

    // A replay within the attempt window does not call WeChat again.
    expect(await refundReq(no, { refund_fee: 600, out_refund_no: `${no}-se` })).toMatchObject({ status: 200, body: { status: 'SUBMITTING' } });
    expect(await simCalls(no)).toBe(1);
    await ageRefund(`${no}-se`, 11_000);
    const retry = await refundReq(no, { refund_fee: 600, out_refund_no: `${no}-se` });
    expect(retry).toMatchObject({ status: 200, body: { status: 'PROCESSING' } });
    expect(await simCalls(no)).toBe(2);
    expect((await simOrder(no)).out_refund_nos).toEqual([`${no}-se`]); // one refund at WeChat, under our number
    expect((await refundRow(`${no}-se`))!.attempts).toBe(2);
  });

  it('a refund notify that arrives before the refund call has answered settles the refund; the late answer changes nothing', async () => {
    const no = await paidOrder(1000);
    const orn = `${no}-early`;
    await simScenario(no, { faults: [{ endpoint: 'refund', delay_ms: 3000 }] });
    const pending = refundReq(no, { refund_fee: 300, out_refund_no: orn });
    // WeChat has accepted and scheduled its notify while our call still waits for the answer.
    for (let i = 0; i < 200 && (await refundDeliveries(orn)).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await refundRow(orn))!.status).toBe('SUBMITTING');
    await flushRefundNotify(orn);
    expect((await refundRow(orn))!.status).toBe('SUCCESS');
    const r = await pending;
    expect(r).toMatchObject({ status: 201, body: { status: 'SUCCESS' } });
    expect(r.body.refund_id).toBeTruthy();
    expect((await ledger(no)).filter((l) => l.kind === 'REFUND').map((l) => l.amount_fen)).toEqual([300]);
    expect(await orderView(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 300, refundable_fee: 700 });
  });

  it('a DO reset between the reservation and the call: the replay finds the SUBMITTING refund and sends it, once', async () => {
    const no = await paidOrder(1000);
    const body = { refund_fee: 250, out_refund_no: `${no}-reset` };
    const reserved = await orderGate(env, no).reserveRefund({
      outTradeNo: no,
      outRefundNo: body.out_refund_no,
      refundFee: 250,
      reason: null,
      requestHash: await refundRequestHash(no, body),
    });
    expect(reserved.outcome).toBe('RESERVED');
    await abortAllDurableObjects(); // the worker that reserved is gone before it called WeChat
    expect(await simCalls(no)).toBe(0);
    const replay = await refundReq(no, body);
    expect(replay).toMatchObject({ status: 200, body: { status: 'PROCESSING' } });
    expect(await simCalls(no)).toBe(1);
    await flushRefundNotify(body.out_refund_no);
    expect(await orderView(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 250 });
  });

  it('refund_status CHANGE: the reservation is kept, an anomaly needs a person, nothing is booked as refunded', async () => {
    const no = await paidOrder(1000, { refund_status: 'CHANGE' });
    const r = await refundReq(no, { refund_fee: 400, out_refund_no: `${no}-chg` });
    expect(r.body.status).toBe('PROCESSING');
    await flushRefundNotify(`${no}-chg`);
    expect((await refundGet(`${no}-chg`)).body).toMatchObject({ status: 'CHANGE', failure_reason: 'CHANGE' });
    expect(await orderView(no)).toMatchObject({ status: 'PAID', refunded_fee: 0, refundable_fee: 600 });
    expect((await anomalies(no)).map((a) => a.kind)).toEqual(['REFUND_CHANGE']);
    expect((await ledger(no)).map((l) => l.kind)).toEqual(['PAYMENT']);
  });

  it('refund_status REFUNDCLOSE: the amount is released', async () => {
    const no = await paidOrder(1000, { refund_status: 'REFUNDCLOSE' });
    await refundReq(no, { refund_fee: 1000, out_refund_no: `${no}-cls` });
    expect(await orderView(no)).toMatchObject({ refundable_fee: 0 });
    await flushRefundNotify(`${no}-cls`);
    expect((await refundGet(`${no}-cls`)).body).toMatchObject({ status: 'REFUNDCLOSE' });
    expect(await orderView(no)).toMatchObject({ status: 'PAID', refunded_fee: 0, refundable_fee: 1000 });
    expect((await ledger(no)).map((l) => l.kind)).toEqual(['PAYMENT']);
  });

  it('refund_status PROCESSING (no notify): a read after 60 s of quiet asks refundquery; faults on refundquery leave it as it was', async () => {
    const no = await paidOrder(1000, { refund_status: 'PROCESSING' });
    const orn = `${no}-proc`;
    await refundReq(no, { refund_fee: 100, out_refund_no: orn });
    expect((await refundGet(orn)).body.status).toBe('PROCESSING');
    expect(await simCalls(no, 'refundquery')).toBe(0); // not quiet yet: no query
    await ageRefund(orn, 61_000);
    expect((await refundGet(orn)).body.status).toBe('PROCESSING');
    expect(await simCalls(no, 'refundquery')).toBe(1);
    expect((await refundRow(orn))!.last_synced_at).toBeTruthy();

    await simScenario(no, { refund_status: 'PROCESSING', faults: [{ endpoint: 'refundquery', error: 'SYSTEMERROR', times: 3 }] });
    await ageRefund(orn, 61_000);
    const res = await refundGet(orn);
    expect(res).toMatchObject({ status: 200, body: { status: 'PROCESSING' } });
  });

  it('a lost notify: the quiet read syncs SUCCESS from refundquery (books it once), and advanceStuckRefunds does the same for the cron', async () => {
    const no = await paidOrder(1000);
    await simScenario(no, { notify: 'never' }); // the refund notify is lost (the payment's arrived)
    const orn = `${no}-q`;
    await refundReq(no, { refund_fee: 700, out_refund_no: orn });
    await ageRefund(orn, 61_000);
    expect((await refundGet(orn)).body).toMatchObject({ status: 'SUCCESS' });
    expect((await refundGet(orn)).body.status).toBe('SUCCESS');
    expect((await ledger(no)).filter((l) => l.kind === 'REFUND').map((l) => l.amount_fen)).toEqual([700]);
    expect(await orderView(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 700, refundable_fee: 300 });

    // The cron's entry point: a PROCESSING refund past its window is checked, a SUBMITTING one resent.
    const orn2 = `${no}-q2`;
    await simScenario(no, { notify: 'never', faults: [{ endpoint: 'refund', error: 'SYSTEMERROR' }] });
    expect((await refundReq(no, { refund_fee: 200, out_refund_no: orn2 })).body.status).toBe('SUBMITTING');
    await ageRefund(orn2, 61_000);
    const report = await advanceStuckRefunds(testDeps(), 50);
    expect(report.resubmitted).toBeGreaterThanOrEqual(1); // other tests' quiet refunds may be in the sweep too
    expect(report.moved).toBeGreaterThanOrEqual(1);
    expect((await refundRow(orn2))!.status).toBe('PROCESSING');
    await ageRefund(orn2, 61_000);
    expect((await advanceStuckRefunds(testDeps(), 50)).synced).toBeGreaterThanOrEqual(1);
    expect((await refundRow(orn2))!.status).toBe('SUCCESS');
    expect(await orderView(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 900, refundable_fee: 100 });
  });

  it('T71: a refund call that times out stays SUBMITTING (WeChat did take it); the sweep resends the same number and the notify settles it', async () => {
    const no = await paidOrder(1000);
    const orn = `${no}-to`;
    await simScenario(no, { faults: [{ endpoint: 'refund', timeout: true }] });
    const { created, refund } = await createRefund(testDeps(300), no, { refund_fee: 400, out_refund_no: orn });
    expect(created).toBe(true);
    expect(refund.status).toBe('SUBMITTING');
    expect((await simOrder(no)).out_refund_nos).toEqual([orn]); // processed at WeChat, answer lost
    await ageRefund(orn, 61_000);
    expect((await advanceStuckRefunds(testDeps(), 50)).resubmitted).toBeGreaterThanOrEqual(1);
    expect((await refundRow(orn))!).toMatchObject({ status: 'PROCESSING', attempts: 2 });
    expect((await simOrder(no)).out_refund_nos).toEqual([orn]); // still one refund at WeChat
    await flushRefundNotify(orn);
    expect(await orderView(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 400 });
  });

  it('refundquery delay and timeout faults do not fail the read', async () => {
    const no = await paidOrder(1000);
    await simScenario(no, { notify: 'never' });
    const orn = `${no}-qd`;
    await refundReq(no, { refund_fee: 100, out_refund_no: orn });
    await simScenario(no, { notify: 'never', faults: [{ endpoint: 'refundquery', delay_ms: 50 }] });
    await ageRefund(orn, 61_000);
    expect((await refundGet(orn)).body.status).toBe('SUCCESS');

    const orn2 = `${no}-qt`;
    await refundReq(no, { refund_fee: 100, out_refund_no: orn2 });
    await simScenario(no, { notify: 'never', faults: [{ endpoint: 'refundquery', timeout: true, times: 3 }] });
    await ageRefund(orn2, 61_000);
    const deps = testDeps(200);
    const { getRefundView } = await import('../../src/worker/refunds/read');
    expect((await getRefundView(deps, orn2, true)).status).toBe('PROCESSING'); // three timed-out queries: answered as stored
  });
});
