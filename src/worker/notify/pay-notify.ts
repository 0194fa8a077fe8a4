/**
 * The payment notify, in the order of reliability.md §4 / I1: size, strict parse, return_code,
 * signature, appid/mch_id, known order, amount and currency, result_code. Only a notify that passes
 * every check reaches the order's DO; a forged one never creates a DO or a row it controls.
 */
import { parseFen, parseXml, verifySignedMessage, type NotifyReplyName } from '../../core';
import type { Config } from '../config';
import { raiseAlert } from '../alerts';
import { getOrder } from '../d1/orders-repo';
import { recordAnomaly, type AnomalyKind } from '../d1/payments-repo';
import { sha256Hex } from '../digest';
import { maskOpenid } from '../middleware/request-log';
import type { GateResult, NotifyEvidence, OrderSnapshot, PaymentFacts } from '../order-gate/contract';
import { knownApplied, rememberApplied } from './applied-cache';
import { readCapped } from './read-body';
import { noteRejection } from './rejections';

/** Inclusive body limit (reliability.md §4, *proposed* 32 KiB). */
export const NOTIFY_MAX_BYTES = 32 * 1024;
/** Per-value limit for notifies (§4 step 2). */
const NOTIFY_MAX_VALUE_BYTES = 2048;
/** WeChat's out_trade_no alphabet, ≤ 32 characters: anything else is never a DO name. */
const OUT_TRADE_NO = /^[A-Za-z0-9_\-|*@]{1,32}$/;
const TRANSACTION_ID = /^[0-9A-Za-z]{1,32}$/;
const TIME_END = /^\d{14}$/;
/** Fatal: invalid UTF-8 is refused, never replaced. A leading BOM is dropped (the parser accepts one). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export interface NotifyVerdict {
  reply: NotifyReplyName;
  /** For the request log: the gate outcome, the anomaly kind, or the rejection reason. */
  outcome: string;
  outTradeNo?: string;
}

export interface NotifyDeps {
  env: Env;
  config: Config;
  now: Date;
  waitUntil(p: Promise<unknown>): void;
}

/** The charset the body claims, when it claims one: anything but UTF-8 is refused (T36). */
function declaresForeignCharset(contentType: string | null): boolean {
  const m = contentType && /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType);
  return !!m && m[1]!.toLowerCase() !== 'utf-8' && m[1]!.toLowerCase() !== 'utf8';
}

