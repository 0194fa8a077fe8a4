/**
 * The pure half of T+1 reconciliation: a bill record read as a payment or a refund (yuan strings to
 * integer fen, the 5-decimal 手续费 to integer 1/1000 fen, both exactly), the day's bill totals and
 * their check against the summary line, and the verdict on one payment or refund against our books.
 */
import { yuanToFen, yuanToMilliFen, type MilliFen } from './money';
import { PAID_STATUSES, type OrderStatus } from './order-state';

export interface BillPayment {
  readonly kind: 'PAYMENT';
  readonly outTradeNo: string;
  readonly transactionId: string;
  /** 订单金额 (the order's total_fee), or 应结订单金额 on bills without that column. */
  readonly totalFee: number;
  /** 应结订单金额: what settles (total minus non-settling coupons). */
  readonly settlementFee: number;
  readonly serviceCharge: MilliFen;
}

interface BillRefund {
  readonly kind: 'REFUND';
  readonly outTradeNo: string;
  readonly transactionId: string;
  readonly outRefundNo: string;
  readonly refundId: string;
  readonly refundFee: number;
  readonly refundStatus: string;
  readonly serviceCharge: MilliFen;
}

/** A row neither SUCCESS nor REFUND (e.g. REVOKED): kept for the status comparison. */
interface BillOther {
  readonly kind: 'OTHER';
  readonly outTradeNo: string;
  readonly transactionId: string;
  readonly tradeState: string;
}

export type BillEntry = BillPayment | BillRefund | BillOther;

const col = (r: Record<string, string>, name: string): string => {
  const v = r[name];
  if (v === undefined) throw new RangeError(`bill has no ${name} column`);
  return v;
};

/** One keyed bill record as an entry; throws (CoreError AMOUNT_INVALID or RangeError) when it cannot be read exactly. */
export function billEntry(r: Record<string, string>): BillEntry {
  const state = col(r, '交易状态');
  const outTradeNo = col(r, '商户订单号');
  const transactionId = col(r, '微信订单号');
  if (state === 'SUCCESS') {
    const settlementFee = yuanToFen(col(r, '应结订单金额'));
    const total = r['订单金额'];
    return {
      kind: 'PAYMENT',
      outTradeNo,
      transactionId,
      settlementFee,
      totalFee: total === undefined ? settlementFee : yuanToFen(total),
      serviceCharge: yuanToMilliFen(col(r, '手续费')),
    };
  }
  if (state === 'REFUND') {
    return {
      kind: 'REFUND',
      outTradeNo,
      transactionId,
      outRefundNo: col(r, '商户退款单号'),
      refundId: col(r, '微信退款单号'),
      refundFee: yuanToFen(col(r, '退款金额')),
      refundStatus: col(r, '退款状态'),
      serviceCharge: yuanToMilliFen(col(r, '手续费')),
    };
  }
  return { kind: 'OTHER', outTradeNo, transactionId, tradeState: state };
}

/** The bill side of a day: counts and integer sums, fees in 1/1000 fen. */
interface BillTotals {
  records: number;
  paymentCount: number;
  paidFee: number;
  refundCount: number;
  refundFee: number;
  serviceCharge: MilliFen;
}

export const emptyBillTotals = (): BillTotals => ({ records: 0, paymentCount: 0, paidFee: 0, refundCount: 0, refundFee: 0, serviceCharge: 0 });

export function addToTotals(t: BillTotals, e: BillEntry): void {
  t.records++;
  if (e.kind === 'PAYMENT') {
    t.paymentCount++;
    t.paidFee += e.settlementFee;
    t.serviceCharge += e.serviceCharge;
  } else if (e.kind === 'REFUND') {
    t.refundCount++;
    t.refundFee += e.refundFee;
    t.serviceCharge += e.serviceCharge;
  }
}

/** Net settlement in 1/1000 fen: settled payments − refunds − service charge (the fee is negative on refunds). */
export function netSettlement(t: Pick<BillTotals, 'paidFee' | 'refundFee' | 'serviceCharge'>): MilliFen {
  return (t.paidFee - t.refundFee) * 1000 - t.serviceCharge;
}

