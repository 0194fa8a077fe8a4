// The OrderGate's refund decisions, run under its lock (durable-object.ts): reserve a refund's amount
// against the order's total, and apply a verified refund result. D1 is read on the primary and every
// write is one CAS batch (d1/refunds-repo.ts); a lost CAS is re-read and decided again.
import { transition } from '../../core/order-state';
import { refundMove } from '../../core/refund-state';
import { alertAnomaly, messageKeyOf, reportAnomaly, type AnomalyDeps } from '../anomalies';
import type { AnomalyKind, AnomalyRecord, BatchHooks, OutboxEvent } from '../model';
import { orderAnomalyEvent, refundEvent } from '../outbox';
import { commitRefundResult, commitReservation, getRefund, loadRefundView, MAX_REFUNDS_PER_ORDER, type RefundRow } from '../refunds';
import { sha256Hex } from '../../core';
import { refundView } from '../refunds';
import { storedHex } from '../platform/stored-hash';
import type { NotifyEvidence, RefundApplyResult, RefundFacts, RefundReserveRequest, RefundReserveResult, RestoreOutcome } from '../model';

/** WeChat refunds only within a year of the payment (docs/wechatpay-v2.md §12). */
const REFUND_WINDOW_MS = 365 * 24 * 3600_000;
const CAS_ATTEMPTS = 3;

function isUniqueViolation(e: unknown): boolean {
  return /UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(String((e as Error | null)?.message ?? ''));
}

/**
 * `restoreHistory` brings back, under the caller's lock, the history of an order whose history moved to
 * the archive (HISTORY_DAYS), or the whole order if it was archived since the caller read it: a refund
 * books against its attempt and ledger, so they must be in D1 first.
 * The reservation's CAS requires it, so a move racing the reservation only costs another round.
 */
export async function reserveRefundLocked(
  db: D1Database,
  req: RefundReserveRequest,
  now: Date,
  restoreHistory: () => Promise<RestoreOutcome>,
): Promise<RefundReserveResult> {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const { order, refund, archivedUnder } = await loadRefundView(db, req.outTradeNo, req.outRefundNo);
    if (refund) {
      const same = refund.out_trade_no === req.outTradeNo && storedHex(refund.request_hash) === req.requestHash;
      return same ? { outcome: 'EXISTING', refund, status: order?.status ?? null } : { outcome: 'IDEMPOTENCY_CONFLICT', status: order?.status ?? null };
    }
    // The number is an archived order's refund (WeChat knows it): never a second meaning.
    if (archivedUnder !== null && archivedUnder !== req.outTradeNo) return { outcome: 'IDEMPOTENCY_CONFLICT', status: order?.status ?? null };
    // Gone since the caller read it (archived meanwhile): back from the archive, then decided again.
    if (!order) {
      if ((await restoreHistory()) === 'RESTORED') continue;
      return { outcome: 'UNKNOWN_ORDER', status: null };
    }
    if (order.history_part != null) {
      await restoreHistory();
      continue;
    }
    if (!transition(order.status, 'REFUND_ACCEPTED').ok) return { outcome: 'NOT_REFUNDABLE', status: order.status };
    if (order.paid_at && now.getTime() - Date.parse(order.paid_at) > REFUND_WINDOW_MS) return { outcome: 'WINDOW_EXPIRED', status: order.status };
    if (order.refund_count >= MAX_REFUNDS_PER_ORDER) return { outcome: 'LIMIT_REACHED', status: order.status };
    const refundableFee = order.total_fee - order.refund_reserved_fee;
    if (req.refundFee > refundableFee) return { outcome: 'EXCEEDS_PAID', status: order.status, refundableFee };

    const at = now.toISOString();
    let reserved: boolean;
    try {
      reserved = await commitReservation(db, { ...req, totalFee: order.total_fee, seen: order, now: at });
    } catch (e) {
      // The number was taken meanwhile (another order's gate): decide again from the row that won.
      if (isUniqueViolation(e) && (await getRefund(db, req.outRefundNo))) continue;
      throw e;
    }
    if (reserved) {
      // The row as commitReservation wrote it, the paying attempt's number included (the refund is sent under it).
      const row: RefundRow = {
        out_refund_no: req.outRefundNo,
        out_trade_no: req.outTradeNo,
        payment_no: order.payment_no,
        duplicate: 0,
        refund_fee: req.refundFee,
        total_fee: order.total_fee,
        reason: req.reason,
        status: 'SUBMITTING',
        refund_id: null,
        failure_reason: null,
        request_hash: req.requestHash,
        attempts: 0,
        last_attempt_at: null,
        last_synced_at: null,
        created_at: at,
        updated_at: at,
        succeeded_at: null,
      };
      return { outcome: 'RESERVED', refund: row, status: order.status };
    }
    // The CAS lost to a writer outside this lock: read again and decide again.
  }
  throw new Error('order kept changing; retry');
}

