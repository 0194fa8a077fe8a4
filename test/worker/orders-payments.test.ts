// Payment attempts against the simulator over HTTP: every trade type pays its order once; two paid
// attempts make one payment and one automatic full refund; the same request gives the same prepay.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { SANDBOX_APP_APPID, SANDBOX_MINI_PROGRAM_APPID } from '../../src/core';
import { openidFor } from '../../src/sandbox/users';
import { AUTH, BOB, BUYER, api, createOrder, postJson, prepayIdOf, simPay, simScenario } from '../support/orders-helpers';
import { flushRefundNotify } from '../support/refunds-helpers';

const MINI_ALICE = openidFor(SANDBOX_MINI_PROGRAM_APPID, 'alice');

async function pay(outTradeNo: string, body: Record<string, unknown>) {
  const res = await postJson(`/v1/orders/${outTradeNo}/payments`, body);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function order(outTradeNo: string) {
  return (await (await api(`/v1/orders/${outTradeNo}`, { headers: AUTH })).json()) as Record<string, any>;
}

async function ledger(outTradeNo: string) {
  const rows = await env.DB.prepare('SELECT kind, amount_fen FROM ledger WHERE out_trade_no = ?1 ORDER BY id')
    .bind(outTradeNo)
    .all<{ kind: string; amount_fen: number }>();
  return rows.results;
}

/** Waits for a duplicate's automatic refund to be sent, then lets WeChat's refund notify settle it: no work left running. */
async function settleAutomaticRefund(dupNo: string): Promise<void> {
  const status = async () =>
    (await env.DB.prepare('SELECT status FROM refunds WHERE out_refund_no = ?1').bind(`dup_${dupNo}`).first<{ status: string }>())?.status;
  await eventually(async () => {
    const now = await status();
    return now !== undefined && now !== 'SUBMITTING';
  });
  if ((await status()) === 'PROCESSING') await flushRefundNotify(`dup_${dupNo}`);
}

const net = (rows: { kind: string; amount_fen: number }[]) => rows.reduce((a, r) => a + (r.kind.endsWith('REFUND') ? -r.amount_fen : r.amount_fen), 0);

/** Polls (bounded: 200 × 10 ms) until `probe` holds. */
async function eventually(probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached');
}

describe('POST /v1/orders/:out_trade_no/payments: each trade type pays its order once', () => {
  it('NATIVE: a code_url, paid by a scanning buyer', async () => {
    const o = await createOrder();
    const p = await pay(o.out_trade_no, { trade_type: 'NATIVE' });
    expect(p.status).toBe(201);
    expect(p.body).toMatchObject({ payment_no: o.out_trade_no, out_trade_no: o.out_trade_no, trade_type: 'NATIVE', status: 'PENDING' });
    expect(p.body.pay.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    const paid = await postJson('/sandbox/sim/pay', { code_url: p.body.pay.code_url, openid: BOB }, {});
    expect(paid.status).toBe(200);
    expect(await order(o.out_trade_no)).toMatchObject({ status: 'PAID', payment_no: o.out_trade_no, trade_type: 'NATIVE', payer_openid: BOB });
    expect(await ledger(o.out_trade_no)).toEqual([{ kind: 'PAYMENT', amount_fen: 1999 }]);
  });

  it("MWEB: an mweb_url with the checkout's return address, the buyer's IP sent by the merchant", async () => {
    const o = await createOrder();
    expect((await pay(o.out_trade_no, { trade_type: 'MWEB' })).body.error.code).toBe('CLIENT_IP_REQUIRED');
    const p = await pay(o.out_trade_no, { trade_type: 'MWEB', client_ip: '203.0.113.7' });
    expect(p.status).toBe(201);
    const url = new URL(p.body.pay.mweb_url);
    expect(url.pathname).toBe('/sandbox/mweb');
    expect(url.searchParams.get('redirect_url')).toMatch(new RegExp(`/pay/${o.out_trade_no}\\?t=[^&]+&mweb=1$`));
    const wechat = (await (await api(`/sandbox/sim/orders/${o.out_trade_no}`)).json()) as Record<string, any>;
    expect(wechat).toMatchObject({ trade_type: 'MWEB' });
    expect((await postJson('/sandbox/sim/pay', { mweb_url: p.body.pay.mweb_url, openid: BUYER }, {})).status).toBe(200);
    expect(await order(o.out_trade_no)).toMatchObject({ status: 'PAID', trade_type: 'MWEB' });
  });

  it('MINIPROGRAM: wx.requestPayment params signed under the mini-program appid, for its openid', async () => {
    const o = await createOrder();
    expect((await pay(o.out_trade_no, { trade_type: 'MINIPROGRAM' })).body.error.code).toBe('OPENID_REQUIRED');
    const p = await pay(o.out_trade_no, { trade_type: 'MINIPROGRAM', openid: MINI_ALICE });
    expect(p.status).toBe(201);
    expect(p.body.pay.appId).toBe(SANDBOX_MINI_PROGRAM_APPID);
    const wx = await postJson('/sandbox/sim/request-payment', { ...p.body.pay, user: 'alice' }, {});
    expect(((await wx.json()) as Record<string, any>).errMsg).toBe('requestPayment:ok');
    expect(await order(o.out_trade_no)).toMatchObject({ status: 'PAID', trade_type: 'MINIPROGRAM', payer_openid: MINI_ALICE });
    expect(await ledger(o.out_trade_no)).toEqual([{ kind: 'PAYMENT', amount_fen: 1999 }]);
  });

  it('MINIPROGRAM from wx.login(): POST /v1/miniprogram/session turns the code into the openid under the mini-program; a used code is refused', async () => {
    const code = ((await (await postJson('/sandbox/sim/js-code', { user: 'alice' }, {})).json()) as Record<string, any>).js_code as string;
    const session = await postJson('/v1/miniprogram/session', { js_code: code });
    expect(session.status).toBe(200);
    expect(await session.json()).toEqual({ openid: MINI_ALICE });
    const again = await postJson('/v1/miniprogram/session', { js_code: code });
    expect([again.status, ((await again.json()) as Record<string, any>).error.code]).toEqual([400, 'JS_CODE_INVALID']);
    const bad = await postJson('/v1/miniprogram/session', { js_code: 'not a code' });
    expect([bad.status, ((await bad.json()) as Record<string, any>).error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(
      (await api('/v1/miniprogram/session', { method: 'POST', body: JSON.stringify({ js_code: code }), headers: { 'Content-Type': 'application/json' } }))
        .status,
    ).toBe(401);
  });

  it('APP: the PayReq with its second signature, paid by the app', async () => {
    const o = await createOrder();
    const p = await pay(o.out_trade_no, { trade_type: 'APP' });
    expect(p.status).toBe(201);
    expect(p.body.pay).toMatchObject({ appid: SANDBOX_APP_APPID, partnerid: env.WECHAT_MCH_ID, package: 'Sign=WXPay' });
    const tampered = await postJson('/sandbox/sim/app-pay', { ...p.body.pay, sign: '0'.repeat(p.body.pay.sign.length), user: 'alice' }, {});
    expect(tampered.status).toBe(400);
    const app = await postJson('/sandbox/sim/app-pay', { ...p.body.pay, user: 'alice' }, {});
    expect(((await app.json()) as Record<string, any>).errCode).toBe(0);
    expect(await order(o.out_trade_no)).toMatchObject({ status: 'PAID', trade_type: 'APP' });
  });

  it('the same request twice gives the same attempt and prepay (200); another trade type is a new attempt under a new number', async () => {
    const o = await createOrder({ openid: BUYER });
    const first = await pay(o.out_trade_no, { trade_type: 'JSAPI' });
    const again = await pay(o.out_trade_no, { trade_type: 'JSAPI' });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.payment_no).toBe(first.body.payment_no);
    expect(prepayIdOf(again.body.pay)).toBe(prepayIdOf(first.body.pay));
    expect(again.body.pay.paySign).not.toBe(first.body.pay.paySign); // signed afresh
    const native = await pay(o.out_trade_no, { trade_type: 'NATIVE' });
    expect(native.body.payment_no).toBe(`${o.out_trade_no}_2`);
    const list = (await (await api(`/v1/orders/${o.out_trade_no}/payments`, { headers: AUTH })).json()) as { data: Record<string, any>[] };
    expect(list.data.map((a) => [a.payment_no, a.trade_type, a.status])).toEqual([
      [`${o.out_trade_no}_2`, 'NATIVE', 'PENDING'],
      [o.out_trade_no, 'JSAPI', 'PENDING'],
    ]);
  });

  it('an attempt number is never another order: creating an order under it is 409 OUT_TRADE_NO_IN_USE; merchant refund numbers may not take the automatic form', async () => {
    const o = await createOrder({ openid: BUYER });
    await pay(o.out_trade_no, { trade_type: 'JSAPI' });
    const native = await pay(o.out_trade_no, { trade_type: 'NATIVE' });
    const taken = await postJson('/v1/orders', { description: 'Test item', total_fee: 100, out_trade_no: native.body.payment_no });
    expect([taken.status, ((await taken.json()) as Record<string, any>).error.code]).toEqual([409, 'OUT_TRADE_NO_IN_USE']);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM orders WHERE out_trade_no = ?1').bind(native.body.payment_no).first()).toEqual({ n: 0 });
    const refund = await postJson(`/v1/orders/${o.out_trade_no}/refunds`, { refund_fee: 1, out_refund_no: `dup_${native.body.payment_no}` });
    expect([refund.status, ((await refund.json()) as Record<string, any>).error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('a number whose unifiedorder outcome is unknown (SYSTEMERROR) is retired: the next attempt, of another trade type, takes the next number; the order is not failed', async () => {
    const o = await createOrder({ openid: BUYER });
    await simScenario(o.out_trade_no, { faults: [{ endpoint: 'unifiedorder', error: 'SYSTEMERROR' }] });
    const lost = await pay(o.out_trade_no, { trade_type: 'NATIVE' });
    expect([lost.status, lost.body.error.code]).toEqual([502, 'UPSTREAM_UNAVAILABLE']);
    await simScenario(o.out_trade_no, {});
    // WeChat may hold the order's own number as a NATIVE payment now: a JSAPI one under it could be 201 商户订单号重复.
    const jsapi = await pay(o.out_trade_no, { trade_type: 'JSAPI' });
    expect(jsapi.status).toBe(201);
    expect(jsapi.body.payment_no).toBe(`${o.out_trade_no}_2`);
    const retired = await env.DB.prepare('SELECT trade_type, status, prepay_id FROM payment_attempts WHERE payment_no = ?1').bind(o.out_trade_no).first();
    expect(retired).toEqual({ trade_type: 'NATIVE', status: 'CLOSED', prepay_id: null });
    expect((await simPay(prepayIdOf(jsapi.body.pay))).status).toBe(200);
    expect(await order(o.out_trade_no)).toMatchObject({ status: 'PAID', payment_no: jsapi.body.payment_no, trade_type: 'JSAPI' });
  });

  it('bad input gets a clear 400 and writes nothing', async () => {
    const o = await createOrder();
    for (const body of [
      {},
      { trade_type: 'CARD' },
      { trade_type: 'NATIVE', extra: 1 },
      { trade_type: 'JSAPI', openid: 'x y' },
      { trade_type: 'MWEB', client_ip: 'here' },
    ]) {
      const res = await pay(o.out_trade_no, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    const rows = await env.DB.prepare('SELECT COUNT(*) AS n FROM payment_attempts WHERE out_trade_no = ?1').bind(o.out_trade_no).first<{ n: number }>();
    expect(rows!.n).toBe(0);
    expect((await order(o.out_trade_no)).status).toBe('CREATED');
  });
});

describe('refunds of an order paid by a later attempt', () => {
  it('a merchant refund goes to WeChat under the paying attempt’s number, and the refund notify settles it', async () => {
    const o = await createOrder({ openid: BUYER });
    await pay(o.out_trade_no, { trade_type: 'JSAPI' });
    const native = await pay(o.out_trade_no, { trade_type: 'NATIVE' });
    expect((await postJson('/sandbox/sim/pay', { code_url: native.body.pay.code_url, openid: BOB }, {})).status).toBe(200);
    expect(await order(o.out_trade_no)).toMatchObject({ status: 'PAID', payment_no: native.body.payment_no });
    const res = await postJson(`/v1/orders/${o.out_trade_no}/refunds`, { refund_fee: 500, out_refund_no: `${o.out_trade_no}-r1` });
    const refund = (await res.json()) as Record<string, any>;
    expect([res.status, refund.status, refund.payment_no]).toEqual([201, 'PROCESSING', native.body.payment_no]);
    await flushRefundNotify(`${o.out_trade_no}-r1`);
    expect(await order(o.out_trade_no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 500 });
    const wechat = (await (await api(`/sandbox/sim/orders/${native.body.payment_no}`)).json()) as Record<string, any>;
    expect(wechat).toMatchObject({ trade_state: 'REFUND', refunded_fee: 500 });
    const own = (await (await api(`/sandbox/sim/orders/${o.out_trade_no}`)).json()) as Record<string, any>;
    expect(own.trade_state).toBe('NOTPAY');
  });
});

describe('two attempts both paid: one payment, one automatic full refund', () => {
  it('JSAPI for alice pays, then NATIVE pays too: PAID once, the second refunded in full, one DUPLICATE_PAYMENT, the ledger nets to one payment', async () => {
    const o = await createOrder({ openid: BUYER });
    const jsapi = await pay(o.out_trade_no, { trade_type: 'JSAPI' });
    const native = await pay(o.out_trade_no, { trade_type: 'NATIVE' });
    expect((await simPay(prepayIdOf(jsapi.body.pay))).status).toBe(200);
    const paid = await order(o.out_trade_no);
    expect(paid).toMatchObject({ status: 'PAID', payment_no: o.out_trade_no, trade_type: 'JSAPI' });

    expect((await postJson('/sandbox/sim/pay', { code_url: native.body.pay.code_url, openid: BOB }, {})).status).toBe(200);
    const dupNo = native.body.payment_no as string;
    const refundStatus = async () =>
      (await env.DB.prepare('SELECT status FROM refunds WHERE out_refund_no = ?1').bind(`dup_${dupNo}`).first<{ status: string }>())?.status;
    // Sent right after the duplicate's notify was answered; WeChat's refund notify settles it.
    await eventually(async () => (await refundStatus()) === 'PROCESSING');
    await flushRefundNotify(`dup_${dupNo}`);
    expect(await refundStatus()).toBe('SUCCESS');

    // The order shows one payment, untouched by the duplicate's refund.
    expect(await order(o.out_trade_no)).toMatchObject({ status: 'PAID', transaction_id: paid.transaction_id, refunded_fee: 0, refundable_fee: 1999 });
    const attempts = (await (await api(`/v1/orders/${o.out_trade_no}/payments`, { headers: AUTH })).json()) as { data: Record<string, any>[] };
    expect(attempts.data.map((a) => [a.payment_no, a.status])).toEqual([
      [dupNo, 'REFUNDED'],
      [o.out_trade_no, 'PAID'],
    ]);
    const rows = await ledger(o.out_trade_no);
    expect(rows).toEqual([
      { kind: 'PAYMENT', amount_fen: 1999 },
      { kind: 'DUPLICATE_PAYMENT', amount_fen: 1999 },
      { kind: 'DUPLICATE_REFUND', amount_fen: 1999 },
    ]);
    expect(net(rows)).toBe(1999);
    const anomalies = await env.DB.prepare("SELECT kind FROM anomalies WHERE out_trade_no = ?1 AND kind = 'DUPLICATE_PAYMENT'").bind(o.out_trade_no).all();
    expect(anomalies.results).toHaveLength(1);
    const refund = (await (await api(`/v1/refunds/dup_${dupNo}`, { headers: AUTH })).json()) as Record<string, any>;
    expect(refund).toMatchObject({ out_trade_no: o.out_trade_no, payment_no: dupNo, automatic: true, refund_fee: 1999, status: 'SUCCESS' });
    const events = await env.DB.prepare('SELECT type FROM events WHERE out_trade_no = ?1 ORDER BY seq').bind(o.out_trade_no).all<{ type: string }>();
    expect(events.results.map((e) => e.type)).toEqual(['order.paid', 'order.anomaly', 'refund.succeeded']);
    // WeChat's side: the duplicate attempt is refunded there.
    const wechat = (await (await api(`/sandbox/sim/orders/${dupNo}`)).json()) as Record<string, any>;
    expect(wechat).toMatchObject({ trade_state: 'REFUND', trade_type: 'NATIVE' });

    // The duplicate's notify again changes nothing.
    expect((await postJson('/sandbox/sim/deliveries/resend', { out_trade_no: dupNo }, {})).status).toBe(200);
    expect(await ledger(o.out_trade_no)).toEqual(rows);
    expect(
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM anomalies WHERE kind = 'DUPLICATE_PAYMENT' AND out_trade_no = ?1")
        .bind(o.out_trade_no)
        .first<{ n: number }>())!.n,
    ).toBe(1);
  });

  it('WeChat refuses the automatic refund (NOTENOUGH): FAILED, a DUPLICATE_REFUND_FAILED anomaly for a person, the attempt still REFUNDING', async () => {
    const o = await createOrder({ openid: BUYER });
    const jsapi = await pay(o.out_trade_no, { trade_type: 'JSAPI' });
    const native = await pay(o.out_trade_no, { trade_type: 'NATIVE' });
    const dupNo = native.body.payment_no as string;
    await simScenario(dupNo, { faults: [{ endpoint: 'refund', error: 'NOTENOUGH' }] });
    expect((await simPay(prepayIdOf(jsapi.body.pay))).status).toBe(200);
    expect((await postJson('/sandbox/sim/pay', { code_url: native.body.pay.code_url, openid: BOB }, {})).status).toBe(200);
    await eventually(
      async () =>
        (await env.DB.prepare('SELECT status FROM refunds WHERE out_refund_no = ?1').bind(`dup_${dupNo}`).first<{ status: string }>())?.status === 'FAILED',
    );
    const anomalies = await env.DB.prepare('SELECT kind, detail FROM anomalies WHERE out_trade_no = ?1 ORDER BY id')
      .bind(o.out_trade_no)
      .all<{ kind: string; detail: string }>();
    expect(anomalies.results.map((a) => a.kind)).toEqual(['DUPLICATE_PAYMENT', 'DUPLICATE_REFUND_FAILED']);
    expect(JSON.parse(anomalies.results[1]!.detail)).toMatchObject({ payment_no: dupNo, reported: 'FAILED', reason: 'NOTENOUGH', action: 'REFUND_BY_HAND' });
    const attempt = await env.DB.prepare('SELECT status FROM payment_attempts WHERE payment_no = ?1').bind(dupNo).first<{ status: string }>();
    expect(attempt!.status).toBe('REFUNDING');
    expect(await order(o.out_trade_no)).toMatchObject({ status: 'PAID', refunded_fee: 0, refundable_fee: 1999 });
  });

  it('two attempts paid at the same moment, five orders over: each order has exactly one payment and one duplicate, whichever came first', async () => {
    for (let round = 0; round < 5; round++) {
      const o = await createOrder({ openid: BUYER });
      const jsapi = await pay(o.out_trade_no, { trade_type: 'JSAPI' });
      const native = await pay(o.out_trade_no, { trade_type: 'NATIVE' });
      const paid = await Promise.all([
        simPay(prepayIdOf(jsapi.body.pay)),
        postJson('/sandbox/sim/pay', { code_url: native.body.pay.code_url, openid: BOB }, {}),
      ]);
      expect(paid.map((p) => p.status)).toEqual([200, 200]);
      const attempts = await env.DB.prepare('SELECT payment_no, status FROM payment_attempts WHERE out_trade_no = ?1')
        .bind(o.out_trade_no)
        .all<{ payment_no: string; status: string }>();
      const statuses = attempts.results.map((a) => a.status).sort();
      expect(statuses[0]).toBe('PAID');
      expect(['REFUNDING', 'REFUNDED']).toContain(statuses[1]);
      const view = await order(o.out_trade_no);
      expect(view.status).toBe('PAID');
      expect(view.payment_no).toBe(attempts.results.find((a) => a.status === 'PAID')!.payment_no);
      const kinds = (await ledger(o.out_trade_no)).map((r) => r.kind).filter((k) => k !== 'DUPLICATE_REFUND');
      expect(kinds.sort()).toEqual(['DUPLICATE_PAYMENT', 'PAYMENT']);
      const dups = await env.DB.prepare("SELECT COUNT(*) AS n FROM anomalies WHERE out_trade_no = ?1 AND kind = 'DUPLICATE_PAYMENT'")
        .bind(o.out_trade_no)
        .first<{ n: number }>();
      expect(dups!.n).toBe(1);
      await settleAutomaticRefund(attempts.results.find((a) => a.status !== 'PAID')!.payment_no);
    }
  });
});

describe('a payment after the order closed (LATE_PAYMENT_POLICY=refund, the default)', () => {
  it('is credited, flagged and refunded in full automatically: PAID_AFTER_CLOSE, then REFUNDED, the ledger netting to zero', async () => {
    const o = await createOrder({ openid: BUYER });
    const jsapi = await pay(o.out_trade_no, { trade_type: 'JSAPI' });
    // WeChat's notify comes late; our side closes the order meanwhile (the expiry sweep, a merchant close that raced the payment).
    await simScenario(o.out_trade_no, { notify_delay_ms: 60_000 });
    expect((await simPay(prepayIdOf(jsapi.body.pay))).status).toBe(200);
    await env.DB.prepare("UPDATE orders SET status = 'CLOSED', closed_at = ?2 WHERE out_trade_no = ?1").bind(o.out_trade_no, Date.now()).run();
    expect((await postJson('/sandbox/sim/deliveries/flush', { out_trade_no: o.out_trade_no }, {})).status).toBe(200);
    await eventually(async () => (await order(o.out_trade_no)).status === 'PAID_AFTER_CLOSE');
    await eventually(async () => {
      const r = await env.DB.prepare('SELECT status FROM refunds WHERE out_refund_no = ?1').bind(`late_${o.out_trade_no}`).first<{ status: string }>();
      return r?.status === 'PROCESSING';
    });
    await flushRefundNotify(`late_${o.out_trade_no}`);
    expect(await order(o.out_trade_no)).toMatchObject({ status: 'REFUNDED', refunded_fee: 1999, refundable_fee: 0 });
    const rows = await ledger(o.out_trade_no);
    expect(rows).toEqual([
      { kind: 'PAYMENT', amount_fen: 1999 },
      { kind: 'REFUND', amount_fen: 1999 },
    ]);
    const refund = (await (await api(`/v1/refunds/late_${o.out_trade_no}`, { headers: AUTH })).json()) as Record<string, any>;
    expect(refund).toMatchObject({ automatic: true, payment_no: o.out_trade_no, status: 'SUCCESS' });
    const events = await env.DB.prepare('SELECT type FROM events WHERE out_trade_no = ?1 ORDER BY seq').bind(o.out_trade_no).all<{ type: string }>();
    expect(events.results.map((e) => e.type)).toEqual(['order.paid', 'order.anomaly', 'refund.succeeded']);
  });
});
