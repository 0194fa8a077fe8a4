/**
 * The checks an authentic payment notify passes before it may change money state (docs/reliability.md
 * §4 steps 5–8, I1, T28; docs/wechatpay-v3.md §8.3), ONE definition for both places that run them:
 * the OrderGate, from the facts it keeps in its storage since the attempt was made, and the notify
 * route's read path, from D1 (orders and attempts made before the OrderGate kept them). Pure: given
 * the notice and what is known of the number it names, either the payment to apply or the anomaly.
 *
 * In order: the appid the attempt was placed under, our merchant, a known number, the amount (integer
 * fen; the order total, not what the buyer paid, which coupons reduce) and currency, a reported
 * success, the trade type and payer the attempt was issued for (a mini-program pays as trade_type
 * JSAPI), a well-formed transaction_id.
 */
import { maskOpenid } from './ids';
import { parseFen } from './money';

const TRANSACTION_ID = /^[0-9A-Za-z]{1,32}$/;
const TIME_END = /^\d{14}$/;

/**
 * An authenticated payment notice, either API version, as its reader normalised it (the channel's
 * PaymentNotice): the wire values as text, nothing checked beyond authenticity.
 */
export interface NoticeFields {
  readonly appId?: string;
  readonly mchId?: string;
  /** The number WeChat knows: a payment attempt's (for orders made before attempts, the order's own). */
  readonly outTradeNo?: string;
  readonly transactionId?: string;
  /** The order amount in fen as text (v2 total_fee; v3 amount.total). */
  readonly totalFee?: string;
  /** What the buyer paid in fen as text (v2 cash_fee; v3 amount.payer_total): informational. */
  readonly cashFee?: string;
  /** Absent: CNY (v2 fee_type; v3 amount.currency). */
  readonly feeType?: string;
  /** WeChat reports the payment made (v2 result_code=SUCCESS; v3 TRANSACTION.SUCCESS with trade_state SUCCESS). */
  readonly succeeded: boolean;
  /** What WeChat reported instead, for the anomaly record (v2 err_code; v3 event_type and trade_state). */
  readonly failure?: Readonly<Record<string, string | null>>;
  /** As on the wire: a mini-program's payment is JSAPI. */
  readonly tradeType?: string;
  readonly openid?: string;
  readonly bankType?: string;
  /** yyyyMMddHHmmss (Beijing). */
  readonly timeEnd?: string;
}

/** What is known of the number a notice names: immutable facts, from D1 or from the OrderGate's storage. */
export interface NoticeTarget {
  /** The merchant's order. */
  outTradeNo: string;
  /** The order total, integer fen. */
  totalFee: number;
  feeType: string;
  /** The attempt under that number; null for an order from before attempts, paid under its own number. */
  attempt: { appId: string | null; tradeType: string; openid: string | null } | null;
  /** Orders from before attempts only: the buyer their prepay was issued for. */
  orderBuyer?: string | null;
}

/** The configuration the checks compare with. */
export interface NoticeExpectations {
  mchId: string;
  /** The 公众号 appid: what attempts backfilled from before attempts (no appid of their own) were placed under. */
  appId: string;
}

/** A notice that passed every check: the payment facts to apply (the gateway's PaymentFacts). */
export interface CheckedPayment {
  outTradeNo: string;
  /** Absent when the attempt's number is the order's own. */
  paymentNo?: string;
  transactionId: string;
  totalFee: number;
  feeType: string;
  cashFee?: number;
  bankType?: string;
  openid?: string;
  timeEnd?: string;
  /** The appid it was paid under (kept in the OrderGate's paid-memo to answer exact repeats). */
  appId: string;
  source: 'NOTIFY';
}

export type NoticeAnomalyKind =
  | 'APPID_MISMATCH'
  | 'MCH_MISMATCH'
  | 'UNKNOWN_ORDER'
  | 'AMOUNT_MISMATCH'
  | 'FEE_TYPE_MISMATCH'
  | 'RESULT_FAIL'
  | 'TRADE_TYPE_MISMATCH'
  | 'OPENID_MISMATCH'
  | 'MALFORMED_FIELD';

export type NoticeCheck =
  | { ok: true; payment: CheckedPayment }
  /** `outTradeNo`: the order once the number is known, else the reported number (null if malformed). */
  | { ok: false; kind: NoticeAnomalyKind; detail: Record<string, unknown>; outTradeNo: string | null };

/**
 * `paymentNo`: the reported number if well-formed, else null. `target`: what is known of it, null
 * when it names no order or attempt.
 */
