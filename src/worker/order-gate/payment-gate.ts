// The OrderGate's payment decisions, run under its lock (durable-object.ts), beside refund-gate.ts:
// decide (core/payment-decision.ts) and commit one D1 batch (orders/payments-repo.ts), or record the
// anomaly or the duplicate payment. A lost compare-and-set is read and decided again.
import { fromStatuses, type OrderStatus } from '../../core/order-state';
import { paymentDecision } from '../../core/payment-decision';
import { sha256Hex } from '../../core';
import { alertAnomaly, messageKeyOf, reportAnomaly, type AnomalyDeps } from '../anomalies';
import type { AnomalyKind, BatchHooks, GateOutcome, GateResult, NotifyEvidence, OrderSnapshot, PaymentFacts } from '../model';
import { commitDuplicate, commitPayment, duplicateRefundNo, lateRefundNo, loadPaymentView, type PaymentCommit } from '../orders';
import { orderAnomalyEvent, paymentEvents } from '../outbox';
import type { GateTestHooks } from './test-hooks';

/** A CAS lost to a writer outside this lock (merchant API, a briefly coexisting instance) is re-read this often. */
export const CAS_ATTEMPTS = 3;
/** Where a payment moves an unpaid order to PAID: the blind compare-and-set of a checked notice (issue 20). */
const PAYABLE: readonly OrderStatus[] = fromStatuses('PAYMENT', 'PAID');

/** The gate's store, publisher, logger and batch hooks, and what it does after a commit. */
export interface PaymentGateDeps extends AnomalyDeps {
  readonly batchHooks: BatchHooks;
  /** LATE_PAYMENT_POLICY=refund: a payment after close is refunded automatically. */
  readonly refundLatePayments: boolean;
  /** Keeps the paid-memo; called only after the D1 commit it describes. */
  readonly remember: (p: PaymentFacts, totalFee: number, status: OrderStatus) => void;
  readonly testHooks?: GateTestHooks;
}

/**
 * The lock is held: read (or take the caller's snapshot), decide, commit, remember, publish. BLIND
 * (a notice checked against the gate's facts: amount and currency are the order's) first tries the
 * compare-and-set from every payable status without reading: its WHERE carries what the decision
 * would check (a payable status, the amount, no transaction yet, none held by another order). Only
 * when it misses (paid already, closed, refunded, a conflict) is the order read and decided as always.
 */
export async function applyPaymentLocked(
  deps: PaymentGateDeps,
  p: PaymentFacts,
  evidence: NotifyEvidence | undefined,
  seen: OrderSnapshot | 'BLIND' | null,
): Promise<GateResult> {
  if (seen === 'BLIND') {
    const applied = await commit(deps, p, evidence, PAYABLE, 'PAID', p.totalFee);
    if (applied) return applied;
  }
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    // The caller's snapshot serves the first attempt only, and only while it shows no payment: that
    // is the one case where it can lead to a commit, whose CAS re-checks it (its txnOwner is unknown,
    // but the CAS refuses a transaction_id held by another order, and the re-read classifies it).
    // A snapshot that already shows the payment may predate a refund: judge it on a fresh read, or a
    // stale PAID would be remembered for a refunded order and its replays would skip LATE_PAYMENT.
    const { order, txnOwner, attemptView } =
      attempt === 0 && seen && seen !== 'BLIND' && seen.transactionId === null
        ? { order: seen, txnOwner: null, attemptView: undefined }
        : await loadPaymentView(deps.db, p.outTradeNo, p.transactionId, p.paymentNo).then(({ order, txnOwner, attempt }) => ({
            order: order && {
              status: order.status,
              totalFee: order.total_fee,
              feeType: order.fee_type,
              transactionId: order.transaction_id,
              paymentNo: order.payment_no,
            },
            txnOwner,
            attemptView: attempt && { transactionId: attempt.transaction_id },
          }));
    const decision = paymentDecision(order, txnOwner, p, attemptView);
    if (decision.kind === 'UNKNOWN_ORDER' || !order) return { outcome: 'UNKNOWN_ORDER', status: null };
    if (decision.kind === 'DUPLICATE') {
      deps.remember(p, order.totalFee, decision.status);
      return { outcome: 'ALREADY_APPLIED', status: decision.status };
    }
    if (decision.kind === 'DUPLICATE_RECORDED') return { outcome: 'DUPLICATE_PAYMENT', status: order.status };
    if (decision.kind === 'ANOMALY') return anomaly(deps, p, evidence, decision.anomaly, decision.outcome, order.status, order.transactionId);
    if (decision.kind === 'DUPLICATE_PAYMENT') {
      if (await duplicate(deps, { ...p, paymentNo: p.paymentNo ?? p.outTradeNo }, evidence, order.totalFee, order.transactionId)) {
        return { outcome: 'DUPLICATE_PAYMENT', status: order.status };
      }
      continue; // the attempt changed meanwhile: read again and decide again
    }

    const applied = await commit(deps, p, evidence, decision.from, decision.to, order.totalFee);
    if (applied) return applied;
    // The CAS lost to a writer outside this lock: read again and decide again.
  }
  throw new Error('order status kept changing; retry');
}

