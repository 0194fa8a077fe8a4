/**
 * An authentic payment notify, API v2 or v3, from its checks to its effect (docs/reliability.md §4
 * steps 4–6, I1; docs/wechatpay-v3.md §8.3). The checks themselves are ONE pure definition
 * (core/payment-notice-checks.ts) run in one of two places (issue 20):
 * - the gate path: the OrderGate named by the reported number keeps the facts the checks need since
 *   the attempt was made (an attempt whose number is not the order's has a gate of its own that names
 *   the order's); it checks and commits with no D1 read, and answers a repeat from its paid-memo, so a
 *   first notify costs one D1 round trip and a duplicate none;
 * - the read path: for numbers whose gate keeps nothing (orders and attempts made before, a lost
 *   cache write, an unknown number), and for notices the gate cannot accept anyway (another merchant,
 *   a foreign appid, a reported failure, a malformed field): one D1 read, then the same checks, then
 *   the order's gate with the row it just read.
 * An authentic notice that fails a check is an anomaly, acknowledged. A forged one never gets here.
 */
import { checkPaymentNotice, OUT_TRADE_NO, parseFen, type NoticeExpectations } from '../../core';
import { hotOrderOfPaymentNo } from './archived';
import type { PaymentNotice } from '../channel';
import type { GateResult, NoticeSettlement, NotifyEvidence, OrderGateRpc, OrderSnapshot, PaymentFacts } from '../model';
import { addRoundTrips } from '../platform/d1-meter';
import { log } from '../platform/log';
import { forgetApplied, knownApplied, rememberApplied } from './applied-cache';
import { anomalyReply, type NotifyDeps, type NotifyVerdict } from './inbound';

const TRANSACTION_ID = /^[0-9A-Za-z]{1,32}$/;

/** The gate reports the D1 round trips of the calls it makes for a notify (sandbox mode: platform/d1-meter.ts). */
const REPORT = { reportRoundTrips: true };

/** Outcomes after which the payment is committed (the applied cache may remember it). */
const COMMITTED: ReadonlySet<string> = new Set(['APPLIED', 'ALREADY_APPLIED', 'PAID_AFTER_CLOSE']);

export async function settlePaymentNotice(deps: NotifyDeps, notice: PaymentNotice, evidence: NotifyEvidence): Promise<NotifyVerdict> {
  const { config, receivedAt: now } = deps;
  // The number WeChat knows: a payment attempt's (for orders made before attempts, the order's own).
  const paymentNo = notice.outTradeNo !== undefined && OUT_TRADE_NO.test(notice.outTradeNo) ? notice.outTradeNo : null;
  const feeType = notice.feeType ?? 'CNY';
  const expect: NoticeExpectations = { mchId: config.mchId, appId: config.appId };

  // An exact repeat of a payment this isolate saw committed (so every check passed for these very
  // values): no D1 read. It still goes to the order's DO, whose memo answers with no D1 access while
  // the order is PAID — and only then: a refund may have moved the order on in another isolate, and
  // only the DO (every refund passes it) knows. A moved-on order takes the DO's full path and gets
  // its LATE_PAYMENT anomaly; never a second credit, never a return to PAID.
  const known =
    paymentNo !== null && notice.mchId === config.mchId && notice.succeeded && notice.transactionId !== undefined && notice.appId !== undefined
      ? knownApplied(paymentNo, notice.appId, notice.transactionId, notice.totalFee, feeType, now.getTime())
      : null;
  if (known !== null && paymentNo !== null) {
    const facts: PaymentFacts = {
      outTradeNo: known,
      ...(paymentNo === known ? {} : { paymentNo }),
      transactionId: notice.transactionId!,
      totalFee: Number(notice.totalFee),
      feeType,
      appId: notice.appId,
      source: 'NOTIFY',
    };
    const result = await applyThroughGate(deps, facts.outTradeNo, (g) => g.applyPayment(facts, evidence, undefined, REPORT));
    if (!COMMITTED.has(result.outcome)) forgetApplied(paymentNo);
    return { reply: 'OK', outcome: result.outcome, outTradeNo: known };
  }

  // The gate path, for notices that can pass the checks (the rest take the read path below, whose
  // answer is the same, and wake no Durable Object).
  if (paymentNo !== null && gateMayAccept(notice, deps)) {
    const settled = await settleAtGate(deps, paymentNo, notice, evidence, expect);
    if (settled.kind === 'ANOMALY') return anomalyReply(deps, evidence, 'PAY', settled.anomaly, settled.outTradeNo, settled.detail);
    // UNKNOWN_ORDER here: the gate keeps facts of an order no longer in D1 (archived past the hot
    // window): the read path below restores it from the archive, or records the anomaly.
    if (settled.kind === 'SETTLED' && settled.result.outcome !== 'UNKNOWN_ORDER') return settledVerdict(deps, paymentNo, settled.payment, settled.result);
  }

  // The read path: one D1 read for the number (its attempt and order), then the same checks. A number
  // past the hot window is not new: its order comes back from the archive through its gate first.
  const found = paymentNo === null ? null : await hotOrderOfPaymentNo(deps, paymentNo);
  const order = found?.order;
  const attempt = found?.attempt ?? null;
  const check = checkPaymentNotice(
    notice,
    paymentNo,
    order
      ? {
          outTradeNo: order.out_trade_no,
          totalFee: order.total_fee,
          feeType: order.fee_type,
          attempt: attempt && { appId: attempt.appid, tradeType: attempt.trade_type, openid: attempt.openid },
          orderBuyer: order.prepay_openid ?? order.openid,
        }
      : null,
    expect,
  );
  if (!check.ok) return anomalyReply(deps, evidence, 'PAY', check.kind, check.outTradeNo, check.detail);
  const facts = check.payment;
  const seen: OrderSnapshot = { status: order!.status, totalFee: order!.total_fee, feeType: order!.fee_type, transactionId: order!.transaction_id };
  const result = await applyThroughGate(deps, facts.outTradeNo, (g) => g.applyPayment(facts, evidence, seen, REPORT));
  return settledVerdict(deps, paymentNo!, facts, result);
}

