// Money-state SQL: every status change is a compare-and-set, and each effect with its ledger credit,
// anomaly and notification record is ONE D1 batch (one transaction: all or nothing, I3).
import type { OrderStatus } from '../../core/order-state';
import type { NotifyEvidence, PaymentFacts } from '../order-gate/contract';
import { orderAnomalyEvent, orderClosedEvent, orderPaidEvent, outboxStatement, type OutboxEvent } from '../webhooks/events-repo';
import { rollupClosed, rollupPayment } from '../console/console-rollup-repo';

export type AnomalyKind =
  | 'AMOUNT_MISMATCH'
  | 'FEE_TYPE_MISMATCH'
  | 'APPID_MISMATCH'
  | 'MCH_MISMATCH'
  | 'UNKNOWN_ORDER'
  | 'RESULT_FAIL'
  | 'OPENID_MISMATCH'
  | 'TRADE_TYPE_MISMATCH'
  | 'MALFORMED_FIELD'
  | 'PAID_AFTER_CLOSE'
  | 'LATE_PAYMENT_NOTIFY'
  | 'TXN_CONFLICT'
  | 'REFUND_UNMATCHED'
  /** A refund notify whose refund_fee/total_fee differ from the refund row: nothing applied. */
  | 'REFUND_AMOUNT_MISMATCH'
  /** A refund notify naming another order or another refund_id than the row: nothing applied. */
  | 'REFUND_MISMATCH'
  /** 退款异常: the money left but did not reach the buyer; the reservation is kept; a person acts. */
  | 'REFUND_CHANGE'
  /** A final refund state contradicting another one already recorded (e.g. SUCCESS after FAILED). */
  | 'REFUND_STATE_CONFLICT'
  // T+1 reconciliation (src/worker/reconciliation): differences a person must look at.
  | 'RECON_MISSING_LOCALLY'
  | 'RECON_MISSING_AT_WECHAT';

export interface AnomalyRecord {
  kind: AnomalyKind;
  outTradeNo: string | null;
  /**
   * The idempotency key (column body_sha256): for a notify its messageKeyOf (the authenticated
   * message, whatever its encoding), for other sources a hash of the facts.
   */
  bodySha256: string;
  /** Never a key or a signature: only the facts an operator needs to reconcile. */
  detail: Record<string, unknown>;
  now: string;
}

/** The order fields a payment decision needs. */
export interface PaymentView {
  status: OrderStatus;
  total_fee: number;
  fee_type: string;
  transaction_id: string | null;
}

const ANOMALY_SQL = `INSERT INTO anomalies (kind, out_trade_no, body_sha256, detail, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
  ON CONFLICT (body_sha256, kind) DO NOTHING`;
/** Follows ANOMALY_SQL in one batch: the raw body is kept only with the anomaly's first record. */
const NOTIFICATION_SQL = `INSERT INTO notifications (kind, out_trade_no, body_sha256, raw_body, verdict, received_at)
  SELECT ?6, ?1, ?2, ?3, ?4, ?5 WHERE changes() = 1`;

export type NotifyKind = 'PAY' | 'REFUND';

/** A notify's anomaly key: its message hash (an evidence from an older caller has only the body's). */
export function messageKeyOf(e: NotifyEvidence): string {
  return e.messageSha256 ?? e.bodySha256;
}

/** The anomaly insert (idempotent on key + kind), for callers that put it in their own batch. */
export function anomalyStmt(db: D1Database, a: AnomalyRecord): D1PreparedStatement {
  return db.prepare(ANOMALY_SQL).bind(a.kind, a.outTradeNo, a.bodySha256, JSON.stringify(a.detail), a.now);
}

function notificationStmt(db: D1Database, outTradeNo: string | null, e: NotifyEvidence, verdict: string, kind: NotifyKind): D1PreparedStatement {
  return db.prepare(NOTIFICATION_SQL).bind(outTradeNo, e.bodySha256, e.rawBody, verdict, e.receivedAt, kind);
}

