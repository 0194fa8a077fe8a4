// Money-state SQL: every status change is a compare-and-set, and each effect with its ledger credit,
// anomaly, notification record and webhook event is ONE D1 batch (one transaction: all or nothing,
// I3). Batch hooks (model/batch.ts) add their statements to the same batch.
import type { OrderStatus } from '../../core/order-state';
import type { AnomalyRecord, BatchHooks, NotifyEvidence, OutboxEvent, PaymentFacts } from '../model';
import { closeEvents, paymentEvents } from '../outbox';
import { outboxStatement } from '../outbox';
import { storedMs } from '../platform/stored-time';

/** The order fields a payment decision needs. */
interface PaymentView {
  status: OrderStatus;
  total_fee: number;
  fee_type: string;
  transaction_id: string | null;
  /** The attempt that paid it (0009); null before payment, or for orders paid before attempts. */
  payment_no: string | null;
}

/**
 * The order (on the primary: no replica reads for money), which order, if any, already holds
 * `transactionId`, and the reported attempt if it is one of this order's.
 */
export async function loadPaymentView(
  db: D1Database,
  outTradeNo: string,
  transactionId: string,
  paymentNo: string = outTradeNo,
): Promise<{ order: PaymentView | null; txnOwner: string | null; attempt: { transaction_id: string | null } | null }> {
  const [order, owner, attempt] = await db.batch([
    db.prepare('SELECT status, total_fee, fee_type, transaction_id, payment_no FROM orders WHERE out_trade_no = ?1').bind(outTradeNo),
    db.prepare('SELECT out_trade_no FROM orders WHERE transaction_id = ?1').bind(transactionId),
    db.prepare('SELECT transaction_id FROM payment_attempts WHERE payment_no = ?1 AND out_trade_no = ?2').bind(paymentNo, outTradeNo),
  ]);
  return {
    order: (order?.results[0] as PaymentView | undefined) ?? null,
    txnOwner: (owner?.results[0] as { out_trade_no: string } | undefined)?.out_trade_no ?? null,
    attempt: (attempt?.results[0] as { transaction_id: string | null } | undefined) ?? null,
  };
}

export interface PaymentCommit {
  facts: PaymentFacts;
  /**
   * The status read under the DO lock: the CAS lands only if it is still current. Or every status a
   * payment moves to `to` from (a notice checked against the OrderGate's facts, nothing read: issue 20).
   */
  from: OrderStatus | readonly OrderStatus[];
  to: 'PAID' | 'PAID_AFTER_CLOSE';
  now: string;
  evidence?: NotifyEvidence;
  /** Written with the transition (PAID_AFTER_CLOSE needs its reconciliation row). */
  anomaly?: AnomalyRecord;
  /** PAID_AFTER_CLOSE under LATE_PAYMENT_POLICY=refund: the full refund is reserved and filed in the same batch. */
  refundLate?: boolean;
  /**
   * The webhook events this commit emits (outbox, same batch). Default: outbox/events.ts
   * `paymentEvents` (order.paid, plus order.anomaly with the anomaly). Pass them to know the ids to
   * enqueue after the commit.
   */
  events?: OutboxEvent[];
}

/**
 * One transaction: CAS the order to PAID/PAID_AFTER_CLOSE with the payment facts, then the ledger
 * credit, notification and anomaly. `changes()` is the previous statement's row count, so each
 * insert follows only if the one before it wrote: a lost CAS writes nothing. The ledger insert has
 * no ON CONFLICT: a second credit is a constraint error that rolls the whole batch back, never a
 * PAID order without its credit. `hooks` append their statements last. Returns whether the CAS applied.
 */