/** Checks that need no facts: a notice failing one is an anomaly whatever the gate keeps. */
function gateMayAccept(notice: PaymentNotice, deps: NotifyDeps): boolean {
  const { config } = deps;
  const ourAppIds = [config.appId, config.miniProgram?.appId, config.appAppId];
  if (notice.mchId !== config.mchId || notice.appId === undefined || !ourAppIds.includes(notice.appId)) return false;
  if (!notice.succeeded || !notice.transactionId || !TRANSACTION_ID.test(notice.transactionId)) return false;
  try {
    parseFen(notice.totalFee ?? '');
    return true;
  } catch {
    return false;
  }
}

/** The number's gate, then the order's when the number is an alias (one hop: an alias never names an alias). */
async function settleAtGate(
  deps: NotifyDeps,
  paymentNo: string,
  notice: PaymentNotice,
  evidence: NotifyEvidence,
  expect: NoticeExpectations,
): Promise<NoticeSettlement> {
  const settle = (name: string) => applyThroughGate(deps, name, (g) => g.settleNotice(notice, evidence, expect));
  const first = await settle(paymentNo);
  if (first.kind !== 'ALIAS') return first;
  const second = await settle(first.outTradeNo);
  return second.kind === 'ALIAS' ? { kind: 'NO_FACTS' } : second;
}

/** OK, and the isolate cache remembers a committed payment. */
function settledVerdict(deps: NotifyDeps, paymentNo: string, facts: PaymentFacts, result: GateResult): NotifyVerdict {
  if (COMMITTED.has(result.outcome) && facts.appId !== undefined) {
    rememberApplied(paymentNo, facts.outTradeNo, facts.appId, facts.transactionId, facts.totalFee, facts.feeType, deps.receivedAt.getTime());
  }
  return { reply: 'OK', outcome: result.outcome, outTradeNo: facts.outTradeNo };
}

interface DoError {
  retryable?: boolean;
  overloaded?: boolean;
}

/**
 * A call to the gate named `name`. A `.retryable` infrastructure error gets one more try on a FRESH
 * stub (a stub that threw may be broken); `.overloaded` never does (docs/reliability.md §6.1, T58,
 * T59). Anything else propagates and becomes RETRY: the DO committed nothing partial. The round trips
 * the gate reports (sandbox mode) join this request's count.
 */
async function applyThroughGate<T extends { d1RoundTrips?: number }>(deps: NotifyDeps, name: string, call: (gate: OrderGateRpc) => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await call(deps.gate(name));
  } catch (e) {
    const err = e as DoError;
    if (!err?.retryable || err.overloaded) throw e;
    result = await call(deps.gate(name));
  }
  addRoundTrips(result.d1RoundTrips);
  return result;
}

/** Logged when a v2 notify verified only under the trimmed reading (docs/wechatpay-v2.md §3.3). */
export function noteTrimmedReading(deps: NotifyDeps, notice: PaymentNotice): void {
  (deps.log ?? log).warn('NOTIFY_SIGN_TRIMMED_READING', { outTradeNo: notice.outTradeNo ?? null });
}
