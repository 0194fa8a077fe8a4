// The main flow under whichever API version the runtime is configured with: in the `worker` project
// (wrangler.toml: v2) and again in the `worker-v3` project (WECHAT_API_VERSION=v3), through the public
// HTTP API and the simulator only — create → JSAPI attempt → the buyer pays → notify → PAID; a NATIVE
// attempt paid by scanning; a partial refund → refund notify → SUCCESS; a past day reconciled
// BALANCED from WeChat's bill. Each step also checks it went over the version under test.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { verifyParams } from '../../src/core';
import { AUTH, BUYER, api, createOrder, postJson, simPay } from '../support/orders-helpers';
import { dayBack, drive, payOnDay, report, start } from '../support/reconciliation-helpers';
import { flushRefundNotify, refundDeliveries, refundGet } from '../support/refunds-helpers';

const V3 = (env as { WECHAT_API_VERSION?: string }).WECHAT_API_VERSION === 'v3';
const VERSION = V3 ? 'v3' : 'v2';
/** Where the simulator sends an order's notifies: the route of the version the order was placed under. */
const NOTIFY_PATH = V3 ? '/wechat/v3/notify' : '/wechat/notify';
const REFUND_NOTIFY_PATH = V3 ? '/wechat/v3/refund-notify' : '/wechat/refund-notify';

async function order(no: string) {
  return (await (await api(`/v1/orders/${no}`, { headers: AUTH })).json()) as Record<string, any>;
}

async function deliveryUrls(outTradeNo: string): Promise<string[]> {
  const res = await api(`/sandbox/sim/deliveries?out_trade_no=${outTradeNo}`);
  return ((await res.json()) as { deliveries: Array<{ url: string }> }).deliveries.map((d) => new URL(d.url).pathname);
}

describe(`the main flow over API ${VERSION}`, () => {
  it('JSAPI: the attempt’s pay params are signed the version’s way, the buyer pays, the notify makes the order PAID once', async () => {
    const { out_trade_no: no } = await createOrder({ openid: BUYER, total_fee: 1999 });
    const attempt = await postJson(`/v1/orders/${no}/payments`, { trade_type: 'JSAPI' });
    expect(attempt.status).toBe(201);
    const { pay } = (await attempt.json()) as { pay: Record<string, string> };
    if (V3) {
      // v3: RSA over appId\ntimeStamp\nnonceStr\npackage\n (the simulator's pay sheet verifies it below).
      expect(pay.signType).toBe('RSA');
      expect(pay.paySign).toMatch(/^[A-Za-z0-9+/]{342}==$/);
    } else {
      const { paySign, ...signed } = pay;
      expect(await verifyParams({ ...signed, sign: paySign! }, env.WECHAT_API_KEY!, pay.signType as 'HMAC-SHA256')).toBe(true);
    }
    const paid = await simPay(pay.package!.slice('prepay_id='.length));
    expect(paid.body).toMatchObject({ ok: true, out_trade_no: no });
    expect(await order(no)).toMatchObject({ status: 'PAID', trade_type: 'JSAPI', payment_no: no, transaction_id: paid.body.transaction_id, total_fee: 1999 });
    expect(await deliveryUrls(no)).toEqual([NOTIFY_PATH]);
    const ledger = await env.DB.prepare('SELECT kind, amount_fen FROM ledger WHERE out_trade_no = ?1').bind(no).all();
    expect(ledger.results).toEqual([{ kind: 'PAYMENT', amount_fen: 1999 }]);
  });

  it('NATIVE: a code_url, paid by scanning it, then PAID by its notify', async () => {
    const { out_trade_no: no } = await createOrder({ total_fee: 2500 });
    const attempt = await postJson(`/v1/orders/${no}/payments`, { trade_type: 'NATIVE' });
    expect(attempt.status).toBe(201);
    const { pay } = (await attempt.json()) as { pay: { code_url: string } };
    expect(pay.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    const scanned = await postJson('/sandbox/sim/pay', { code_url: pay.code_url, openid: BUYER }, {});
    expect(((await scanned.json()) as Record<string, unknown>).ok).toBe(true);
    expect(await order(no)).toMatchObject({ status: 'PAID', trade_type: 'NATIVE', total_fee: 2500 });
    expect(await deliveryUrls(no)).toEqual([NOTIFY_PATH]);
  });

  it('a partial refund is accepted, its notify makes it SUCCESS, and the order is PARTIALLY_REFUNDED', async () => {
    const { out_trade_no: no } = await createOrder({ openid: BUYER, total_fee: 1999 });
    const { pay } = (await (await postJson(`/v1/orders/${no}/payments`, { trade_type: 'JSAPI' })).json()) as { pay: Record<string, string> };
    expect((await simPay(pay.package!.slice('prepay_id='.length))).body.ok).toBe(true);

    const created = await postJson(`/v1/orders/${no}/refunds`, { out_refund_no: `${no}R1`, refund_fee: 500 });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ status: 'PROCESSING', refund_fee: 500, payment_no: no });
    await flushRefundNotify(`${no}R1`);
    expect((await refundDeliveries(`${no}R1`)).map((d) => new URL(d.url).pathname)).toEqual([REFUND_NOTIFY_PATH]);
    expect((await refundGet(`${no}R1`)).body).toMatchObject({ status: 'SUCCESS', refund_fee: 500 });
    expect(await order(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 500, refundable_fee: 1499 });
  });

  it('a past day reconciles BALANCED against the bill WeChat serves for it', async () => {
    const day = dayBack(3);
    const a = await payOnDay(3, { totalFee: 101 });
    const b = await payOnDay(3, { totalFee: 102 });
    expect((await order(a.outTradeNo)).status).toBe('PAID');
    expect((await order(b.outTradeNo)).status).toBe('PAID');
    expect((await start(day)).status).toBe(202);
    await drive(day);
    const { body } = await report(day);
    expect(body).toMatchObject({ status: 'BALANCED', totals: { bill: { payment_count: 2, paid_fee: 203 }, ours: { payment_count: 2, paid_fee: 203 } } });
  });
});
