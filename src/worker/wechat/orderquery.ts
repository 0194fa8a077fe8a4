/**
 * 查询订单. Safe to repeat, so retried with backoff. The answer is signature-checked by callWechat
 * before its trade_state is read.
 * @see https://pay.weixin.qq.com/doc/v2/partner/4011941754
 */
import type { SignType } from '../../core';
import { callWechat, fenField, withRetries, type WechatDeps } from './call';
import { WechatError } from './errors';
import type { OrderQueryResult, TradeState } from '../channel';

const TRADE_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR', 'ACCEPT']);

/** `appId`: the appid the order was placed under (absent: the 公众号 appid), sent and required of the answer. */
export function orderQuery(deps: WechatDeps, outTradeNo: string, signType: SignType, appId?: string): Promise<OrderQueryResult> {
  return withRetries(deps, async () => {
    const a = await callWechat(deps, { path: '/pay/orderquery', signType, appId, fields: { out_trade_no: outTradeNo } });
    const tradeState = a.trade_state ?? '';
    if (!TRADE_STATES.has(tradeState) || a.out_trade_no !== outTradeNo) throw new WechatError('PROTOCOL');
    return {
      tradeState: tradeState as TradeState,
      outTradeNo,
      transactionId: a.transaction_id || undefined,
      totalFee: fenField(a, 'total_fee'),
      cashFee: fenField(a, 'cash_fee'),
      feeType: a.fee_type || undefined,
      bankType: a.bank_type || undefined,
      openid: a.openid || undefined,
      timeEnd: a.time_end || undefined,
      tradeType: a.trade_type || undefined,
    };
  });
}