/** An anomaly's idempotency key: the notify's message key, or a hash of the fact. */
async function factKey(f: RefundFacts, evidence: NotifyEvidence | undefined): Promise<string> {
  if (evidence) return messageKeyOf(evidence);
  return sha256Hex(`REFUND\n${f.source}\n${f.outTradeNo}\n${f.outRefundNo}\n${f.status}\n${f.refundFee}\n${f.refundId ?? ''}`);
}

/**
 * The webhook events of one committed-together refund transition: refund.succeeded (→ SUCCESS) or
 * refund.failed (→ FAILED, CHANGE, REFUNDCLOSE) carrying the refund as `updated` shows it, plus
 * order.anomaly for the transition's anomaly (CHANGE), as every anomaly row has its event.
 */
export function refundTransitionEvents(updated: RefundRow, anomaly: AnomalyRecord | undefined): OutboxEvent[] {
  const events: OutboxEvent[] = [];
  const event = refundEvent(updated.out_trade_no, updated.status, refundView(updated), updated.updated_at);
  if (event) events.push(event);
  if (anomaly) events.push(orderAnomalyEvent(anomaly));
  return events;
}

/** What the gate decided, and the webhook events its transition's batch committed (to enqueue after the commit). */
interface LockedRefundResult {
  result: RefundApplyResult;
  events: OutboxEvent[];
}

/** The gate's store, publisher (for anomalies, which are published here), logger and batch hooks. */
interface RefundGateDeps extends AnomalyDeps {
  readonly batchHooks: BatchHooks;
}

interface ApplyHooks {
  /** Runs before a batch that moves the order's status (a SUCCESS): the DO drops its paid-memo first. */
  beforeStatusChange?: () => void;
}

