// The calls this side makes into the per-order OrderGate DO: the only way money state changes.
import type { OrderQueryResult } from '../wechat';

export type PaymentSource = 'NOTIFY' | 'ORDERQUERY' | 'CLOSE_ORDERPAID';

/** A verified payment fact for `applyPayment` (the agreed RPC contract). */
export interface PaymentFacts {
  outTradeNo: string;
  transactionId: string;
  totalFee: number;
  feeType: string;
  cashFee?: number;
  bankType?: string;
  openid?: string;
  timeEnd?: string;
  source: PaymentSource;
}

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

export interface GateResult {
  outcome: string; // 'APPLIED' | 'ALREADY_APPLIED' | 'PAID_AFTER_CLOSE' | 'CONFLICT' | …
  status: string;
}

export type ClosePhase = 'BEGIN' | 'CLOSED' | 'ABORT';

/** The OrderGate RPC surface this side relies on (owned by the notify side's durable-object.ts). */
export interface OrderGateRpc {
  applyPayment(p: PaymentFacts): Promise<GateResult>;
  closeOrder(p: { outTradeNo: string; phase: ClosePhase }): Promise<GateResult>;
}

export function orderGate(env: Env, outTradeNo: string): OrderGateRpc {
  return env.ORDER_GATE.getByName(outTradeNo) as unknown as OrderGateRpc;
}
