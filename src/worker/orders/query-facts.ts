// The payment fact a verified orderquery proves, in the shape the OrderGate applies.
import type { OrderQueryResult } from '../channel';
import type { PaymentFacts, PaymentSource } from '../model';

/**
 * From a verified orderquery SUCCESS answer (about one of `order`'s attempts), as WeChat reported it. The OrderGate judges it against the
 * order like a notify: a different amount or currency becomes an anomaly (and `order.anomaly`), never a credit.
 */
export function paymentFromQuery(q: OrderQueryResult, source: PaymentSource, order: string = q.outTradeNo): PaymentFacts | null {
  if (q.tradeState !== 'SUCCESS' || !q.transactionId || q.totalFee === undefined) return null;
  return {
    outTradeNo: order,
    // The number WeChat answered for: an attempt's, when it is not the order's own.
    ...(q.outTradeNo === order ? {} : { paymentNo: q.outTradeNo }),
    transactionId: q.transactionId,
    totalFee: q.totalFee,
    feeType: q.feeType ?? 'CNY',
    cashFee: q.cashFee,
    bankType: q.bankType,
    openid: q.openid,
    timeEnd: q.timeEnd,
    source,
  };
}