/**
 * One payment batch (payments-repo.ts commitPayment) from `from` (the status read, or every payable
 * status for a blind attempt) to `to`; then publish, remember and alert. Null when the CAS missed.
 */
async function commit(
  deps: PaymentGateDeps,
  p: PaymentFacts,
  evidence: NotifyEvidence | undefined,
  from: OrderStatus | readonly OrderStatus[],
  to: 'PAID' | 'PAID_AFTER_CLOSE',
  totalFee: number,
): Promise<GateResult | null> {
  const now = new Date().toISOString();
  const hooks = deps.testHooks;
  await hooks?.beforeCommit?.();
  const c: PaymentCommit = {
    facts: p,
    from,
    to,
    now,
    evidence,
    anomaly:
      to === 'PAID_AFTER_CLOSE'
        ? {
            kind: 'PAID_AFTER_CLOSE',
            outTradeNo: p.outTradeNo,
            bodySha256: await anomalyKey(p, evidence),
            now,
            detail: {
              from,
              transactionId: p.transactionId,
              totalFee: p.totalFee,
              source: p.source,
              // LATE_PAYMENT_POLICY: refunded in full automatically, or held for the merchant to refund or fulfil.
              ...(deps.refundLatePayments
                ? { action: 'AUTOMATIC_REFUND', out_refund_no: lateRefundNo(p.paymentNo ?? p.outTradeNo) }
                : { action: 'REFUND_OR_FULFIL' }),
            },
          }
        : undefined,
  };
  const events = paymentEvents({ outTradeNo: p.outTradeNo, to, transactionId: p.transactionId, now, anomaly: c.anomaly });
  const applied = await commitPayment(deps.db, { ...c, events, refundLate: deps.refundLatePayments }, deps.batchHooks);
  await hooks?.afterCommit?.();
  if (!applied) return null;
  deps.publish(events);
  deps.remember(p, totalFee, to);
  if (to === 'PAID_AFTER_CLOSE') alertAnomaly(deps.log, 'PAID_AFTER_CLOSE', p.outTradeNo, { from, source: p.source });
  return { outcome: to === 'PAID' ? 'APPLIED' : 'PAID_AFTER_CLOSE', status: to };
}

/**
 * Money that came in twice: the attempt's credit, its automatic full refund (filed SUBMITTING; the
 * lifecycle sweep sends it) and the DUPLICATE_PAYMENT anomaly with its order.anomaly event, in one
 * batch. The order itself does not move. False when the attempt's CAS lost.
 */
async function duplicate(
  deps: PaymentGateDeps,
  p: PaymentFacts & { paymentNo: string },
  evidence: NotifyEvidence | undefined,
  totalFee: number,
  paidTxn: string | null,
): Promise<boolean> {
  const now = new Date().toISOString();
  const record = {
    kind: 'DUPLICATE_PAYMENT' as const,
    outTradeNo: p.outTradeNo,
    bodySha256: await anomalyKey(p, evidence),
    now,
    detail: {
      payment_no: p.paymentNo,
      transactionId: p.transactionId,
      paidTransactionId: paidTxn,
      totalFee: p.totalFee,
      source: p.source,
      out_refund_no: duplicateRefundNo(p.paymentNo),
      action: 'AUTOMATIC_REFUND',
    },
  };
  const events = [orderAnomalyEvent(record)];
  const committed = await commitDuplicate(deps.db, { facts: p, totalFee, now, evidence, anomaly: record, events });
  if (committed) {
    deps.publish(events);
    alertAnomaly(deps.log, 'DUPLICATE_PAYMENT', p.outTradeNo, { paymentNo: p.paymentNo, source: p.source });
  }
  return committed;
}

async function anomaly(
  deps: PaymentGateDeps,
  p: PaymentFacts,
  evidence: NotifyEvidence | undefined,
  kind: AnomalyKind,
  outcome: GateOutcome,
  status: OrderStatus,
  storedTxn: string | null,
): Promise<GateResult> {
  const detail = { transactionId: p.transactionId, storedTransactionId: storedTxn, totalFee: p.totalFee, feeType: p.feeType, status, source: p.source };
  const record = { kind, outTradeNo: p.outTradeNo, bodySha256: await anomalyKey(p, evidence), detail, now: new Date().toISOString() };
  // A re-sent message was recorded and alerted already: reportAnomaly writes, publishes and alerts once.
  await reportAnomaly(deps, { record, evidence, notifyKind: 'PAY', alert: { source: p.source } });
  return { outcome, status };
}

/**
 * An anomaly's idempotency key: the notify's message key, or for a fact without a notify body
 * (orderquery, closeorder ORDERPAID) a hash of the fact.
 */
async function anomalyKey(p: PaymentFacts, evidence: NotifyEvidence | undefined): Promise<string> {
  if (evidence) return messageKeyOf(evidence);
  return sha256Hex(`${p.source}\n${p.outTradeNo}\n${p.transactionId}\n${p.totalFee}\n${p.feeType}`);
}