export async function applyRefundLocked(
  deps: RefundGateDeps,
  f: RefundFacts,
  evidence: NotifyEvidence | undefined,
  now: Date,
  hooks: ApplyHooks = {},
): Promise<LockedRefundResult> {
  const anomaly = async (
    kind: AnomalyKind,
    refund: RefundRow | null,
    outcome: 'CONFLICT' | 'MISMATCH',
    detail: Record<string, unknown>,
  ): Promise<LockedRefundResult> => {
    const record = {
      kind,
      outTradeNo: f.outTradeNo,
      bodySha256: await factKey(f, evidence),
      detail: { ...detail, out_refund_no: f.outRefundNo, reported: f.status, refund_fee: f.refundFee, source: f.source },
      now: now.toISOString(),
    };
    await reportAnomaly(deps, { record, evidence, notifyKind: 'REFUND', alert: { outRefundNo: f.outRefundNo, source: f.source } });
    return { result: { outcome, refund }, events: [] };
  };
  const db = deps.db;

  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const { order, refund } = await loadRefundView(db, f.outTradeNo, f.outRefundNo);
    if (!refund) return { result: { outcome: 'UNKNOWN_REFUND', refund: null }, events: [] };
    if (refund.out_trade_no !== f.outTradeNo || !order) return anomaly('REFUND_MISMATCH', null, 'MISMATCH', { stored_out_trade_no: refund.out_trade_no });
    if (f.refundFee !== refund.refund_fee || (f.totalFee !== undefined && f.totalFee !== refund.total_fee)) {
      return anomaly('REFUND_AMOUNT_MISMATCH', refund, 'MISMATCH', {
        expected_refund_fee: refund.refund_fee,
        expected_total_fee: refund.total_fee,
        total_fee: f.totalFee ?? null,
      });
    }
    if (f.refundId && refund.refund_id && f.refundId !== refund.refund_id)
      return anomaly('REFUND_MISMATCH', refund, 'MISMATCH', { refund_id: f.refundId, stored_refund_id: refund.refund_id });

    const move = refundMove(refund.status, f.status);
    if (move === 'UNCHANGED') return { result: { outcome: 'UNCHANGED', refund }, events: [] };
    if (move === 'CONFLICT') return anomaly('REFUND_STATE_CONFLICT', refund, 'CONFLICT', { stored_status: refund.status });

    const fee = refund.refund_fee;
    const to = f.status;
    // A duplicate payment's automatic refund returns money outside the order's payment: the order's
    // status and refund sums stay; only the refund, its attempt and the ledger move.
    const duplicate = refund.duplicate === 1;
    let orderTo = order.status;
    if (to === 'SUCCESS' && !duplicate) {
      const t = transition(order.status, order.refunded_fee + fee === order.total_fee ? 'REFUND_SUCCEEDED_FULL' : 'REFUND_SUCCEEDED_PARTIAL');
      if (!t.ok) return anomaly('REFUND_STATE_CONFLICT', refund, 'CONFLICT', { order_status: order.status });
      orderTo = t.to;
    }
    const at = now.toISOString();
    // CHANGE needs a person; so does a duplicate's automatic refund WeChat refused or closed: the money is still held.
    const handKind: AnomalyKind | null =
      to === 'CHANGE' ? 'REFUND_CHANGE' : duplicate && (to === 'FAILED' || to === 'REFUNDCLOSE') ? 'DUPLICATE_REFUND_FAILED' : null;
    const changeAnomaly = handKind
      ? {
          kind: handKind,
          outTradeNo: f.outTradeNo,
          bodySha256: await factKey(f, evidence),
          now: at,
          detail: {
            out_refund_no: f.outRefundNo,
            refund_fee: fee,
            source: f.source,
            ...(duplicate ? { payment_no: refund.payment_no ?? null, reported: to, reason: f.failureReason ?? null } : {}),
            action: 'REFUND_BY_HAND',
          },
        }
      : undefined;
    const failureReason = to === 'FAILED' ? (f.failureReason ?? 'FAILED') : to === 'CHANGE' || to === 'REFUNDCLOSE' ? to : null;
    const succeededAt = to === 'SUCCESS' ? (f.succeededAt ?? at) : null;
    // The refund as the batch leaves it (the SQL of commitRefundResult, row for row): the event carries it.
    const updated: RefundRow = {
      ...refund,
      status: to,
      refund_id: refund.refund_id ?? f.refundId ?? null,
      failure_reason: failureReason ?? refund.failure_reason,
      succeeded_at: succeededAt,
      updated_at: at,
    };
    const events = refundTransitionEvents(updated, changeAnomaly);
    if (orderTo !== order.status) hooks.beforeStatusChange?.();
    const committed = await commitRefundResult(
      db,
      {
        refund,
        to,
        seen: order,
        orderTo,
        refundedDelta: to === 'SUCCESS' && !duplicate ? fee : 0,
        reservedDelta: (to === 'FAILED' || to === 'REFUNDCLOSE') && !duplicate ? -fee : 0,
        refundId: f.refundId ?? null,
        failureReason,
        succeededAt,
        now: at,
        evidence,
        anomaly: changeAnomaly,
        events,
      },
      deps.batchHooks,
    );
    if (committed) {
      if (changeAnomaly) alertAnomaly(deps.log, changeAnomaly.kind, f.outTradeNo, { outRefundNo: f.outRefundNo, source: f.source });
      return {
        result: {
          outcome: 'APPLIED',
          refund: updated,
          transition: { outRefundNo: f.outRefundNo, outTradeNo: f.outTradeNo, from: refund.status, to, orderStatus: orderTo, at },
        },
        events,
      };
    }
  }
  throw new Error('order kept changing; retry');
}
