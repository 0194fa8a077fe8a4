/**
 * The checks an authentic payment notify passes before it may change money state, ONE definition for
 * API v2 and v3 (docs/reliability.md §4 steps 4–8, I1; docs/wechatpay-v3.md §8.3): our merchant, a
 * known attempt of a known order under the appid it was placed with, the amount (integer fen, the
 * order total) and currency, a reported success, the trade type and payer the attempt was issued for,
 * a well-formed transaction_id. Each version's reader normalised the message into a PaymentNotice
 * (channel/channel.ts); only a notice that passes every check reaches the order's DO, and an
 * authentic one that does not is an anomaly, acknowledged. A forged message never gets here.
 */
import { restoredArchived } from './archived';
import { maskOpenid, OUT_TRADE_NO, parseFen } from '../../core';
import type { PaymentNotice } from '../channel';
import type { AnomalyKind, GateResult, NotifyEvidence, OrderSnapshot, PaymentFacts } from '../model';
import { orderOfPaymentNo } from '../orders';
import { log } from '../platform/log';
import { forgetApplied, knownApplied, rememberApplied } from './applied-cache';
import { anomalyReply, type NotifyDeps, type NotifyVerdict } from './inbound';

const TRANSACTION_ID = /^[0-9A-Za-z]{1,32}$/;
const TIME_END = /^\d{14}$/;

/** Outcomes after which the payment is committed (the applied cache may remember it). */
const COMMITTED: ReadonlySet<string> = new Set(['APPLIED', 'ALREADY_APPLIED', 'PAID_AFTER_CLOSE']);