/** null when the summary line states the same totals the records add up to; otherwise the first difference. */
export function summaryDifference(t: BillTotals, summary: Record<string, string>): string | null {
  const count = summary['总交易单数'] ?? '';
  // `总交易单数` may be written `45.0` (docs/wechatpay-v2.md §15).
  const m = /^(0|[1-9][0-9]*)(\.0+)?$/.exec(count);
  if (!m || Number(m[1]) !== t.records) return '总交易单数';
  try {
    if (yuanToFen(summary['应结订单总金额'] ?? '') !== t.paidFee) return '应结订单总金额';
    if (yuanToFen(summary['退款总金额'] ?? '') !== t.refundFee) return '退款总金额';
    if (yuanToMilliFen(summary['手续费总金额'] ?? '') !== t.serviceCharge) return '手续费总金额';
  } catch {
    return 'summary amount';
  }
  return null;
}

/** Our side of one order, as D1 holds it. */
interface LocalPayment {
  readonly status: OrderStatus;
  readonly totalFee: number;
  readonly transactionId: string | null;
}

type PaymentVerdict =
  | { readonly kind: 'MATCHED' }
  /** WeChat took the money and our row is absent or not paid. */
  | { readonly kind: 'MISSING_LOCALLY' }
  | { readonly kind: 'AMOUNT_MISMATCH' }
  | { readonly kind: 'STATUS_MISMATCH'; readonly note: string };

const isPaidStatus = (s: OrderStatus): boolean => PAID_STATUSES.includes(s);

/** A bill payment (or other row) against our row for the same out_trade_no. */
export function comparePayment(bill: BillPayment | BillOther, local: LocalPayment | null): PaymentVerdict {
  if (bill.kind === 'OTHER') {
    return local && isPaidStatus(local.status) ? { kind: 'STATUS_MISMATCH', note: `bill ${bill.tradeState}, ours ${local.status}` } : { kind: 'MATCHED' };
  }
  if (!local || !isPaidStatus(local.status)) return { kind: 'MISSING_LOCALLY' };
  if (local.transactionId !== bill.transactionId) return { kind: 'STATUS_MISMATCH', note: 'transaction_id differs' };
  if (local.totalFee !== bill.totalFee) return { kind: 'AMOUNT_MISMATCH' };
  return { kind: 'MATCHED' };
}

/** Our side of one refund (the refunds table, when it exists). */
export interface LocalRefund {
  readonly refundFee: number;
  readonly refundId: string | null;
  readonly status: string;
}

type RefundVerdict =
  | { readonly kind: 'MATCHED' }
  | { readonly kind: 'REFUND_MISSING_LOCALLY'; readonly note: string }
  | { readonly kind: 'REFUND_AMOUNT_MISMATCH'; readonly note: string };

/**
 * Our refund states in which no money left: a bill row for such a refund (WeChat accepted it) means
 * our books miss a refund WeChat holds. SUBMITTING is not one of them: its call may have been accepted,
 * and the lifecycle cron settles it.
 */
const NO_MONEY_LEFT = new Set(['FAILED', 'REFUNDCLOSE']);

/** A bill refund row against our row for the same out_refund_no (amounts in fen). */
export function compareRefund(bill: BillRefund, local: LocalRefund | null): RefundVerdict {
  if (!local) return { kind: 'REFUND_MISSING_LOCALLY', note: 'no such refund in our books' };
  if (NO_MONEY_LEFT.has(local.status)) return { kind: 'REFUND_MISSING_LOCALLY', note: `bill ${bill.refundStatus}, ours ${local.status}` };
  if (local.refundFee !== bill.refundFee) return { kind: 'REFUND_AMOUNT_MISMATCH', note: `bill ${bill.refundFee} fen, ours ${local.refundFee} fen` };
  return { kind: 'MATCHED' };
}
