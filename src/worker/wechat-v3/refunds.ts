/**
 * 退款申请 and 查询单笔退款 over API v3 (docs/wechatpay-v3.md §6.4): no client certificate (the request
 * signature is the merchant's proof), answers verified before they are read. 200 means accepted, not
 * refunded. On TIMEOUT/NETWORK/429 the acceptance is unknown: query first, then repeat with the same
 * out_refund_no and amounts.
 */
import { ChannelError, type RefundAccepted, type RefundQueryResult, type RefundRequest, type RefundStatus } from '../channel';
import { callV3, callV3WithRetries, fen, obj, str } from './call';
import type { V3Deps } from './request';
import { refundTimeOf } from './time';

/**
 * v3 refund statuses as the domain's (v2's) RefundStatus. ABNORMAL is v2's CHANGE under a new name:
 * 退款异常, the money left but the buyer's card was frozen or closed, and a person settles it in the
 * merchant platform (or by apply-abnormal-refund). WeChat calls it not final; neither is CHANGE in
 * practice, so it takes CHANGE's path — the reservation stays, an anomaly alerts that person, and a
 * later SUCCESS is a conflict for the same person, exactly as under v2.
 */
export const REFUND_STATUS_V3: Readonly<Record<string, RefundStatus>> = {
  PROCESSING: 'PROCESSING',
  SUCCESS: 'SUCCESS',
  CLOSED: 'REFUNDCLOSE',
  ABNORMAL: 'CHANGE',
};

/** Where v3 refund notifies arrive. */
export function v3RefundNotifyUrl(deps: Pick<V3Deps, 'config'>): string {
  return `${deps.config.publicBaseUrl}/wechat/v3/refund-notify`;
}

export async function refundV3(deps: V3Deps, req: RefundRequest): Promise<RefundAccepted> {
  const a = await callV3(deps, {
    method: 'POST',
    url: '/v3/refund/domestic/refunds',
    subject: 'REFUND',
    body: {
      out_trade_no: req.order.outTradeNo,
      out_refund_no: req.outRefundNo,
      ...(req.refundDesc ? { reason: req.refundDesc } : {}),
      notify_url: v3RefundNotifyUrl(deps),
      amount: { refund: req.refundFee, total: req.totalFee, currency: 'CNY' },
    },
  });
  const refundId = str(a, 'refund_id');
  const refundFee = fen(obj(a, 'amount'), 'refund');
  if (!refundId || str(a, 'out_refund_no') !== req.outRefundNo || refundFee !== req.refundFee) throw new ChannelError('PROTOCOL');
  return { refundId, outRefundNo: req.outRefundNo, refundFee, transactionId: str(a, 'transaction_id') || undefined };
}

/** One refund by out_refund_no (a 404 is REFUNDNOTEXIST), retried with backoff (safe to repeat). */
export async function queryRefundV3(deps: V3Deps, outRefundNo: string): Promise<RefundQueryResult> {
  const a = await callV3WithRetries(deps, { method: 'GET', url: `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`, subject: 'REFUND' });
  const status = REFUND_STATUS_V3[str(a, 'status') ?? ''];
  const amount = obj(a, 'amount');
  const refundFee = fen(amount, 'refund');
  if (!status || refundFee === undefined || str(a, 'out_refund_no') !== outRefundNo) throw new ChannelError('PROTOCOL');
  return {
    outTradeNo: str(a, 'out_trade_no') || undefined,
    totalFee: fen(amount, 'total'),
    refunds: [{ outRefundNo, refundId: str(a, 'refund_id') || undefined, refundFee, status, successTime: refundTimeOf(a?.success_time) }],
  };
}
