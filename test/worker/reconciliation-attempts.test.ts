// T+1 reconciliation with payment attempts: the bill names each attempt's own number; every trade
// type's row, a second attempt's payment and a duplicate given back all match our books.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { SANDBOX_MINI_PROGRAM_APPID } from '../../src/core';
import { openidFor } from '../../src/sandbox/users';
import { BOB, BUYER, createOrder, postJson, prepayIdOf, simClock, simPay } from '../support/orders-helpers';
import { DAY_MS, dayBack, drive, report, start } from '../support/reconciliation-helpers';
import { flushRefundNotify } from '../support/refunds-helpers';

async function pay(outTradeNo: string, body: Record<string, unknown>) {
  const res = await postJson(`/v1/orders/${outTradeNo}/payments`, body);
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as Record<string, any>;
}

async function simPayBy(handle: Record<string, string>) {
  const res = await postJson('/sandbox/sim/pay', handle, {});
  expect(res.status, await res.clone().text()).toBe(200);
}

describe('reconciliation of a day with every trade type and a duplicate', () => {
  it('matches each attempt’s bill row to its order: no open item, the duplicate’s payment and refund included', async () => {
    const back = 23;
    const day = dayBack(back);
    const orders: string[] = [];
    await simClock(-back * DAY_MS);
    try {
      // A second attempt pays: the bill names `<no>_2`.
      const a = await createOrder({ openid: BUYER });
      await pay(a.out_trade_no, { trade_type: 'JSAPI' });
      const native = await pay(a.out_trade_no, { trade_type: 'NATIVE' });
      await simPayBy({ code_url: native.pay.code_url, openid: BOB });
      const mweb = await createOrder();
      await simPayBy({ mweb_url: (await pay(mweb.out_trade_no, { trade_type: 'MWEB', client_ip: '203.0.113.9' })).pay.mweb_url, openid: BUYER });
      const mini = await createOrder();
      const miniPay = await pay(mini.out_trade_no, { trade_type: 'MINIPROGRAM', openid: openidFor(SANDBOX_MINI_PROGRAM_APPID, 'alice') });
      const wx = await postJson('/sandbox/sim/request-payment', { ...miniPay.pay, user: 'alice' }, {});
      expect(((await wx.json()) as Record<string, any>).errMsg).toBe('requestPayment:ok');
      const app = await createOrder();
      const appPay = await pay(app.out_trade_no, { trade_type: 'APP' });
      const appPaid = await postJson('/sandbox/sim/app-pay', { ...appPay.pay, user: 'alice' }, {});
      expect(((await appPaid.json()) as Record<string, any>).errCode).toBe(0);
      // Two attempts paid: one payment and the duplicate's automatic refund.
      const dup = await createOrder({ openid: BUYER });
      const first = await pay(dup.out_trade_no, { trade_type: 'JSAPI' });
      const second = await pay(dup.out_trade_no, { trade_type: 'NATIVE' });
      expect((await simPay(prepayIdOf(first.pay))).status).toBe(200);
      await simPayBy({ code_url: second.pay.code_url, openid: BOB });
      const dupRefund = `dup_${second.payment_no}`;
      for (let i = 0; i < 200; i++) {
        const r = await env.DB.prepare('SELECT status FROM refunds WHERE out_refund_no = ?1').bind(dupRefund).first<{ status: string }>();
        if (r?.status === 'PROCESSING') break;
        await new Promise((done) => setTimeout(done, 10));
      }
      await flushRefundNotify(dupRefund);
      orders.push(a.out_trade_no, mweb.out_trade_no, mini.out_trade_no, app.out_trade_no, dup.out_trade_no);
    } finally {
      await simClock(0);
    }
    for (const no of orders) {
      const row = await env.DB.prepare('SELECT status FROM orders WHERE out_trade_no = ?1').bind(no).first<{ status: string }>();
      expect(row?.status, no).toBe('PAID');
    }

    expect((await start(day)).status).toBeLessThan(300);
    const run = await drive(day);
    const r = await report(day);
    const open = (r.body.items as Array<Record<string, any>> | undefined)?.filter((i) => i.resolution === 'OPEN') ?? [];
    expect(open).toEqual([]);
    expect(run.status).toBe('BALANCED');
    // Our payment totals count what the bill counts: six payments, the duplicate included. (Refunds are
    // dated by our clock, which this test does not move back with the simulator's.)
    expect(run).toMatchObject({ local_payment_count: 6, local_paid_fee: 6 * 1999, bill_payment_count: 6, bill_paid_fee: 6 * 1999 });
  });
});
