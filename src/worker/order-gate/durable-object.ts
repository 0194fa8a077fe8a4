import { DurableObject } from 'cloudflare:workers';
import { paymentDecision } from '../../core/payment-decision';
import { fromStatuses, transition, type OrderEvent, type OrderStatus } from '../../core/order-state';
import { checkPaymentNotice, repeatsPayment, type NoticeExpectations, type NoticeFields } from '../../core/payment-notice-checks';
import { alertAnomaly, messageKeyOf, reportAnomaly } from '../anomalies';
import type { AnomalyKind, OutboxEvent } from '../model';
import { commitDuplicate, commitPayment, duplicateRefundNo, lateRefundNo, loadPaymentView, moveStatus, readStatus, type PaymentCommit } from '../orders';
import { sha256Hex } from '../../core';
import { gateDeps, type GateDeps } from '../compose/wiring';
import { closeEvents, orderAnomalyEvent, paymentEvents, refOf } from '../outbox';
import { metered } from '../platform/d1-meter';
import type {
  AttemptFacts,
  CloseRequest,
  GateOutcome,
  GateResult,
  NoticeSettlement,
  NotifyEvidence,
  OrderSnapshot,
  PaymentFacts,
  RefundApplyResult,
  RefundFacts,
  RefundReserveRequest,
  RefundReserveResult,
  RefundTransition,
} from '../model';
import { keepAlias, keepAttempt, keptFor } from './kept-facts';
import { applyRefundLocked, reserveRefundLocked } from './refund-gate';
import { GATE_TEST_HOOKS, type GateTestHooks } from './test-hooks';

/** What this order's payment was: a cache of a committed D1 fact, never a source of truth. */
interface PaidMemo {
  transactionId: string;
  totalFee: number;
  status: OrderStatus;
  /** The notify's appid and currency (absent for payments learnt otherwise, or memos from before issue 20). */
  appId?: string;
  feeType?: string;
}

const MEMO_KEY = 'paid';
/** A CAS lost to a writer outside this lock (merchant API, a briefly coexisting instance) is re-read this often. */
const CAS_ATTEMPTS = 3;
/** Where a payment moves an unpaid order to PAID: the blind compare-and-set of a checked notice (issue 20). */
const PAYABLE: readonly OrderStatus[] = fromStatuses('PAYMENT', 'PAID');

const CLOSE_EVENTS: Record<CloseRequest['phase'], OrderEvent> = {
  BEGIN: 'CLOSE_REQUESTED',
  CLOSED: 'CLOSE_CONFIRMED',
  ABORT: 'CLOSE_ABORTED',
};

/**
 * One instance per out_trade_no (`env.ORDER_GATE.getByName(out_trade_no)`): the per-order
 * serialiser of every money-state change. The input gate does not hold other calls while we await
 * D1, so work runs under an explicit promise-chain lock, and every D1 write is still a CAS
 * (docs/reliability.md §6.1): the lock makes races rare, the CAS makes them harmless.
 * The paid-memo answers repeats only while the order is PAID or PAID_AFTER_CLOSE: a refund that
 * moves the order on drops it before its D1 batch (so even a lost cache write cannot leave a stale
 * PAID memo), and a replayed payment then takes the full path to its LATE_PAYMENT anomaly.
 */
export class OrderGate extends DurableObject<Env> {
  [GATE_TEST_HOOKS]?: GateTestHooks;
  #tail: Promise<unknown> = Promise.resolve();
  #memo: PaidMemo | null | undefined;
  /** Duplicates answered from the cache since this instance started (in memory only). */
  duplicatesAnswered = 0;
  #deps: GateDeps | undefined;