export async function handlePayNotify(req: Request, deps: NotifyDeps): Promise<NotifyVerdict> {
  const { env, config, now } = deps;
  const reject = (reply: NotifyReplyName, reason: string): NotifyVerdict => {
    // A bounded counter is the only trace an unauthenticated sender leaves; it never delays the reply.
    noteRejection(env.DB, now, reason, deps.waitUntil);
    return { reply, outcome: reason };
  };

  // 1. Size: bytes actually received, whatever Content-Length says (a smaller claim is not trusted).
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > NOTIFY_MAX_BYTES) return reject('TOO_LARGE', 'TOO_LARGE');
  const bytes = await readCapped(req.body, NOTIFY_MAX_BYTES);
  if (!bytes) return reject('TOO_LARGE', 'TOO_LARGE');

  // 2. Strict UTF-8, then the flat allowlisted parser (no DTD, entities, duplicates).
  if (declaresForeignCharset(req.headers.get('content-type'))) return reject('PARAM_ERROR', 'BAD_CHARSET');
  let text: string;
  let fields: Record<string, string>;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return reject('PARAM_ERROR', 'BAD_ENCODING');
  }
  try {
    fields = parseXml(text, { maxBytes: NOTIFY_MAX_BYTES, maxValueBytes: NOTIFY_MAX_VALUE_BYTES });
  } catch {
    return reject('PARAM_ERROR', 'BAD_XML');
  }

  // 3. Communication result.
  if (fields.return_code !== 'SUCCESS') return reject('PARAM_ERROR', 'RETURN_CODE');

  // 4. Signature over every non-empty field, algorithm by the §3.4 rule within the configured allowlist.
  const verified = await verifySignedMessage(fields, config.apiKey, [config.signType]);
  if (!verified.ok) return reject('SIGN_ERROR', verified.reason);

  const outTradeNo = fields.out_trade_no !== undefined && OUT_TRADE_NO.test(fields.out_trade_no) ? fields.out_trade_no : null;
  // An exact repeat of a payment this isolate saw committed (so steps 5–8 passed for these very
  // values): nothing to read, nothing to write.
  if (
    outTradeNo !== null &&
    fields.appid === config.appId &&
    fields.mch_id === config.mchId &&
    fields.result_code === 'SUCCESS' &&
    fields.transaction_id !== undefined &&
    knownApplied(outTradeNo, fields.transaction_id, Number(fields.total_fee), fields.fee_type ?? 'CNY', now.getTime())
  ) {
    return { reply: 'OK', outcome: 'ALREADY_APPLIED', outTradeNo };
  }

  // Authentic from here on: every outcome is durable before the reply.
  const evidence: NotifyEvidence = { rawBody: text, bodySha256: await sha256Hex(bytes), receivedAt: now.toISOString() };
  const anomaly = async (kind: AnomalyKind, detail: Record<string, unknown>): Promise<NotifyVerdict> => {
    await recordAnomaly(env.DB, { kind, outTradeNo, bodySha256: evidence.bodySha256, detail, now: evidence.receivedAt }, evidence);
    raiseAlert(kind, outTradeNo);
    return { reply: 'OK', outcome: kind, outTradeNo: outTradeNo ?? undefined };
  };

  // 5. Our merchant.
  if (fields.appid !== config.appId) return anomaly('APPID_MISMATCH', { appid: fields.appid ?? null });
  if (fields.mch_id !== config.mchId) return anomaly('MCH_MISMATCH', { mch_id: fields.mch_id ?? null });

  // 6. A known order (no DO exists for unknown or malformed numbers).
  if (outTradeNo === null) return anomaly('UNKNOWN_ORDER', { reason: 'out_trade_no missing or malformed' });
  const order = await getOrder(env.DB, outTradeNo);
  if (!order) return anomaly('UNKNOWN_ORDER', {});

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

  // Beyond §4 (T28): the payer and the trade type must be the ones this order was issued for.
  if (fields.trade_type !== undefined && fields.trade_type !== 'JSAPI') return anomaly('TRADE_TYPE_MISMATCH', { trade_type: fields.trade_type });
  const buyer = order.prepay_openid ?? order.openid;
  if (buyer && fields.openid !== undefined && fields.openid !== buyer) return anomaly('OPENID_MISMATCH', { openid: maskOpenid(fields.openid) });
  if (!fields.transaction_id || !TRANSACTION_ID.test(fields.transaction_id)) return anomaly('MALFORMED_FIELD', { field: 'transaction_id' });

  let cashFee: number | undefined;
  try {
    cashFee = fields.cash_fee === undefined ? undefined : parseFen(fields.cash_fee, { allowZero: true });
  } catch {
    cashFee = undefined; // informational only; the amount check above used total_fee
  }
  const facts: PaymentFacts = {
    outTradeNo,
    transactionId: fields.transaction_id,
    totalFee,
    feeType,
    cashFee,
    bankType: fields.bank_type,
    openid: fields.openid,
    timeEnd: fields.time_end !== undefined && TIME_END.test(fields.time_end) ? fields.time_end : undefined,
    source: 'NOTIFY',
  };
  const seen: OrderSnapshot = { status: order.status, totalFee: order.total_fee, feeType: order.fee_type, transactionId: order.transaction_id };
  const result = await applyThroughGate(env, facts, evidence, seen);
  if (result.outcome === 'APPLIED' || result.outcome === 'ALREADY_APPLIED' || result.outcome === 'PAID_AFTER_CLOSE') {
    rememberApplied(outTradeNo, facts.transactionId, totalFee, feeType, now.getTime());
  }
  return { reply: 'OK', outcome: result.outcome, outTradeNo };
}

interface DoError {
  retryable?: boolean;
  overloaded?: boolean;
}

/**
 * The DO call. A `.retryable` infrastructure error gets one more try on a FRESH stub (a stub that
 * threw may be broken); `.overloaded` never does (reliability.md §6.1, T58, T59). Anything else
 * propagates and becomes RETRY: the DO committed nothing partial.
 */
async function applyThroughGate(env: Env, facts: PaymentFacts, evidence: NotifyEvidence, seen: OrderSnapshot): Promise<GateResult> {
  try {
    return await env.ORDER_GATE.getByName(facts.outTradeNo).applyPayment(facts, evidence, seen);
  } catch (e) {
    const err = e as DoError;
    if (!err?.retryable || err.overloaded) throw e;
    return await env.ORDER_GATE.getByName(facts.outTradeNo).applyPayment(facts, evidence);
  }
}