export async function settlePaymentNotice(deps: NotifyDeps, notice: PaymentNotice, evidence: NotifyEvidence): Promise<NotifyVerdict> {
  const { config, receivedAt: now } = deps;
  // The number WeChat knows: a payment attempt's (for orders made before attempts, the order's own).
  const paymentNo = notice.outTradeNo !== undefined && OUT_TRADE_NO.test(notice.outTradeNo) ? notice.outTradeNo : null;
  const feeType = notice.feeType ?? 'CNY';

  // An exact repeat of a payment this isolate saw committed (so every check below passed for these very
  // values): no D1 read. It still goes to the order's DO, whose memo answers with no D1 access while
  // the order is PAID — and only then: a refund may have moved the order on in another isolate, and
  // only the DO (every refund passes it) knows. A moved-on order takes the DO's full path and gets
  // its LATE_PAYMENT anomaly; never a second credit, never a return to PAID.
  const known =
    paymentNo !== null && notice.mchId === config.mchId && notice.succeeded && notice.transactionId !== undefined && notice.appId !== undefined
      ? knownApplied(paymentNo, notice.appId, notice.transactionId, notice.totalFee, feeType, now.getTime())
      : null;
  if (known !== null && paymentNo !== null) {
    const facts = paymentFacts(notice, known, paymentNo, Number(notice.totalFee), feeType);
    const result = await applyThroughGate(deps, facts, evidence);
    if (!COMMITTED.has(result.outcome)) forgetApplied(paymentNo);
    return { reply: 'OK', outcome: result.outcome, outTradeNo: known };
  }
  // Until the attempt is found, anomalies name the reported number.
  let outTradeNo = paymentNo;
  const anomaly = (kind: AnomalyKind, detail: Record<string, unknown>) => anomalyReply(deps, evidence, 'PAY', kind, outTradeNo, detail);

  // 5–6. Our merchant, and a known attempt of a known order (no DO exists for unknown or malformed
  // numbers). The appid must be the one the attempt was placed under (a mini-program's or an app's
  // for those trade types; the 公众号's for attempts made before attempts existed).
  const found = paymentNo === null ? null : ((await orderOfPaymentNo(deps.db, paymentNo)) ?? (await restoredArchived(deps, paymentNo)));
  const attempt = found?.attempt ?? null;
  if (notice.appId !== (attempt?.appid ?? config.appId)) return anomaly('APPID_MISMATCH', { appid: notice.appId ?? null });
  if (notice.mchId !== config.mchId) return anomaly('MCH_MISMATCH', { mch_id: notice.mchId ?? null });
  if (paymentNo === null) return anomaly('UNKNOWN_ORDER', { reason: 'out_trade_no missing or malformed' });
  if (!found) return anomaly('UNKNOWN_ORDER', {});
  const order = found.order;
  outTradeNo = order.out_trade_no;

  // 7. Amount (integer fen; the order total, not what the buyer paid, which coupons reduce) and currency.
  let totalFee: number;
  try {
    totalFee = parseFen(notice.totalFee ?? '');
  } catch {
    return anomaly('AMOUNT_MISMATCH', { expected: order.total_fee, total_fee: notice.totalFee ?? null });
  }
  if (totalFee !== order.total_fee) return anomaly('AMOUNT_MISMATCH', { expected: order.total_fee, total_fee: totalFee });
  if (feeType !== order.fee_type) return anomaly('FEE_TYPE_MISMATCH', { expected: order.fee_type, fee_type: feeType });

  // 8. Business result.
  if (!notice.succeeded) return anomaly('RESULT_FAIL', { ...notice.failure });

  // Beyond §4 (T28): the payer and the trade type must be the ones this attempt was issued for
  // (a mini-program pays as trade_type JSAPI).
  const tradeType = attempt ? (attempt.trade_type === 'MINIPROGRAM' ? 'JSAPI' : attempt.trade_type) : 'JSAPI';
  if (notice.tradeType !== undefined && notice.tradeType !== tradeType) return anomaly('TRADE_TYPE_MISMATCH', { trade_type: notice.tradeType });
  const buyer = attempt ? attempt.openid : (order.prepay_openid ?? order.openid);
  const buyerBound = !attempt || attempt.trade_type === 'JSAPI' || attempt.trade_type === 'MINIPROGRAM';
  if (buyerBound && buyer && notice.openid !== undefined && notice.openid !== buyer) return anomaly('OPENID_MISMATCH', { openid: maskOpenid(notice.openid) });
  if (!notice.transactionId || !TRANSACTION_ID.test(notice.transactionId)) return anomaly('MALFORMED_FIELD', { field: 'transaction_id' });

  const facts = paymentFacts(notice, order.out_trade_no, paymentNo, totalFee, feeType);
  const seen: OrderSnapshot = { status: order.status, totalFee: order.total_fee, feeType: order.fee_type, transactionId: order.transaction_id };
  const result = await applyThroughGate(deps, facts, evidence, seen);
  if (COMMITTED.has(result.outcome)) {
    rememberApplied(paymentNo, order.out_trade_no, notice.appId!, facts.transactionId, totalFee, feeType, now.getTime());
  }
  return { reply: 'OK', outcome: result.outcome, outTradeNo: order.out_trade_no };
}

/** The payment fact of a verified notice whose amount and currency were checked. */
function paymentFacts(notice: PaymentNotice, outTradeNo: string, paymentNo: string, totalFee: number, feeType: string): PaymentFacts {
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
    source: 'NOTIFY',
  };
}

interface DoError {
  retryable?: boolean;
  overloaded?: boolean;
}

/**
 * The DO call. A `.retryable` infrastructure error gets one more try on a FRESH stub (a stub that
 * threw may be broken); `.overloaded` never does (docs/reliability.md §6.1, T58, T59). Anything else
 * propagates and becomes RETRY: the DO committed nothing partial.
 */
async function applyThroughGate(deps: NotifyDeps, facts: PaymentFacts, evidence: NotifyEvidence, seen?: OrderSnapshot): Promise<GateResult> {
  try {
    return await deps.gate(facts.outTradeNo).applyPayment(facts, evidence, seen);
  } catch (e) {
    const err = e as DoError;
    if (!err?.retryable || err.overloaded) throw e;
    return await deps.gate(facts.outTradeNo).applyPayment(facts, evidence);
  }
}

/** Logged when a v2 notify verified only under the trimmed reading (docs/wechatpay-v2.md §3.3). */
export function noteTrimmedReading(deps: NotifyDeps, notice: PaymentNotice): void {
  (deps.log ?? log).warn('NOTIFY_SIGN_TRIMMED_READING', { outTradeNo: notice.outTradeNo ?? null });
}
