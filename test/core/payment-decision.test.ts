// The payment decision (docs/reliability.md §4 step 5, I2, I5): every order status × every kind of
// report, written out as a table, plus the transaction-ownership and amount cases.
import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES, type OrderStatus } from '../../src/core/order-state';
import { paymentDecision, type PaymentDecision, type PaymentOrderView, type ReportedPayment } from '../../src/core/payment-decision';

const NO = 'WX20261207001';
const TXN = '4200000000202612070000000001';
const OTHER_TXN = '4200000000202612070000000002';
const report: ReportedPayment = { outTradeNo: NO, transactionId: TXN, totalFee: 1999, feeType: 'CNY' };
const unpaid = (status: OrderStatus): PaymentOrderView => ({ status, totalFee: 1999, feeType: 'CNY', transactionId: null });
const withTxn = (status: OrderStatus, transactionId: string): PaymentOrderView => ({ ...unpaid(status), transactionId });

const APPLY = (from: OrderStatus, to: 'PAID' | 'PAID_AFTER_CLOSE'): PaymentDecision => ({ kind: 'APPLY', from, to });
const LATE: PaymentDecision = { kind: 'ANOMALY', anomaly: 'LATE_PAYMENT_NOTIFY', outcome: 'LATE_PAYMENT' };
const CONFLICT: PaymentDecision = { kind: 'ANOMALY', anomaly: 'TXN_CONFLICT', outcome: 'CONFLICT' };
const AMOUNT: PaymentDecision = { kind: 'ANOMALY', anomaly: 'AMOUNT_MISMATCH', outcome: 'AMOUNT_MISMATCH' };
const FEE_TYPE: PaymentDecision = { kind: 'ANOMALY', anomaly: 'FEE_TYPE_MISMATCH', outcome: 'AMOUNT_MISMATCH' };

/**
 * status → [no transaction recorded yet, this transaction recorded, another transaction recorded].
 * A first payment follows §5's PAYMENT row; the same transaction again is a duplicate only while the
 * order is paid (refunded since: a late payment, never re-credited); another transaction is always a
 * conflict.
 */
const SPEC: Record<OrderStatus, [PaymentDecision, PaymentDecision, PaymentDecision]> = {
  CREATED: [APPLY('CREATED', 'PAID'), LATE, CONFLICT],
  NOTPAY: [APPLY('NOTPAY', 'PAID'), LATE, CONFLICT],
  CLOSING: [APPLY('CLOSING', 'PAID'), LATE, CONFLICT],
  PAYERROR: [APPLY('PAYERROR', 'PAID'), LATE, CONFLICT],
  CLOSED: [APPLY('CLOSED', 'PAID_AFTER_CLOSE'), LATE, CONFLICT],
  FAILED: [APPLY('FAILED', 'PAID_AFTER_CLOSE'), LATE, CONFLICT],
  // Paid statuses with no transaction recorded cannot be credited again.
  PAID: [CONFLICT, { kind: 'DUPLICATE', status: 'PAID' }, CONFLICT],
  PAID_AFTER_CLOSE: [CONFLICT, { kind: 'DUPLICATE', status: 'PAID_AFTER_CLOSE' }, CONFLICT],
  REFUNDING: [LATE, LATE, CONFLICT],
  PARTIALLY_REFUNDED: [LATE, LATE, CONFLICT],
  REFUNDED: [LATE, LATE, CONFLICT],
};

describe('payment decision: every status × transaction on record', () => {
  it('the table covers every order status', () => {
    expect(Object.keys(SPEC).sort()).toEqual([...ORDER_STATUSES].sort());
  });

  it.each(ORDER_STATUSES.map((s) => [s] as const))('%s', (status) => {
    const [first, same, other] = SPEC[status];
    expect(paymentDecision(unpaid(status), null, report)).toEqual(first);
    expect(paymentDecision(withTxn(status, TXN), NO, report)).toEqual(same);
    expect(paymentDecision(withTxn(status, OTHER_TXN), null, report)).toEqual(other);
  });
});