  /** The store, the publisher, the batch hooks and the logger, built from the environment once (compose/wiring.ts). */
  get #d(): GateDeps {
    this.#deps ??= gateDeps(this.env);
    return this.#deps;
  }

  /** Liveness probe. */
  async ping(): Promise<string> {
    return 'pong';
  }

  /**
   * Applies a verified payment: at most one NOTPAY/CREATED/CLOSING/PAYERROR→PAID (or CLOSED→
   * PAID_AFTER_CLOSE) transition and one ledger credit per order, whatever the mix of duplicate and
   * concurrent calls. A repeat of the applied transaction is answered from DO storage with no D1
   * access. `evidence` (the raw notify) is appended to `notifications` in the same batch.
   * Authentic-but-inapplicable facts become anomaly rows (outcomes CONFLICT, AMOUNT_MISMATCH,
   * LATE_PAYMENT). `seen` (optional) is the row the caller just read: a first CAS attempt from it
   * saves a D1 read. `reportRoundTrips`: the notify route's (sandbox mode: the result says how many D1
   * round trips the call made). Throws on infrastructure failure, with nothing partial committed.
   */
  async applyPayment(p: PaymentFacts, evidence?: NotifyEvidence, seen?: OrderSnapshot, opts?: { reportRoundTrips?: boolean }): Promise<GateResult> {
    const work = () => this.#apply(p, evidence, seen ?? null);
    return opts?.reportRoundTrips ? this.#metered(work) : work();
  }

  /**
   * A payment notice for the number this gate is named by (issue 20): checked against the facts this
   * gate keeps (core/payment-notice-checks.ts, the same checks as the notify route's read path), then
   * applied with a compare-and-set that needs no read first; a repeat of the committed payment is
   * answered from the paid-memo. No D1 access but the commit. An alias gate names the order's gate;
   * a gate without facts for the number says so, and the caller reads D1.
   */
  async settleNotice(notice: NoticeFields, evidence: NotifyEvidence, expect: NoticeExpectations): Promise<NoticeSettlement> {
    return this.#metered(async (): Promise<NoticeSettlement> => {
      const paymentNo = notice.outTradeNo ?? '';
      const kept = keptFor(this.ctx.storage.kv, paymentNo);
      if (kept && 'alias' in kept) return { kind: 'ALIAS', outTradeNo: kept.alias };
      if (!kept) {
        // An order from before issue 20 (named by its own number): an exact repeat of its committed
        // payment is still answered from the memo, as the isolate cache would (applied-cache.ts).
        const memo = this.#paidMemo();
        const paid = memo && memo.appId !== undefined && memo.feeType !== undefined ? { ...memo, appId: memo.appId, feeType: memo.feeType } : null;
        const answer = paid && repeatsPayment(notice, paid, expect) ? this.#repeat(paid) : null;
        if (!paid || !answer) return { kind: 'NO_FACTS' };
        const { transactionId, totalFee, feeType, appId } = paid;
        return { kind: 'SETTLED', result: answer, payment: { outTradeNo: paymentNo, transactionId, totalFee, feeType, appId, source: 'NOTIFY' } };
      }
      const check = checkPaymentNotice(notice, paymentNo, kept.target, expect);
      if (!check.ok) return { kind: 'ANOMALY', anomaly: check.kind, detail: check.detail, outTradeNo: check.outTradeNo };
      return { kind: 'SETTLED', result: await this.#apply(check.payment, evidence, 'BLIND'), payment: check.payment };
    });
  }

  /** Keeps an attempt's facts (kept-facts.ts); called after the D1 commit that made the attempt. */
  async rememberAttempt(facts: AttemptFacts): Promise<void> {
    keepAttempt(this.ctx.storage.kv, facts);
  }

  /** Keeps, on an attempt's own gate, the order it belongs to; called after the D1 commit that made the attempt. */
  async rememberAlias(outTradeNo: string): Promise<void> {
    keepAlias(this.ctx.storage.kv, outTradeNo);
  }

  /** In sandbox mode, `work`'s result carries the D1 round trips it made (platform/d1-meter.ts). */
  async #metered<T extends object>(work: () => Promise<T>): Promise<T & { d1RoundTrips?: number }> {
    if (!this.#d.meterD1) return work();
    const { value, roundTrips } = await metered(work);
    return { ...value, d1RoundTrips: roundTrips };
  }

  /** The memo first, then under the lock: the memo again, then the decision and the commit. */
  async #apply(p: PaymentFacts, evidence: NotifyEvidence | undefined, seen: OrderSnapshot | 'BLIND' | null): Promise<GateResult> {
    return this.#repeat(p) ?? (await this.#exclusive(() => Promise.resolve(this.#repeat(p) ?? this.#applyLocked(p, evidence, seen))));
  }

  /**
   * One phase of a merchant close, serialised with payments: BEGIN moves CREATED/NOTPAY/PAYERROR→
   * CLOSING before closeorder is sent; CLOSED moves CLOSING→CLOSED after closeorder SUCCESS or
   * ORDERCLOSED; ABORT moves CLOSING→NOTPAY when closeorder gave no verdict. If a payment won the
   * race, the outcome is CLOSE_NOT_APPLICABLE with the paid `status`; a repeated phase is a no-op.
   */
  async closeOrder(req: CloseRequest): Promise<GateResult> {
    const event = CLOSE_EVENTS[req.phase];
    if (!event) throw new TypeError('unknown close phase');
    return this.#exclusive(async () => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const status = await readStatus(this.#d.db, req.outTradeNo);
        if (status === null) return { outcome: 'UNKNOWN_ORDER', status: null };
        const t = transition(status, event);
        if (!t.ok) return { outcome: 'CLOSE_NOT_APPLICABLE', status };
        if (!t.changed) return { outcome: 'CLOSE_STEP_DONE', status };
        const now = new Date().toISOString();
        const events = closeEvents(req.outTradeNo, t.to, now);
        if (await moveStatus(this.#d.db, req.outTradeNo, status, t.to, now, events, this.#d.batchHooks)) {
          this.#publish(events);
          return { outcome: 'CLOSE_STEP_DONE', status: t.to };
        }
      }
      throw new Error('order status kept changing; retry');
    });
  }

  /**
   * Reserves a refund's amount (issue 10): under the same lock as payments, one D1 batch inserts the
   * SUBMITTING row and grows the order's reserved sum, with the cap re-checked in SQL. The caller
   * calls WeChat only after RESERVED. The same request again is EXISTING; nothing is written then.
   */
  async reserveRefund(req: RefundReserveRequest): Promise<RefundReserveResult> {
    return this.#exclusive(() => reserveRefundLocked(this.#d.db, req, new Date()));
  }

  /**
   * Applies a verified refund result (API answer, matched notify, refundquery): forward only; SUCCESS
   * books the refund, its REFUND ledger row and the order's new status in one batch; FAILED and
   * REFUNDCLOSE release the reservation; CHANGE keeps it and records an anomaly. Amount or identity
   * mismatches and contradicting final states become anomalies and change nothing.
   */
  async applyRefundResult(facts: RefundFacts, evidence?: NotifyEvidence): Promise<RefundApplyResult> {
    return this.#exclusive(async () => {
      const deps = { ...this.#d, publish: (events: readonly OutboxEvent[]) => this.#publish(events) };
      const { result, events } = await applyRefundLocked(deps, facts, evidence, new Date(), { beforeStatusChange: () => this.#forgetMemo() });
      if (result.transition) this.#refundChanged(result.transition, events);
      return result;
    });
  }

  /**
   * The one point every committed refund state change passes (after its D1 commit): its webhook
   * events (refund.succeeded, refund.failed, and order.anomaly for CHANGE), whose outbox rows the
   * transition's own batch wrote (d1/refunds-repo.ts `commitRefundResult`), go on the queue now.
   */
  #refundChanged(t: RefundTransition, events: OutboxEvent[]): void {
    this.#publish(events);
    this.#d.log.info('REFUND_TRANSITION', {
      outTradeNo: t.outTradeNo,
      outRefundNo: t.outRefundNo,
      from: t.from,
      to: t.to,
      orderStatus: t.orderStatus,
      events: events.map((e) => e.type),
    });
  }

  /** Runs `work` after every earlier call finished (settled either way): single-flight per order. */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work, work);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Drops the paid-memo before a batch that moves the order past PAID (a refund succeeding). The
   * synchronous storage delete is durable before the D1 request leaves (output gate), so a crash
   * after the commit leaves no memo at all, never a stale PAID one.
   */
  #forgetMemo(): void {
    this.#memo = null;
    this.ctx.storage.kv.delete(MEMO_KEY);
  }

  /** After the commit that wrote them: the events go on the webhook queue (the cron catches a lost send). */
  #publish(events: readonly OutboxEvent[]): void {
    if (events.length) this.ctx.waitUntil(this.#d.publishEvents(events.map(refOf)));
  }

  #paidMemo(): PaidMemo | null {
    if (this.#memo === undefined) this.#memo = this.ctx.storage.kv.get<PaidMemo>(MEMO_KEY) ?? null;
    return this.#memo;
  }

  /**
   * Only ever called after the D1 commit it describes (D1 first, then the cache: §6.1 non-guarantee
   * 4). The reply does not wait for this write to be confirmed: losing it only costs a D1 read later.
   */
  #remember(p: PaymentFacts, totalFee: number, status: OrderStatus): void {
    const memo: PaidMemo = { transactionId: p.transactionId, totalFee, status, ...(p.appId === undefined ? {} : { appId: p.appId, feeType: p.feeType }) };
    this.#memo = memo;
    this.ctx.storage.put(MEMO_KEY, memo, { allowUnconfirmed: true }).catch(() => undefined);
  }

  /** The fast path: the same transaction and amount as the committed payment → the same answer. */
  #repeat(p: Pick<PaymentFacts, 'transactionId' | 'totalFee'>): GateResult | null {
    const memo = this.#paidMemo();
    if (!memo || memo.transactionId !== p.transactionId || memo.totalFee !== p.totalFee) return null;
    if (memo.status !== 'PAID' && memo.status !== 'PAID_AFTER_CLOSE') return null; // moved on: the full path decides
    // Duplicates leave no D1 row (the load target) and no storage write: the request log
    // (outcome ALREADY_APPLIED) is their audit trail; this count is for tests and debugging.
    this.duplicatesAnswered += 1;
    return { outcome: 'ALREADY_APPLIED', status: memo.status };
  }

  /**
   * The lock is held: read (or take the caller's snapshot), decide (core/payment-decision.ts), commit,
   * remember, publish. BLIND (a notice checked against this gate's facts: amount and currency are the
   * order's) first tries the compare-and-set from every payable status without reading: its WHERE
   * carries what the decision would check (a payable status, the amount, no transaction yet, none held
   * by another order). Only when it misses (paid already, closed, refunded, a conflict) is the order
   * read and decided as always.
   */
  async #applyLocked(p: PaymentFacts, evidence: NotifyEvidence | undefined, seen: OrderSnapshot | 'BLIND' | null): Promise<GateResult> {
    const db = this.#d.db;
    if (seen === 'BLIND') {
      const applied = await this.#commit(p, evidence, PAYABLE, 'PAID', p.totalFee);
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
          : await loadPaymentView(db, p.outTradeNo, p.transactionId, p.paymentNo).then(({ order, txnOwner, attempt }) => ({
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
        this.#remember(p, order.totalFee, decision.status);
        return { outcome: 'ALREADY_APPLIED', status: decision.status };
      }
      if (decision.kind === 'DUPLICATE_RECORDED') return { outcome: 'DUPLICATE_PAYMENT', status: order.status };
      if (decision.kind === 'ANOMALY') return this.#anomaly(p, evidence, decision.anomaly, decision.outcome, order.status, order.transactionId);
      if (decision.kind === 'DUPLICATE_PAYMENT') {
        if (await this.#duplicate({ ...p, paymentNo: p.paymentNo ?? p.outTradeNo }, evidence, order.totalFee, order.transactionId)) {
          return { outcome: 'DUPLICATE_PAYMENT', status: order.status };
        }
        continue; // the attempt changed meanwhile: read again and decide again
      }

      const applied = await this.#commit(p, evidence, decision.from, decision.to, order.totalFee);
      if (applied) return applied;
      // The CAS lost to a writer outside this lock: read again and decide again.
    }
    throw new Error('order status kept changing; retry');
  }

  /**
   * One payment batch (payments-repo.ts commitPayment) from `from` (the status read, or every payable
   * status for a blind attempt) to `to`; then publish, remember and alert. Null when the CAS missed.
   */
  async #commit(
    p: PaymentFacts,
    evidence: NotifyEvidence | undefined,
    from: OrderStatus | readonly OrderStatus[],
    to: 'PAID' | 'PAID_AFTER_CLOSE',
    totalFee: number,
  ): Promise<GateResult | null> {
    const now = new Date().toISOString();
    const bodySha256 = await anomalyKey(p, evidence);
    const hooks = this[GATE_TEST_HOOKS];
    await hooks?.beforeCommit?.();
    const commit: PaymentCommit = {
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
              bodySha256,
              now,
              detail: {
                from,
                transactionId: p.transactionId,
                totalFee: p.totalFee,
                source: p.source,
                // LATE_PAYMENT_POLICY: refunded in full automatically, or held for the merchant to refund or fulfil.
                ...(this.#d.refundLatePayments
                  ? { action: 'AUTOMATIC_REFUND', out_refund_no: lateRefundNo(p.paymentNo ?? p.outTradeNo) }
                  : { action: 'REFUND_OR_FULFIL' }),
              },
            }
          : undefined,
    };
    const events = paymentEvents({ outTradeNo: p.outTradeNo, to, transactionId: p.transactionId, now, anomaly: commit.anomaly });
    const applied = await commitPayment(this.#d.db, { ...commit, events, refundLate: this.#d.refundLatePayments }, this.#d.batchHooks);
    await hooks?.afterCommit?.();
    if (!applied) return null;
    this.#publish(events);
    this.#remember(p, totalFee, to);
    if (to === 'PAID_AFTER_CLOSE') alertAnomaly(this.#d.log, 'PAID_AFTER_CLOSE', p.outTradeNo, { from, source: p.source });
    return { outcome: to === 'PAID' ? 'APPLIED' : 'PAID_AFTER_CLOSE', status: to };
  }

  /**
   * Money that came in twice: the attempt's credit, its automatic full refund (filed SUBMITTING; the
   * lifecycle sweep sends it) and the DUPLICATE_PAYMENT anomaly with its order.anomaly event, in one
   * batch. The order itself does not move. False when the attempt's CAS lost.
   */
  async #duplicate(p: PaymentFacts & { paymentNo: string }, evidence: NotifyEvidence | undefined, totalFee: number, paidTxn: string | null): Promise<boolean> {
    const now = new Date().toISOString();
    const anomaly = {
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
    const events = [orderAnomalyEvent(anomaly)];
    const committed = await commitDuplicate(this.#d.db, { facts: p, totalFee, now, evidence, anomaly, events });
    if (committed) {
      this.#publish(events);
      alertAnomaly(this.#d.log, 'DUPLICATE_PAYMENT', p.outTradeNo, { paymentNo: p.paymentNo, source: p.source });
    }
    return committed;
  }

  async #anomaly(
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
    await reportAnomaly({ ...this.#d, publish: (events) => this.#publish(events) }, { record, evidence, notifyKind: 'PAY', alert: { source: p.source } });
    return { outcome, status };
  }
}

/**
 * An anomaly's idempotency key: the notify's message key, or for a fact without a notify body
 * (orderquery, closeorder ORDERPAID) a hash of the fact.
 */
async function anomalyKey(p: PaymentFacts, evidence: NotifyEvidence | undefined): Promise<string> {
  if (evidence) return messageKeyOf(evidence);
  return sha256Hex(`${p.source}\n${p.outTradeNo}\n${p.transactionId}\n${p.totalFee}\n${p.feeType}`);
}