export async function commitPayment(db: D1Database, c: PaymentCommit, hooks: BatchHooks = []): Promise<boolean> {
  const f = c.facts;
  const stmts: D1PreparedStatement[] = [
    db
      .prepare(
        `UPDATE orders SET status = ?3, transaction_id = ?4, time_end = ?5, bank_type = ?6, cash_fee = ?7,
           prepay_openid = COALESCE(?8, prepay_openid), paid_at = ?9, updated_at = ?9, payment_no = ?12,
           last_notify_at = CASE WHEN ?10 = 'NOTIFY' THEN ?9 ELSE last_notify_at END
         WHERE out_trade_no = ?1 AND status IN (SELECT value FROM json_each(?2)) AND total_fee = ?11 AND transaction_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM orders AS other WHERE other.transaction_id = ?4)`,
      )
      .bind(
        f.outTradeNo,
        JSON.stringify(typeof c.from === 'string' ? [c.from] : c.from),
        c.to,
        f.transactionId,
        f.timeEnd ?? null,
        f.bankType ?? null,
        f.cashFee ?? null,
        f.openid ?? null,
        storedMs(c.now),
        f.source,
        f.totalFee,
        f.paymentNo ?? f.outTradeNo,
      ),
    db
      .prepare(
        `INSERT INTO ledger (out_trade_no, kind, amount_fen, transaction_id, created_at)
         SELECT out_trade_no, 'PAYMENT', total_fee, transaction_id, ?4 FROM orders
         WHERE changes() = 1 AND out_trade_no = ?1 AND transaction_id = ?2 AND status = ?3`,
      )
      .bind(f.outTradeNo, f.transactionId, c.to, Date.parse(c.now)),
  ];
  if (c.evidence) {
    stmts.push(
      db
        .prepare(
          `INSERT INTO notifications (kind, out_trade_no, body_sha256, raw_body, verdict, received_at)
           SELECT 'PAY', ?1, unhex(?2), ?3, ?4, ?5 WHERE changes() = 1`,
        )
        .bind(f.outTradeNo, c.evidence.bodySha256, c.evidence.rawBody, c.to === 'PAID' ? 'APPLIED' : 'PAID_AFTER_CLOSE', Date.parse(c.evidence.receivedAt)),
    );
  }
  if (c.anomaly) {
    const a = c.anomaly;
    stmts.push(
      db
        .prepare(
          `INSERT INTO anomalies (kind, out_trade_no, body_sha256, detail, created_at)
           SELECT ?1, ?2, unhex(?3), ?4, ?5 WHERE EXISTS
             (SELECT 1 FROM orders WHERE out_trade_no = ?2 AND transaction_id = ?6 AND status = ?7 AND paid_at = ?8)
           ON CONFLICT (body_sha256, kind) DO NOTHING`,
        )
        .bind(a.kind, a.outTradeNo, a.bodySha256, JSON.stringify(a.detail), a.now, f.transactionId, c.to, storedMs(a.now)),
    );
  }
  if (c.refundLate && c.to === 'PAID_AFTER_CLOSE') {
    // The whole payment reserved as refunded-to-be (the order's own refund sums: it is the order's
    // payment), then the SUBMITTING refund under a number fixed by the paying attempt, so it is filed once.
    const paymentNo = f.paymentNo ?? f.outTradeNo;
    stmts.push(
      db
        .prepare(
          `UPDATE orders SET refund_reserved_fee = total_fee, refund_version = refund_version + 1, updated_at = ?3
           WHERE out_trade_no = ?1 AND status = 'PAID_AFTER_CLOSE' AND transaction_id = ?2 AND paid_at = ?3 AND refund_reserved_fee = 0`,
        )
        .bind(f.outTradeNo, f.transactionId, storedMs(c.now)),
      db
        .prepare(
          `INSERT INTO refunds (out_refund_no, out_trade_no, payment_no, duplicate, automatic, refund_fee, total_fee, reason, status, request_hash, created_at, updated_at)
           SELECT ?1, out_trade_no, ?2, 0, 1, total_fee, total_fee, '订单关闭后支付，自动退款', 'SUBMITTING', ?3, ?4, ?4 FROM orders
           WHERE changes() = 1 AND out_trade_no = ?5`,
        )
        .bind(lateRefundNo(paymentNo), paymentNo, `late:${f.transactionId}`, storedMs(c.now), f.outTradeNo),
    );
  }
  // The paying attempt (absent for orders that never had one): guarded by the order's new state.
  stmts.push(
    db
      .prepare(
        `UPDATE payment_attempts SET status = 'PAID', transaction_id = ?3, openid = COALESCE(openid, ?4), paid_at = ?6, updated_at = ?6
         WHERE payment_no = ?1 AND out_trade_no = ?2 AND status IN ('PENDING','CLOSED') AND transaction_id IS NULL
           AND EXISTS (SELECT 1 FROM orders WHERE out_trade_no = ?2 AND transaction_id = ?3 AND paid_at = ?5)`,
      )
      .bind(f.paymentNo ?? f.outTradeNo, f.outTradeNo, f.transactionId, f.openid ?? null, storedMs(c.now), storedMs(c.now)),
  );
  // The outbox (guarded by the order's new state, not by changes()): no transition without its event.
  const events = c.events ?? paymentEvents({ outTradeNo: f.outTradeNo, to: c.to, transactionId: f.transactionId, now: c.now, anomaly: c.anomaly });
  for (const e of events) stmts.push(outboxStatement(db, e));
  const change = { kind: 'PAID', outTradeNo: f.outTradeNo, transactionId: f.transactionId, status: c.to, at: c.now } as const;
  for (const hook of hooks) stmts.push(...hook(db, change));
  const [update] = await db.batch(stmts);
  return update?.meta.changes === 1;
}

/** WeChat's refund number for a duplicate's automatic refund: one per attempt, so it is filed once (merchant numbers may not start with `dup_`). */
export const duplicateRefundNo = (paymentNo: string) => `dup_${paymentNo}`;
/** The same for a payment after close refunded automatically (LATE_PAYMENT_POLICY=refund; merchant numbers may not start with `late_`). */
export const lateRefundNo = (paymentNo: string) => `late_${paymentNo}`;

export interface DuplicateCommit {
  facts: PaymentFacts & { paymentNo: string };
  /** The order's total: what came in twice, and what goes back. */
  totalFee: number;
  now: string;
  evidence?: NotifyEvidence;
  anomaly: AnomalyRecord;
  /** order.anomaly for the anomaly (outbox, same batch). */
  events: OutboxEvent[];
}

