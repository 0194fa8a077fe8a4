// The calls this side makes into the per-order OrderGate DO: the only way money state changes.
import type { CloseRequest, GateResult, PaymentFacts, PaymentSource } from '../order-gate/contract';
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

/** The OrderGate RPC surface this side relies on (contract.ts; owned by the notify side). */
export interface OrderGateRpc {
  applyPayment(p: PaymentFacts): Promise<GateResult>;
  closeOrder(req: CloseRequest): Promise<GateResult>;
}

export function orderGate(env: Env, outTradeNo: string): OrderGateRpc {
  return env.ORDER_GATE.getByName(outTradeNo) as unknown as OrderGateRpc;
}
