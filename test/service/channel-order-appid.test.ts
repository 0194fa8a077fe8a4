// Every v2 call about an order goes under the appid the order was placed under (OrderRef.appId, a
// mini-program's or an app's; absent: the 公众号 appid): orderquery, closeorder, refund and
// refundquery send it, and refuse a signed answer that names another appid (PROTOCOL).
import { describe, expect, it } from 'vitest';
import type { OrderRef, PaymentChannel } from '../../src/worker/channel';
import { ChannelError } from '../../src/worker/channel';
import { fakeDeps, type FakeWechat } from '../support/fakes';

const MINI_APPID = 'wx1111111111111111';
const REFUND_ANSWER = { out_trade_no: 'FAST0001', out_refund_no: 'FAST0001-r1', refund_id: '50000001', refund_fee: 500, total_fee: 1999, cash_fee: 1999 };
const REFUNDQUERY_ANSWER = {
  out_trade_no: 'FAST0001',
  total_fee: 1999,
  refund_count: 1,
  out_refund_no_0: 'FAST0001-r1',
  refund_fee_0: 500,
  refund_status_0: 'SUCCESS',
};

interface Case {
  readonly path: string;
  readonly answer: Record<string, string | number>;
  readonly call: (channel: PaymentChannel, order: OrderRef) => Promise<unknown>;
}

const CASES: Record<string, Case> = {
  orderquery: { path: '/pay/orderquery', answer: { trade_state: 'NOTPAY', out_trade_no: 'FAST0001' }, call: (c, o) => c.queryOrder(o) },
  closeorder: { path: '/pay/closeorder', answer: {}, call: (c, o) => c.closeOrder(o) },
  refund: {
    path: '/secapi/pay/refund',
    answer: REFUND_ANSWER,
    call: (c, o) => c.refund({ order: o, outRefundNo: 'FAST0001-r1', totalFee: 1999, refundFee: 500 }),
  },
  refundquery: { path: '/pay/refundquery', answer: REFUNDQUERY_ANSWER, call: (c, o) => c.queryRefund('FAST0001-r1', o) },
};

async function codeOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof ChannelError)) throw new Error(`expected a ChannelError, got ${String(e)}`);
  return e.code;
}

const sentAppids = (wechat: FakeWechat) => wechat.calls.map((c) => c.request.appid);

describe.each(Object.entries(CASES))('%s', (_name, { path, answer, call }) => {
  it("an OrderRef with the mini-program's appid: sent under it, answered under it", async () => {
    const f = fakeDeps();
    f.wechat.on(path, { fields: answer });
    await call(f.deps.channel, { outTradeNo: 'FAST0001', signType: 'HMAC-SHA256', appId: MINI_APPID });
    expect(sentAppids(f.wechat)).toEqual([MINI_APPID]);
  });

  it('an OrderRef without an appid: the 公众号 appid', async () => {
    const f = fakeDeps();
    f.wechat.on(path, { fields: answer });
    await call(f.deps.channel, { outTradeNo: 'FAST0001', signType: 'MD5' });
    expect(sentAppids(f.wechat)).toEqual([f.config.appId]);
    expect(f.wechat.calls[0]!.request.sign_type).toBe('MD5');
  });

  it('a signed answer naming another appid than the order was sent under → PROTOCOL, never retried', async () => {
    const f = fakeDeps();
    f.wechat.on(path, { fields: { ...answer, appid: f.config.appId } });
    expect(await codeOf(call(f.deps.channel, { outTradeNo: 'FAST0001', signType: 'HMAC-SHA256', appId: MINI_APPID }))).toBe('PROTOCOL');
    const g = fakeDeps();
    g.wechat.on(path, { fields: { ...answer, appid: MINI_APPID } });
    expect(await codeOf(call(g.deps.channel, { outTradeNo: 'FAST0001', signType: 'HMAC-SHA256' }))).toBe('PROTOCOL');
    expect([f.wechat.calls.length, g.wechat.calls.length]).toEqual([1, 1]);
  });
});
