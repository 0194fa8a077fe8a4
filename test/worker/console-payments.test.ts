// 订单详情 lists the order's payment attempts: number, trade type, masked buyer, status (a duplicate given back included).
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { BOB, BUYER, createOrder, postJson, prepayIdOf, simPay } from '../support/orders-helpers';
import { adminPage, login } from '../support/console-helpers';
import { flushRefundNotify } from '../support/refunds-helpers';

async function pay(no: string, body: Record<string, unknown>) {
  return (await (await postJson(`/v1/orders/${no}/payments`, body)).json()) as Record<string, any>;
}

describe('console: payment attempts on the order page', () => {
  it('shows each attempt with its number, trade type and status; the duplicate as given back', async () => {
    const o = await createOrder({ openid: BUYER });
    const jsapi = await pay(o.out_trade_no, { trade_type: 'JSAPI' });
    const native = await pay(o.out_trade_no, { trade_type: 'NATIVE' });
    expect((await simPay(prepayIdOf(jsapi.pay))).status).toBe(200);
    expect((await postJson('/sandbox/sim/pay', { code_url: native.pay.code_url, openid: BOB }, {})).status).toBe(200);
    const cookie = await login();
    const html = await adminPage(`/admin/orders/${o.out_trade_no}`, cookie);
    const table = html.slice(html.indexOf('id="order-payments"'), html.indexOf('</table>', html.indexOf('id="order-payments"')));
    expect(table).toContain(`data-payment-no="${o.out_trade_no}"`);
    expect(table).toContain(`data-payment-no="${native.payment_no}"`);
    expect(table).toContain('公众号（JSAPI）');
    expect(table).toContain('扫码（NATIVE）');
    expect(table).toContain('已支付');
    expect(table).toMatch(/重复支付，(自动退款中|已自动退款)/);
    expect(table).not.toContain(BUYER); // buyers are masked
    // The automatic refund runs on after the notify: let it finish here, not in the next test.
    for (let i = 0; i < 200; i++) {
      const r = await env.DB.prepare('SELECT status FROM refunds WHERE out_refund_no = ?1').bind(`dup_${native.payment_no}`).first<{ status: string }>();
      if (r && r.status !== 'SUBMITTING') break;
      await new Promise((done) => setTimeout(done, 10));
    }
    await flushRefundNotify(`dup_${native.payment_no}`);
  });

  it('an order not yet paid for says so', async () => {
    const o = await createOrder();
    expect(await adminPage(`/admin/orders/${o.out_trade_no}`, await login())).toContain('尚未发起支付');
  });
});
