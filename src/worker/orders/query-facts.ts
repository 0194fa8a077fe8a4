// The payment fact a verified orderquery proves, in the shape the OrderGate applies.
import type { PaymentFacts, PaymentSource } from '../order-gate/contract';
import type { OrderQueryResult } from '../wechat';

/** From a verified orderquery SUCCESS answer whose amount was already checked against the order. */
export function paymentFromQuery(q: OrderQueryResult, totalFee: number, source: PaymentSource): PaymentFacts | null {
  if (q.tradeState !== 'SUCCESS' || !q.transactionId || q.totalFee !== totalFee || (q.feeType ?? 'CNY') !== 'CNY') return null;
  return {
    outTradeNo: q.outTradeNo,
    transactionId: q.transactionId,
    totalFee,
    feeType: q.feeType ?? 'CNY',
    cashFee: q.cashFee,
    bankType: q.bankType,
    openid: q.openid,
    timeEnd: q.timeEnd,
    source,
  };
}