/** The order (on the primary: no replica reads for money) and which order, if any, already holds `transactionId`. */
export async function loadPaymentView(
  db: D1Database,
  outTradeNo: string,
  transactionId: string,
): Promise<{ order: PaymentView | null; txnOwner: string | null }> {
  const [order, owner] = await db.batch([
    db.prepare('SELECT status, total_fee, fee_type, transaction_id FROM orders WHERE out_trade_no = ?1').bind(outTradeNo),
    db.prepare('SELECT out_trade_no FROM orders WHERE transaction_id = ?1').bind(transactionId),
  ]);
  return {
    order: (order?.results[0] as PaymentView | undefined) ?? null,
    txnOwner: (owner?.results[0] as { out_trade_no: string } | undefined)?.out_trade_no ?? null,
  };
}

export interface PaymentCommit {
  facts: PaymentFacts;
  /** The status read under the DO lock: the CAS lands only if it is still current. */
  from: OrderStatus;
  to: 'PAID' | 'PAID_AFTER_CLOSE';
  now: string;
  evidence?: NotifyEvidence;
  /** Written with the transition (PAID_AFTER_CLOSE needs its reconciliation row). */
  anomaly?: AnomalyRecord;
  /**
   * The webhook events this commit emits (outbox, same batch). Default `paymentEvents(c)`: order.paid,
   * plus order.anomaly with the anomaly. Pass them to know the ids to enqueue after the commit.
   */
  events?: OutboxEvent[];
}

/** order.paid for the transition, and order.anomaly for its reconciliation row (PAID_AFTER_CLOSE). */
export function paymentEvents(c: Omit<PaymentCommit, 'events'>): OutboxEvent[] {
  const events = [orderPaidEvent(c.facts.outTradeNo, c.to, c.facts.transactionId, c.now)];
  if (c.anomaly) events.push(orderAnomalyEvent(c.anomaly));
  return events;
}

/**
 * One transaction: CAS the order to PAID/PAID_AFTER_CLOSE with the payment facts, then the ledger
 * credit, notification and anomaly. `changes()` is the previous statement's row count, so each
 * insert follows only if the one before it wrote: a lost CAS writes nothing. The ledger insert has
 * no ON CONFLICT: a second credit is a constraint error that rolls the whole batch back, never a
 * PAID order without its credit. Returns whether the CAS applied.
 */
export async function commitPayment(db: D1Database, c: PaymentCommit): Promise<boolean> {
  const f = c.facts;
  const stmts: D1PreparedStatement[] = [
    db
      .prepare(
        `UPDATE orders SET status = ?3, transaction_id = ?4, time_end = ?5, bank_type = ?6, cash_fee = ?7,
           prepay_openid = COALESCE(prepay_openid, ?8), paid_at = ?9, updated_at = ?9,
           last_notify_at = CASE WHEN ?10 = 'NOTIFY' THEN ?9 ELSE last_notify_at END
         WHERE out_trade_no = ?1 AND status = ?2 AND total_fee = ?11 AND transaction_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM orders AS other WHERE other.transaction_id = ?4)`,
      )
      .bind(
        f.outTradeNo,
        c.from,
        c.to,
        f.transactionId,
        f.timeEnd ?? null,
        f.bankType ?? null,
        f.cashFee ?? null,
        f.openid ?? null,
        c.now,
        f.source,
        f.totalFee,
      ),
    db
      .prepare(
        `INSERT INTO ledger (out_trade_no, kind, amount_fen, transaction_id, created_at)
         SELECT out_trade_no, 'PAYMENT', total_fee, transaction_id, ?4 FROM orders
         WHERE changes() = 1 AND out_trade_no = ?1 AND transaction_id = ?2 AND status = ?3`,
      )
      .bind(f.outTradeNo, f.transactionId, c.to, c.now),
  ];
  if (c.evidence) {
    stmts.push(
      db
        .prepare(
          `INSERT INTO notifications (kind, out_trade_no, body_sha256, raw_body, verdict, received_at)
           SELECT 'PAY', ?1, ?2, ?3, ?4, ?5 WHERE changes() = 1`,
        )
        .bind(f.outTradeNo, c.evidence.bodySha256, c.evidence.rawBody, c.to === 'PAID' ? 'APPLIED' : 'PAID_AFTER_CLOSE', c.evidence.receivedAt),
    );
  }
  if (c.anomaly) {
    const a = c.anomaly;
    stmts.push(
      db
        .prepare(
          `INSERT INTO anomalies (kind, out_trade_no, body_sha256, detail, created_at)
           SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS
             (SELECT 1 FROM orders WHERE out_trade_no = ?2 AND transaction_id = ?6 AND status = ?7 AND paid_at = ?5)
           ON CONFLICT (body_sha256, kind) DO NOTHING`,
        )
        .bind(a.kind, a.outTradeNo, a.bodySha256, JSON.stringify(a.detail), a.now, f.transactionId, c.to),
    );
  }
  // The outbox (guarded by the order's new state, not by changes()): no transition without its event.
  for (const e of c.events ?? paymentEvents(c)) stmts.push(outboxStatement(db, e));
  stmts.push(...rollupPayment(db, f.outTradeNo, f.transactionId, c.to, c.now)); // console daily totals (0007)
  const [update] = await db.batch(stmts);
  return update?.meta.changes === 1;
}