export function checkPaymentNotice(notice: NoticeFields, paymentNo: string | null, target: NoticeTarget | null, expect: NoticeExpectations): NoticeCheck {
  const feeType = notice.feeType ?? 'CNY';
  const attempt = target?.attempt ?? null;
  // Until the number is found, anomalies name the reported number.
  const early = (kind: NoticeAnomalyKind, detail: Record<string, unknown>): NoticeCheck => ({ ok: false, kind, detail, outTradeNo: paymentNo });
  if (notice.appId !== (attempt?.appId ?? expect.appId)) return early('APPID_MISMATCH', { appid: notice.appId ?? null });
  if (notice.mchId !== expect.mchId) return early('MCH_MISMATCH', { mch_id: notice.mchId ?? null });
  if (paymentNo === null) return early('UNKNOWN_ORDER', { reason: 'out_trade_no missing or malformed' });
  if (!target) return early('UNKNOWN_ORDER', {});
  const anomaly = (kind: NoticeAnomalyKind, detail: Record<string, unknown>): NoticeCheck => ({ ok: false, kind, detail, outTradeNo: target.outTradeNo });

  let totalFee: number;
  try {
    totalFee = parseFen(notice.totalFee ?? '');
  } catch {
    return anomaly('AMOUNT_MISMATCH', { expected: target.totalFee, total_fee: notice.totalFee ?? null });
  }
  if (totalFee !== target.totalFee) return anomaly('AMOUNT_MISMATCH', { expected: target.totalFee, total_fee: totalFee });
  if (feeType !== target.feeType) return anomaly('FEE_TYPE_MISMATCH', { expected: target.feeType, fee_type: feeType });

  if (!notice.succeeded) return anomaly('RESULT_FAIL', { ...notice.failure });

  const tradeType = attempt ? (attempt.tradeType === 'MINIPROGRAM' ? 'JSAPI' : attempt.tradeType) : 'JSAPI';
  if (notice.tradeType !== undefined && notice.tradeType !== tradeType) return anomaly('TRADE_TYPE_MISMATCH', { trade_type: notice.tradeType });
  const buyer = attempt ? attempt.openid : (target.orderBuyer ?? null);
  const buyerBound = !attempt || attempt.tradeType === 'JSAPI' || attempt.tradeType === 'MINIPROGRAM';
  if (buyerBound && buyer && notice.openid !== undefined && notice.openid !== buyer) return anomaly('OPENID_MISMATCH', { openid: maskOpenid(notice.openid) });
  if (!notice.transactionId || !TRANSACTION_ID.test(notice.transactionId)) return anomaly('MALFORMED_FIELD', { field: 'transaction_id' });

  return { ok: true, payment: checkedPayment(notice, target.outTradeNo, paymentNo, totalFee, feeType) };
}

/** The payment facts of a notice whose amount and currency were checked. */
function checkedPayment(notice: NoticeFields, outTradeNo: string, paymentNo: string, totalFee: number, feeType: string): CheckedPayment {
  let cashFee: number | undefined;
  try {
    cashFee = notice.cashFee === undefined ? undefined : parseFen(notice.cashFee, { allowZero: true });
  } catch {
    cashFee = undefined; // informational only; the amount check used the order total
  }
  return {
    outTradeNo,
    ...(paymentNo === outTradeNo ? {} : { paymentNo }),
    transactionId: notice.transactionId!,
    totalFee,
    feeType,
    cashFee,
    bankType: notice.bankType,
    openid: notice.openid,
    timeEnd: notice.timeEnd !== undefined && TIME_END.test(notice.timeEnd) ? notice.timeEnd : undefined,
    appId: notice.appId!,
    source: 'NOTIFY',
  };
}

/**
 * Whether a notice repeats a committed payment exactly as far as the answer depends on it: the same
 * appid, transaction, canonical amount and currency, reported successful by our merchant. The isolate
 * cache and the OrderGate's paid-memo both answer such a repeat without D1.
 */
export function repeatsPayment(
  notice: NoticeFields,
  paid: { appId: string; transactionId: string; totalFee: number; feeType: string },
  expect: Pick<NoticeExpectations, 'mchId'>,
): boolean {
  return (
    notice.mchId === expect.mchId &&
    notice.succeeded &&
    notice.appId === paid.appId &&
    notice.transactionId === paid.transactionId &&
    notice.totalFee === String(paid.totalFee) &&
    (notice.feeType ?? 'CNY') === paid.feeType
  );
}
