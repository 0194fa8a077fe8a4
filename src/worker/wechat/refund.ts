/**
 * 申请退款, over the client-certificate transport. SUCCESS means accepted, not refunded. On
 * TIMEOUT/NETWORK query first (refundquery), then retry with the identical out_refund_no and refund_fee.
 * @see https://pay.weixin.qq.com/wiki/doc/api/jsapi_sl.php?chapter=9_4
 */
import type { SignType } from '../../core';
import { callWechat, fenField, type WechatDeps } from './call';
import { WechatError } from './errors';
import type { RefundAccepted } from '../channel';

/** The v2 request: the channel's RefundRequest with the order's sign type flattened in. */
export interface RefundRequest {
  readonly outTradeNo: string;
  readonly outRefundNo: string;
  readonly totalFee: number;
  readonly refundFee: number;
  readonly refundDesc?: string;
  readonly notifyUrl?: string;
  readonly signType: SignType;
  /** The appid the order was placed under (absent: the 公众号 appid), sent and required of the answer. */
  readonly appId?: string;
}

export async function refund(deps: WechatDeps, req: RefundRequest): Promise<RefundAccepted> {
  const a = await callWechat(deps, {
    path: '/secapi/pay/refund',
    signType: req.signType,
    appId: req.appId,
    cert: true,
    fields: {
      out_trade_no: req.outTradeNo,
      out_refund_no: req.outRefundNo,
      total_fee: req.totalFee,
      refund_fee: req.refundFee,
      refund_desc: req.refundDesc,
      notify_url: req.notifyUrl,
    },
  });
  const refundFee = fenField(a, 'refund_fee');
  if (!a.refund_id || a.out_refund_no !== req.outRefundNo || refundFee !== req.refundFee) throw new WechatError('PROTOCOL');
  return { refundId: a.refund_id, outRefundNo: req.outRefundNo, refundFee, transactionId: a.transaction_id || undefined };
}
