/**
 * 查询退款 by out_refund_no. Safe to repeat, so retried with backoff.
 * @see https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_5
 */
import type { SignType } from '../../core';
import { callWechat, fenField, withRetries, type WechatDeps } from './call';
import { WechatError } from './errors';
import type { RefundQueryItem, RefundQueryResult, RefundStatus } from '../channel';

const REFUND_STATUSES: ReadonlySet<string> = new Set(['SUCCESS', 'REFUNDCLOSE', 'PROCESSING', 'CHANGE']);

/** `appId`: the appid the refunded order was placed under (absent: the 公众号 appid), sent and required of the answer. */
export function refundQuery(deps: WechatDeps, outRefundNo: string, signType: SignType, appId?: string): Promise<RefundQueryResult> {
  return withRetries(deps, async () => {
    const a = await callWechat(deps, { path: '/pay/refundquery', signType, appId, fields: { out_refund_no: outRefundNo } });
    const count = fenField(a, 'refund_count') ?? 0;
    if (count > 50) throw new WechatError('PROTOCOL');
    const refunds: RefundQueryItem[] = [];
    for (let n = 0; n < count; n++) {
      const status = a[`refund_status_${n}`] ?? '';
      const fee = fenField(a, `refund_fee_${n}`);
      const no = a[`out_refund_no_${n}`];
      if (!REFUND_STATUSES.has(status) || fee === undefined || !no) throw new WechatError('PROTOCOL');
      refunds.push({
        outRefundNo: no,
        refundId: a[`refund_id_${n}`] || undefined,
        refundFee: fee,
        status: status as RefundStatus,
        successTime: a[`refund_success_time_${n}`] || undefined,
      });
    }
    return { outTradeNo: a.out_trade_no || undefined, totalFee: fenField(a, 'total_fee'), refunds };
  });
}
