import { DurableObject } from 'cloudflare:workers';
import { transition, type OrderEvent, type OrderStatus } from '../../core/order-state';
import { checkPaymentNotice, repeatsPayment, type NoticeExpectations, type NoticeFields } from '../../core/payment-notice-checks';
import { readArchivedOrder, restoreArchivedRows } from '../archive';
import type { OutboxEvent } from '../model';
import { moveStatus, readStatus } from '../orders';
import { gateDeps, type GateDeps } from '../compose/wiring';
import { closeEvents, refOf } from '../outbox';
import { metered } from '../platform/d1-meter';
import type {
  AttemptFacts,
  CloseRequest,
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
  RestoreOutcome,
} from '../model';
import { keepAlias, keepAttempt, keptFor } from './kept-facts';
import { applyPaymentLocked, CAS_ATTEMPTS } from './payment-gate';
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

  /** The memo first, then under the lock: the memo again, then the decision and the commit (payment-gate.ts). */
  async #apply(p: PaymentFacts, evidence: NotifyEvidence | undefined, seen: OrderSnapshot | 'BLIND' | null): Promise<GateResult> {
    const gate = this;
    const deps = {
      ...this.#d,
      publish: (events: readonly OutboxEvent[]) => this.#publish(events),
      remember: (paid: PaymentFacts, totalFee: number, status: OrderStatus) => this.#remember(paid, totalFee, status),
      // Read when the commit runs: a test installs them between calls.
      get testHooks() {
        return gate[GATE_TEST_HOOKS];
      },
    };
    return this.#repeat(p) ?? (await this.#exclusive(() => Promise.resolve(this.#repeat(p) ?? applyPaymentLocked(deps, p, evidence, seen))));
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
    return this.#exclusive(() => reserveRefundLocked(this.#d.db, req, new Date(), () => this.#restoreLocked(req.outTradeNo)));
  }

  /**
   * Brings an archived order back into D1 before a refund (WeChat refunds for a year; the hot window
   * is HOT_DAYS): its archived rows inserted under this lock, parents first, in one batch, only while
   * the order is not in D1; for an order whose history alone moved (HISTORY_DAYS), that history. A
   * notify's read path calls it too. Idempotent: RESTORED once, HOT after (or if it never left).
   */
  async restoreArchived(outTradeNo: string): Promise<RestoreOutcome> {
    return this.#exclusive(() => this.#restoreLocked(outTradeNo));
  }

  /** The archived order, or the history of one whose history alone moved, back into D1 (the caller holds the lock). */
  async #restoreLocked(outTradeNo: string): Promise<RestoreOutcome> {
    const found = await readArchivedOrder(this.#d.db, this.#d.archive, outTradeNo);
    if (found?.kind !== 0) return 'NOT_ARCHIVED';
    const outcome = await restoreArchivedRows(this.#d.db, outTradeNo, found.part, found.rows);
    this.#d.log.info('ORDER_RESTORED', { outTradeNo, outcome, objectKey: found.objectKey });
    return outcome;
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
}
