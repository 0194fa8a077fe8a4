/**
 * The payment decision (docs/reliability.md §4 step 5.3–5.4, I2, I5): what a verified payment report
 * does to an order, from the order as read under its OrderGate's lock. Pure: the OrderGate keeps the
 * lock, the memo, the batch and the publish; this decides. Beside `refundMove` (refund-state.ts), the
 * same decision for refund reports.
 *
 * In order: the order must exist; the same transaction again is a duplicate while the order is paid,
 * and a late payment once it was refunded since (never re-credited [S23]); a transaction other than
 * the order's (or one another order holds) is a conflict; the amount and then the currency must equal
 * the order's; then the state machine decides: PAID (or PAID_AFTER_CLOSE after a local close or a
 * failed prepay), a late payment for a (partly) refunded order, or a conflict for a paid order
 * without a recorded transaction.
 */
import { transition, type OrderStatus } from './order-state';

/** The order fields the decision reads (the row under the lock, or the caller's fresh snapshot). */
export interface PaymentOrderView {
  status: OrderStatus;
  /** Integer fen. */
  totalFee: number;
  feeType: string;
  transactionId: string | null;
}

/** What was reported (signature already verified by the caller). */
export interface ReportedPayment {
  outTradeNo: string;
  transactionId: string;
  /** Integer fen. */
  totalFee: number;
  feeType: string;
}

/** The anomaly kinds this decision can give, and the gate outcome each answers with. */
type PaymentAnomaly =
  | { anomaly: 'LATE_PAYMENT_NOTIFY'; outcome: 'LATE_PAYMENT' }
  | { anomaly: 'TXN_CONFLICT'; outcome: 'CONFLICT' }
  | { anomaly: 'AMOUNT_MISMATCH'; outcome: 'AMOUNT_MISMATCH' }
  | { anomaly: 'FEE_TYPE_MISMATCH'; outcome: 'AMOUNT_MISMATCH' };

export type PaymentDecision =
  /** No such order. */
  | { kind: 'UNKNOWN_ORDER' }
  /** This transaction is the order's and the order is still paid: nothing to write. */
  | { kind: 'DUPLICATE'; status: 'PAID' | 'PAID_AFTER_CLOSE' }
  /** Authentic but not applicable: an anomaly, no money state changes. */
  | ({ kind: 'ANOMALY' } & PaymentAnomaly)
  /** Apply: CAS from `from` to `to`, one ledger credit (PAID_AFTER_CLOSE also records its anomaly). */
  | { kind: 'APPLY'; from: OrderStatus; to: 'PAID' | 'PAID_AFTER_CLOSE' };

const LATE = { kind: 'ANOMALY', anomaly: 'LATE_PAYMENT_NOTIFY', outcome: 'LATE_PAYMENT' } as const;
const CONFLICT = { kind: 'ANOMALY', anomaly: 'TXN_CONFLICT', outcome: 'CONFLICT' } as const;

/**
 * `txnOwner`: the order that holds `p.transactionId`, if any (null when none, or when unknown: the
 * commit's CAS refuses a transaction another order holds, and the re-read decides again).
 */
export function paymentDecision(order: PaymentOrderView | null, txnOwner: string | null, p: ReportedPayment): PaymentDecision {
  if (!order) return { kind: 'UNKNOWN_ORDER' };
  if (order.transactionId === p.transactionId) {
    if (order.status === 'PAID' || order.status === 'PAID_AFTER_CLOSE') return { kind: 'DUPLICATE', status: order.status };
    return LATE; // refunded since: never re-credit
  }
  if (order.transactionId !== null || (txnOwner !== null && txnOwner !== p.outTradeNo)) return CONFLICT;
  if (order.totalFee !== p.totalFee) return { kind: 'ANOMALY', anomaly: 'AMOUNT_MISMATCH', outcome: 'AMOUNT_MISMATCH' };
  if (p.feeType !== order.feeType) return { kind: 'ANOMALY', anomaly: 'FEE_TYPE_MISMATCH', outcome: 'AMOUNT_MISMATCH' };
  const t = transition(order.status, 'PAYMENT');
  if (!t.ok) return LATE;
  if (!t.changed) return CONFLICT; // paid, yet no transaction recorded
  return { kind: 'APPLY', from: order.status, to: t.to as 'PAID' | 'PAID_AFTER_CLOSE' };
}