/**
 * An authentic message that cannot be applied: the anomaly (idempotent on its key + kind) and, for a
 * notify, its record, in one transaction. True when this call recorded it; false when the same
 * message had been recorded before, in which case nothing was written.
 */
export async function recordAnomaly(
  db: D1Database,
  a: AnomalyRecord,
  evidence?: NotifyEvidence,
  kind: NotifyKind = 'PAY',
  /** Its order.anomaly webhook event, in the same batch (pass it to know the id to enqueue). */
  event: OutboxEvent = orderAnomalyEvent(a),
): Promise<boolean> {
  const stmts = [anomalyStmt(db, a)];
  if (evidence) stmts.push(notificationStmt(db, a.outTradeNo, evidence, `ANOMALY:${a.kind}`, kind));
  stmts.push(outboxStatement(db, event));
  const [anomaly] = await db.batch(stmts);
  return anomaly?.meta.changes === 1;
}

/**
 * A CAS status change outside payment (close phases). `closed_at` is stamped on entering CLOSED,
 * and entering CLOSED emits order.closed in the same batch (`events`, default `closeEvents`).
 */
export async function moveStatus(
  db: D1Database,
  outTradeNo: string,
  from: OrderStatus,
  to: OrderStatus,
  now: string,
  events: OutboxEvent[] = closeEvents(outTradeNo, to, now),
): Promise<boolean> {
  const [res] = await db.batch([
    db
      .prepare(
        `UPDATE orders SET status = ?3, updated_at = ?4, closed_at = CASE WHEN ?3 = 'CLOSED' THEN ?4 ELSE closed_at END
         WHERE out_trade_no = ?1 AND status = ?2`,
      )
      .bind(outTradeNo, from, to, now),
    ...(to === 'CLOSED' ? [rollupClosed(db, outTradeNo, now)] : []), // console daily totals (0007)
    ...events.map((e) => outboxStatement(db, e)),
  ]);
  return res?.meta.changes === 1;
}

/** order.closed when the move enters CLOSED; nothing for the other close phases. */
export function closeEvents(outTradeNo: string, to: OrderStatus, now: string): OutboxEvent[] {
  return to === 'CLOSED' ? [orderClosedEvent(outTradeNo, now)] : [];
}

export function readStatus(db: D1Database, outTradeNo: string): Promise<OrderStatus | null> {
  return db.prepare('SELECT status FROM orders WHERE out_trade_no = ?1').bind(outTradeNo).first<OrderStatus>('status');
}

/** Adds `n` to the (UTC hour, reason) counters of refused notifies, in one batch. */
export async function addRejections(db: D1Database, counts: ReadonlyArray<{ hour: string; reason: string; n: number }>): Promise<void> {
  if (!counts.length) return;
  const sql = `INSERT INTO notify_rejections (hour, reason, count) VALUES (?1, ?2, ?3)
    ON CONFLICT (hour, reason) DO UPDATE SET count = count + excluded.count`;
  await db.batch(counts.map((c) => db.prepare(sql).bind(c.hour, c.reason, c.n)));
}
