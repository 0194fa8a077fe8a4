/**
 * The payment notify, in the order of docs/reliability.md §4 / I1: size, strict parse, return_code,
 * signature, appid/mch_id, known order, amount and currency, result_code. Only a notify that passes
 * every check reaches the order's DO; a forged one never creates a DO or a row it controls.
 */
import { maskOpenid, OUT_TRADE_NO, parseFen } from '../../core';
import type { AnomalyKind, NotifyEvidence, OrderSnapshot, PaymentFacts } from '../model';
import type { GateResult } from '../model';
import { orderOfPaymentNo } from '../orders';
import { log } from '../platform/log';
import { forgetApplied, knownApplied, rememberApplied } from './applied-cache';
import { anomalyReply, evidenceOf, readInbound, refuse, type NotifyDeps, type NotifyVerdict } from './inbound';

const TRANSACTION_ID = /^[0-9A-Za-z]{1,32}$/;
const TIME_END = /^\d{14}$/;

export async function handlePayNotify(req: Request, deps: NotifyDeps): Promise<NotifyVerdict> {
  const { config, receivedAt: now } = deps;
  const inbound = await readInbound(req, deps);
  if ('reply' in inbound) return inbound;

  // 4. Signature over every non-empty field, algorithm by the §3.4 rule within the configured allowlist
  // (the channel's notify reader: wechat/channel.ts).
  const verified = await deps.notifies.readPayNotify(inbound.fields);
  if (!verified.ok) return refuse(deps, 'SIGN_ERROR', verified.reason);
  // From here on only what the signature covers: under the trimmed reading the values trimmed, and
  // no unsigned empty or whitespace-only field (a blank fee_type is absent, i.e. CNY, never a mismatch).
  const fields = verified.fields;
  if (verified.trimmedReading) (deps.log ?? log).warn('NOTIFY_SIGN_TRIMMED_READING', { outTradeNo: fields.out_trade_no ?? null });

  // The number WeChat knows: a payment attempt's (for orders made before attempts, the order's own).
  const paymentNo = fields.out_trade_no !== undefined && OUT_TRADE_NO.test(fields.out_trade_no) ? fields.out_trade_no : null;
  // Authentic from here on: every outcome is durable before the reply.
  const evidence = await evidenceOf(inbound, verified.messageKey, now);

  // An exact repeat of a payment this isolate saw committed (so steps 5–8 passed for these very
  // values): no D1 read. It still goes to the order's DO, whose memo answers with no D1 access while
  // the order is PAID — and only then: a refund may have moved the order on in another isolate, and
  // only the DO (every refund passes it) knows. A moved-on order takes the DO's full path and gets
  // its LATE_PAYMENT anomaly; never a second credit, never a return to PAID.
  const known =
    paymentNo !== null &&
    fields.mch_id === config.mchId &&
    fields.result_code === 'SUCCESS' &&
    fields.transaction_id !== undefined &&
    fields.appid !== undefined
      ? knownApplied(paymentNo, fields.appid, fields.transaction_id, fields.total_fee, fields.fee_type ?? 'CNY', now.getTime())
      : null;
  if (known !== null && paymentNo !== null) {
    const feeType = fields.fee_type ?? 'CNY';
    const facts = paymentFacts(fields, known, paymentNo, Number(fields.total_fee), feeType);
    const result = await applyThroughGate(deps, facts, evidence);
    if (result.outcome !== 'APPLIED' && result.outcome !== 'ALREADY_APPLIED' && result.outcome !== 'PAID_AFTER_CLOSE') forgetApplied(paymentNo);
    return { reply: 'OK', outcome: result.outcome, outTradeNo: known };
  }
  // Until the attempt is found, anomalies name the reported number.
  let outTradeNo = paymentNo;
  const anomaly = (kind: AnomalyKind, detail: Record<string, unknown>) => anomalyReply(deps, evidence, 'PAY', kind, outTradeNo, detail);

  // 5–6. Our merchant, and a known attempt of a known order (no DO exists for unknown or malformed
  // numbers). The appid must be the one the attempt was placed under (a mini-program's or an app's
  // for those trade types; the 公众号's for attempts made before attempts existed).
  const found = paymentNo === null ? null : await orderOfPaymentNo(deps.db, paymentNo);
  const attempt = found?.attempt ?? null;
  if (fields.appid !== (attempt?.appid ?? config.appId)) return anomaly('APPID_MISMATCH', { appid: fields.appid ?? null });
  if (fields.mch_id !== config.mchId) return anomaly('MCH_MISMATCH', { mch_id: fields.mch_id ?? null });
  if (paymentNo === null) return anomaly('UNKNOWN_ORDER', { reason: 'out_trade_no missing or malformed' });
  if (!found) return anomaly('UNKNOWN_ORDER', {});
  const order = found.order;
  outTradeNo = order.out_trade_no;

  // 7. Amount (integer fen; total_fee, not cash_fee, which coupons reduce) and currency.
  let totalFee: number;
  try {
    totalFee = parseFen(fields.total_fee ?? '');
  } catch {
    return anomaly('AMOUNT_MISMATCH', { expected: order.total_fee, total_fee: fields.total_fee ?? null });
  }
  if (totalFee !== order.total_fee) return anomaly('AMOUNT_MISMATCH', { expected: order.total_fee, total_fee: totalFee });
  const feeType = fields.fee_type ?? 'CNY';
  if (feeType !== order.fee_type) return anomaly('FEE_TYPE_MISMATCH', { expected: order.fee_type, fee_type: feeType });

  // 8. Business result.
  if (fields.result_code !== 'SUCCESS') return anomaly('RESULT_FAIL', { err_code: fields.err_code ?? null });

  // Beyond §4 (T28): the payer and the trade type must be the ones this attempt was issued for
  // (a mini-program pays as trade_type JSAPI).
  const tradeType = attempt ? (attempt.trade_type === 'MINIPROGRAM' ? 'JSAPI' : attempt.trade_type) : 'JSAPI';
  if (fields.trade_type !== undefined && fields.trade_type !== tradeType) return anomaly('TRADE_TYPE_MISMATCH', { trade_type: fields.trade_type });
  const buyer = attempt ? attempt.openid : (order.prepay_openid ?? order.openid);
  const buyerBound = !attempt || attempt.trade_type === 'JSAPI' || attempt.trade_type === 'MINIPROGRAM';
  if (buyerBound && buyer && fields.openid !== undefined && fields.openid !== buyer) return anomaly('OPENID_MISMATCH', { openid: maskOpenid(fields.openid) });
  if (!fields.transaction_id || !TRANSACTION_ID.test(fields.transaction_id)) return anomaly('MALFORMED_FIELD', { field: 'transaction_id' });

  const facts = paymentFacts(fields, order.out_trade_no, paymentNo, totalFee, feeType);
  const seen: OrderSnapshot = { status: order.status, totalFee: order.total_fee, feeType: order.fee_type, transactionId: order.transaction_id };
  const result = await applyThroughGate(deps, facts, evidence, seen);
  if (result.outcome === 'APPLIED' || result.outcome === 'ALREADY_APPLIED' || result.outcome === 'PAID_AFTER_CLOSE') {
    rememberApplied(paymentNo, order.out_trade_no, fields.appid!, facts.transactionId, totalFee, feeType, now.getTime());
  }
  return { reply: 'OK', outcome: result.outcome, outTradeNo: order.out_trade_no };
}

/** The payment fact of a verified notify whose amount and currency were checked. */
function paymentFacts(fields: Readonly<Record<string, string>>, outTradeNo: string, paymentNo: string, totalFee: number, feeType: string): PaymentFacts {
  let cashFee: number | undefined;
  try {
    cashFee = fields.cash_fee === undefined ? undefined : parseFen(fields.cash_fee, { allowZero: true });
  } catch {
    cashFee = undefined; // informational only; the amount check used total_fee
  }
  return {
    outTradeNo,
    ...(paymentNo === outTradeNo ? {} : { paymentNo }),
    transactionId: fields.transaction_id!,
    totalFee,
    feeType,
    cashFee,
    bankType: fields.bank_type,
    openid: fields.openid,
    timeEnd: fields.time_end !== undefined && TIME_END.test(fields.time_end) ? fields.time_end : undefined,
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