/**
 * One transaction for a duplicate payment: the attempt takes the transaction (CAS: still without
 * one), its DUPLICATE_PAYMENT credit, the automatic full refund filed as SUBMITTING under a number
 * fixed by the attempt (the lifecycle sweep sends it), the notification, the anomaly and its event.
 * The order's status and refund sums stay as they are. Returns whether the CAS applied.
 */
export async function commitDuplicate(db: D1Database, c: DuplicateCommit): Promise<boolean> {
  const f = c.facts;
  const outRefundNo = duplicateRefundNo(f.paymentNo);
  const stmts: D1PreparedStatement[] = [
    db
      .prepare(
        `UPDATE payment_attempts SET status = 'REFUNDING', transaction_id = ?3, openid = COALESCE(openid, ?4), paid_at = ?5, updated_at = ?5,
           time_end = ?6
         WHERE payment_no = ?1 AND out_trade_no = ?2 AND transaction_id IS NULL AND status IN ('PENDING','CLOSED')`,
      )
      .bind(f.paymentNo, f.outTradeNo, f.transactionId, f.openid ?? null, storedMs(c.now), f.timeEnd ?? null),
    db
      .prepare(
        `INSERT INTO ledger (out_trade_no, kind, amount_fen, transaction_id, created_at)
         SELECT ?1, 'DUPLICATE_PAYMENT', ?2, ?3, ?4 WHERE changes() = 1`,
      )
      .bind(f.outTradeNo, c.totalFee, f.transactionId, Date.parse(c.now)),
    db
      .prepare(
        `INSERT INTO refunds (out_refund_no, out_trade_no, payment_no, duplicate, automatic, refund_fee, total_fee, reason, status, request_hash, created_at, updated_at)
         SELECT ?1, ?2, ?3, 1, 1, ?4, ?4, '重复支付自动退款', 'SUBMITTING', ?5, ?6, ?6 WHERE changes() = 1`,
      )
      .bind(outRefundNo, f.outTradeNo, f.paymentNo, c.totalFee, `duplicate:${f.transactionId}`, storedMs(c.now)),
  ];
  if (c.evidence) {
    stmts.push(
      db
        .prepare(
          `INSERT INTO notifications (kind, out_trade_no, body_sha256, raw_body, verdict, received_at)
           SELECT 'PAY', ?1, unhex(?2), ?3, 'DUPLICATE_PAYMENT', ?4 WHERE changes() = 1`,
        )
        .bind(f.outTradeNo, c.evidence.bodySha256, c.evidence.rawBody, Date.parse(c.evidence.receivedAt)),
    );
  }
  const a = c.anomaly;
  const recorded = `EXISTS (SELECT 1 FROM payment_attempts WHERE payment_no = ?6 AND transaction_id = ?7 AND paid_at = ?8)`;
  stmts.push(
    db
      .prepare(
        `INSERT INTO anomalies (kind, out_trade_no, body_sha256, detail, created_at)
         SELECT ?1, ?2, unhex(?3), ?4, ?5 WHERE ${recorded}
         ON CONFLICT (body_sha256, kind) DO NOTHING`,
      )
      .bind(a.kind, a.outTradeNo, a.bodySha256, JSON.stringify(a.detail), a.now, f.paymentNo, f.transactionId, storedMs(a.now)),
  );
  for (const e of c.events) stmts.push(outboxStatement(db, e));
  const [update] = await db.batch(stmts);
  return update?.meta.changes === 1;
}

/**
 * A CAS status change outside payment (close phases). `closed_at` is stamped on entering CLOSED,
 * and entering CLOSED emits order.closed in the same batch (`events`, default outbox/events.ts
 * `closeEvents`); `hooks` see the move into CLOSED.
 */
export async function moveStatus(
  db: D1Database,
  outTradeNo: string,
  from: OrderStatus,
  to: OrderStatus,
  now: string,
  events: OutboxEvent[] = closeEvents(outTradeNo, to, now),
  hooks: BatchHooks = [],
): Promise<boolean> {
  const closed = { kind: 'CLOSED', outTradeNo, at: now } as const;
  const [res] = await db.batch([
    db
      .prepare(
        `UPDATE orders SET status = ?3, updated_at = ?4, closed_at = CASE WHEN ?3 = 'CLOSED' THEN ?4 ELSE closed_at END
         WHERE out_trade_no = ?1 AND status = ?2`,
      )
      .bind(outTradeNo, from, to, storedMs(now)),
    ...(to === 'CLOSED' ? hooks.flatMap((hook) => hook(db, closed)) : []),
    ...events.map((e) => outboxStatement(db, e)),
  ]);
  return res?.meta.changes === 1;
}

export function readStatus(db: D1Database, outTradeNo: string): Promise<OrderStatus | null> {
  return db.prepare('SELECT status FROM orders WHERE out_trade_no = ?1').bind(outTradeNo).first<OrderStatus>('status');
}