describe('payment decision: the checks before the state machine, in order', () => {
  const cases: Array<[string, PaymentOrderView | null, string | null, Partial<ReportedPayment>, PaymentDecision]> = [
    ['unknown order', null, null, {}, { kind: 'UNKNOWN_ORDER' }],
    ['unknown order, even if the transaction is held elsewhere', null, 'WX-OTHER', {}, { kind: 'UNKNOWN_ORDER' }],
    ['this transaction is held by another order (I2)', unpaid('NOTPAY'), 'WX-OTHER', {}, CONFLICT],
    ['the owner lookup naming this very order is no conflict', unpaid('NOTPAY'), NO, {}, APPLY('NOTPAY', 'PAID')],
    ['another order holds it, on a closed order too', unpaid('CLOSED'), 'WX-OTHER', {}, CONFLICT],
    ['amount lower than the order', unpaid('NOTPAY'), null, { totalFee: 1 }, AMOUNT],
    ['amount higher than the order', unpaid('NOTPAY'), null, { totalFee: 2000 }, AMOUNT],
    ['currency differs', unpaid('NOTPAY'), null, { feeType: 'USD' }, FEE_TYPE],
    ['amount and currency differ: the amount is named', unpaid('NOTPAY'), null, { totalFee: 1, feeType: 'USD' }, AMOUNT],
    ['a conflict outranks an amount difference', withTxn('NOTPAY', OTHER_TXN), null, { totalFee: 1 }, CONFLICT],
    ['a conflict by owner outranks an amount difference', unpaid('NOTPAY'), 'WX-OTHER', { totalFee: 1 }, CONFLICT],
    ['an amount difference outranks the state machine (refunded order)', unpaid('REFUNDED'), null, { totalFee: 1 }, AMOUNT],
    ['a currency difference outranks the state machine (paid order)', unpaid('PAID'), null, { feeType: 'USD' }, FEE_TYPE],
    [
      'a duplicate is judged before the amount (the memo stores the order amount)',
      withTxn('PAID', TXN),
      NO,
      { totalFee: 1 },
      { kind: 'DUPLICATE', status: 'PAID' },
    ],
    ['the same transaction on a refunded order, whatever the amount', withTxn('REFUNDED', TXN), NO, { totalFee: 1 }, LATE],
    ['a payment after a local close is applied, never dropped (I5)', unpaid('CLOSED'), null, {}, APPLY('CLOSED', 'PAID_AFTER_CLOSE')],
    ['a non-CNY order paid in its currency', { ...unpaid('NOTPAY'), feeType: 'HKD' }, null, { feeType: 'HKD' }, APPLY('NOTPAY', 'PAID')],
  ];
  it.each(cases)('%s', (_name, order, owner, change, expected) => {
    expect(paymentDecision(order, owner, { ...report, ...change })).toEqual(expected);
  });
});

describe('payment decision: never a second credit', () => {
  it('APPLY only from a status with no transaction recorded and no other owner', () => {
    for (const status of ORDER_STATUSES) {
      for (const txn of [TXN, OTHER_TXN]) {
        expect(paymentDecision(withTxn(status, txn), null, report).kind).not.toBe('APPLY');
      }
      expect(paymentDecision(unpaid(status), 'WX-OTHER', report).kind).not.toBe('APPLY');
    }
  });

  it('a paid or refunded status never leads to APPLY (I5: forward only)', () => {
    for (const status of ['PAID', 'PAID_AFTER_CLOSE', 'REFUNDING', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const) {
      expect(paymentDecision(unpaid(status), null, report).kind).not.toBe('APPLY');
    }
  });
});

describe('payment decision: payment attempts (another attempt of the order reports a payment)', () => {
  const ATTEMPT = 'WX20261207001N2';
  const paidBy = (status: OrderStatus, paymentNo: string | null): PaymentOrderView => ({ ...withTxn(status, OTHER_TXN), paymentNo });
  const second: ReportedPayment = { ...report, paymentNo: ATTEMPT };
  const fresh = { transactionId: null };
  const DUPLICATE_PAYMENT: PaymentDecision = { kind: 'DUPLICATE_PAYMENT' };
  const cases: Array<[string, PaymentOrderView, string | null, ReportedPayment, { transactionId: string | null } | null, PaymentDecision]> = [
    ['paid by the first attempt, the second pays too: a duplicate payment', paidBy('PAID', NO), null, second, fresh, DUPLICATE_PAYMENT],
    ['the same after the merchant refunded the order', paidBy('REFUNDED', NO), null, second, fresh, DUPLICATE_PAYMENT],
    ['the same on a partly refunded order', paidBy('PARTIALLY_REFUNDED', NO), null, second, fresh, DUPLICATE_PAYMENT],
    ['a paid-after-close order, then another attempt', paidBy('PAID_AFTER_CLOSE', NO), null, second, fresh, DUPLICATE_PAYMENT],
    ['the paying attempt reports another transaction: a conflict, not a duplicate', paidBy('PAID', ATTEMPT), null, second, fresh, CONFLICT],
    ['an attempt we never issued for this order: a conflict', paidBy('PAID', NO), null, second, null, CONFLICT],
    ['an attempt already holding another transaction: a conflict', paidBy('PAID', NO), null, second, { transactionId: 'X9' }, CONFLICT],
    ['the duplicate recorded already: nothing to write', paidBy('PAID', NO), null, second, { transactionId: TXN }, { kind: 'DUPLICATE_RECORDED' }],
    ['a duplicate whose amount differs is an amount anomaly, never an automatic refund', paidBy('PAID', NO), null, { ...second, totalFee: 1 }, fresh, AMOUNT],
    ['a duplicate in another currency likewise', paidBy('PAID', NO), null, { ...second, feeType: 'USD' }, fresh, FEE_TYPE],
    ['a transaction another order holds stays a conflict', paidBy('PAID', NO), 'WX-OTHER', second, fresh, CONFLICT],
    ['an unpaid order paid by its second attempt: applied', unpaid('NOTPAY'), null, second, fresh, APPLY('NOTPAY', 'PAID')],
    ['orders before attempts (no paying number recorded) keep their own number', paidBy('PAID', null), null, report, fresh, CONFLICT],
  ];
  it.each(cases)('%s', (_name, order, owner, reported, attempt, expected) => {
    expect(paymentDecision(order, owner, reported, attempt)).toEqual(expected);
  });
});
