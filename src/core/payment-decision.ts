/**
 * The payment decision (docs/reliability.md §4 step 5.3–5.4, I2, I5): what a verified payment report
 * does to an order, from the order as read under its OrderGate's lock. Pure: the OrderGate keeps the
 * lock, the memo, the batch and the publish; this decides. Beside `refundMove` (refund-state.ts), the
 * same decision for refund reports.
 *
 * In order: the order must exist; the same transaction again is a duplicate while the order is paid,
 * and a late payment once it was refunded since (never re-credited [S23]); a transaction this
 * attempt already recorded as a duplicate payment is that again; a transaction another order holds
 * is a conflict; the amount and then the currency must equal the order's; an order paid by ANOTHER
 * attempt, reported paid by this one, is a duplicate payment (credited and given back in full),
 * while another transaction on the same attempt is a conflict; then the state machine decides: PAID
 * (or PAID_AFTER_CLOSE after a local close or a failed prepay), a late payment for a (partly)
 * refunded order, or a conflict for a paid order without a recorded transaction.
 */
import { transition, type OrderStatus } from './order-state';

/** The order fields the decision reads (the row under the lock, or the caller's fresh snapshot). */
export interface PaymentOrderView {
  status: OrderStatus;
  /** Integer fen. */
  totalFee: number;
  feeType: string;
  transactionId: string | null;
  /** The attempt that paid the order (its WeChat number); null or absent: the order's own number. */
  paymentNo?: string | null;
}

/** The reported attempt as stored: absent when WeChat names a number we never issued for this order. */
export interface PaymentAttemptView {
  /** The transaction it already holds (a recorded duplicate), or null. */
  transactionId: string | null;
}

/** What was reported (signature already verified by the caller). */
export interface ReportedPayment {
  /** The merchant's order. */
  outTradeNo: string;
  /** The attempt WeChat reported (its out_trade_no); absent: the order's own number. */
  paymentNo?: string;
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
  | { kind: 'APPLY'; from: OrderStatus; to: 'PAID' | 'PAID_AFTER_CLOSE' }
  /** Another attempt paid the order: credit this one as a duplicate and refund it in full, automatically. */
  | { kind: 'DUPLICATE_PAYMENT' }
  /** This transaction is already recorded as the attempt's duplicate payment: nothing to write. */
  | { kind: 'DUPLICATE_RECORDED' };

const LATE = { kind: 'ANOMALY', anomaly: 'LATE_PAYMENT_NOTIFY', outcome: 'LATE_PAYMENT' } as const;
const CONFLICT = { kind: 'ANOMALY', anomaly: 'TXN_CONFLICT', outcome: 'CONFLICT' } as const;

/** The amount, then the currency, against the order's. */
function amountMismatch(order: PaymentOrderView, p: ReportedPayment): PaymentDecision | null {
  if (order.totalFee !== p.totalFee) return { kind: 'ANOMALY', anomaly: 'AMOUNT_MISMATCH', outcome: 'AMOUNT_MISMATCH' };
  if (p.feeType !== order.feeType) return { kind: 'ANOMALY', anomaly: 'FEE_TYPE_MISMATCH', outcome: 'AMOUNT_MISMATCH' };
  return null;
}

/**
 * `txnOwner`: the order that holds `p.transactionId`, if any (null when none, or when unknown: the
 * commit's CAS refuses a transaction another order holds, and the re-read decides again).
 * `attempt`: the reported attempt of this order as stored (null: not one of its attempts).
 */
export function paymentDecision(
  order: PaymentOrderView | null,
  txnOwner: string | null,
  p: ReportedPayment,
  attempt?: PaymentAttemptView | null,
): PaymentDecision {
  if (!order) return { kind: 'UNKNOWN_ORDER' };
  if (order.transactionId === p.transactionId) {
    if (order.status === 'PAID' || order.status === 'PAID_AFTER_CLOSE') return { kind: 'DUPLICATE', status: order.status };
    return LATE; // refunded since: never re-credit
  }
  if (attempt?.transactionId === p.transactionId) return { kind: 'DUPLICATE_RECORDED' };
  if (order.transactionId !== null) {
    const payingAttempt = order.paymentNo ?? p.outTradeNo;
    const reported = p.paymentNo ?? p.outTradeNo;
    // Another attempt of this order, known to us and holding no other transaction: money that came in twice.
    if (reported === payingAttempt || !attempt || attempt.transactionId !== null || (txnOwner !== null && txnOwner !== p.outTradeNo)) return CONFLICT;
    const mismatch = amountMismatch(order, p);
    return mismatch ?? { kind: 'DUPLICATE_PAYMENT' };
  }
  if (txnOwner !== null && txnOwner !== p.outTradeNo) return CONFLICT;
  const mismatch = amountMismatch(order, p);
  if (mismatch) return mismatch;
  const t = transition(order.status, 'PAYMENT');
  if (!t.ok) return LATE;
  if (!t.changed) return CONFLICT; // paid, yet no transaction recorded
  return { kind: 'APPLY', from: order.status, to: t.to as 'PAID' | 'PAID_AFTER_CLOSE' };
}
