// Refund SQL (migrations/0004). Reservation and result batches are the OrderGate's: each is ONE D1
// batch whose first statement is a compare-and-set on the order's (status, refund_version), and
// every later statement runs only if the one before it wrote (`changes() = 1`), so a batch built
// from a stale read writes nothing. The CHECKs of 0004 bound the sums whatever the code does.
import type { OrderStatus } from '../../core/order-state';
import type { AnomalyRecord, BatchHooks, NotifyEvidence, OutboxEvent, RefundRecord, RefundStatus } from '../model';
import { outboxStatement } from '../outbox';
import { storedIso, storedMs, type StoredTime, withIsoTimes } from '../platform/stored-time';

/** One `refunds` row as the repos return it. Times are UTC ISO-8601 (stored as epoch ms since 0015). */
export type RefundRow = RefundRecord;

/** The times a refund stores as epoch ms (0015). */
export const REFUND_TIMES = ['last_attempt_at', 'last_synced_at', 'created_at', 'updated_at', 'succeeded_at'] as const;

/** A refund row as D1 (or an archive) returns it, with its times as ISO text. */
export function refundOfStored(row: Record<string, unknown>): RefundRow {
  return withIsoTimes<RefundRow>(row, REFUND_TIMES);
}

/** The order fields a refund decision needs, read on the primary. */
interface RefundOrderView {
  status: OrderStatus;
  total_fee: number;
  refund_reserved_fee: number;
  refunded_fee: number;
  refund_version: number;
  paid_at: string | null;
  /** The number the order was paid under (its paying attempt's; before attempts, its own). */
  payment_no: string;
  /** Refunds of this order WeChat counts (all but FAILED, which WeChat never accepted; a duplicate's own refund aside). */
  refund_count: number;
  /** 0017: set while its history (attempt, ledger, …) is in the archive: a reservation waits until it is back. */
  history_part: number | null;
}

/** WeChat's cap: at most 50 refunds per order (docs/wechatpay-v2.md §12). */
export const MAX_REFUNDS_PER_ORDER = 50;

export async function getRefund(db: D1Database, outRefundNo: string): Promise<RefundRow | null> {
  const row = await db.prepare('SELECT * FROM refunds WHERE out_refund_no = ?1').bind(outRefundNo).first<Record<string, unknown>>();
  return row ? refundOfStored(row) : null;
}

/** An order's refunds, oldest first (at most 50 reach WeChat; FAILED ones are kept too). */
export async function listRefunds(db: D1Database, outTradeNo: string, limit = 200): Promise<RefundRow[]> {
  const res = await db
    .prepare('SELECT * FROM refunds WHERE out_trade_no = ?1 ORDER BY created_at, out_refund_no LIMIT ?2')
    .bind(outTradeNo, limit)
    .all<Record<string, unknown>>();
  return res.results.map(refundOfStored);
}

/** The order's paid_at as ISO text (epoch ms since 0018). */
function orderViewOfStored(row: (Omit<RefundOrderView, 'paid_at'> & { paid_at: StoredTime | null }) | undefined): RefundOrderView | null {
  return row ? { ...row, paid_at: storedIso(row.paid_at) } : null;
}

/** The order and (if any) the refund already filed under `outRefundNo`, in one round trip. */
export async function loadRefundView(
  db: D1Database,
  outTradeNo: string,
  outRefundNo: string,
): Promise<{ order: RefundOrderView | null; refund: RefundRow | null; archivedUnder: string | null }> {
  const [order, refund, archived] = await db.batch([
    db
      .prepare(
        `SELECT status, total_fee, refund_reserved_fee, refunded_fee, refund_version, paid_at, COALESCE(payment_no, out_trade_no) AS payment_no, history_part,
           (SELECT COUNT(*) FROM refunds WHERE out_trade_no = ?1 AND status <> 'FAILED' AND duplicate = 0) AS refund_count
         FROM orders WHERE out_trade_no = ?1`,
      )
      .bind(outTradeNo),
    db.prepare('SELECT * FROM refunds WHERE out_refund_no = ?1').bind(outRefundNo),
    db.prepare('SELECT out_trade_no FROM archive_refunds WHERE out_refund_no = ?1').bind(outRefundNo),
  ]);
  return {
    order: orderViewOfStored(order?.results[0] as (Omit<RefundOrderView, 'paid_at'> & { paid_at: StoredTime | null }) | undefined),
    refund: refund?.results[0] ? refundOfStored(refund.results[0] as Record<string, unknown>) : null,
    archivedUnder: (archived?.results[0] as { out_trade_no: string } | undefined)?.out_trade_no ?? null,
  };
}

interface NewReservation {
  outTradeNo: string;
  outRefundNo: string;
  refundFee: number;
  totalFee: number;
  reason: string | null;
  requestHash: string;
  /** The order as read under the DO lock: the CAS lands only if it is still current. */
  seen: Pick<RefundOrderView, 'status' | 'refund_version'>;
  now: string;
}

/**
 * One transaction: the order's reserved sum grows by refund_fee (CAS on status and refund_version,
 * the cap and WeChat's 50-refund limit re-checked in SQL), then the SUBMITTING row. True when both
 * were written. A row under the same out_refund_no written meanwhile (another order's gate) makes
 * the insert a primary-key error that rolls the whole batch back.
 */
export async function commitReservation(db: D1Database, r: NewReservation): Promise<boolean> {
  const [update] = await db.batch([
    db
      .prepare(
        `UPDATE orders SET refund_reserved_fee = refund_reserved_fee + ?3, refund_version = refund_version + 1, updated_at = ?6
         WHERE out_trade_no = ?1 AND status = ?2 AND refund_version = ?4 AND total_fee = ?5 AND history_part IS NULL
           AND NOT EXISTS (SELECT 1 FROM archive_refunds WHERE out_refund_no = ?7)
           AND refund_reserved_fee + ?3 <= total_fee
           AND (SELECT COUNT(*) FROM refunds WHERE out_trade_no = ?1 AND status <> 'FAILED' AND duplicate = 0) < ${MAX_REFUNDS_PER_ORDER}`,
      )
      .bind(r.outTradeNo, r.seen.status, r.refundFee, r.seen.refund_version, r.totalFee, storedMs(r.now), r.outRefundNo),
    db
      .prepare(
        `INSERT INTO refunds (out_refund_no, out_trade_no, payment_no, refund_fee, total_fee, reason, status, request_hash, created_at, updated_at)
         SELECT ?1, ?2, (SELECT COALESCE(payment_no, out_trade_no) FROM orders WHERE out_trade_no = ?2), ?3, ?4, ?5, 'SUBMITTING', unhex(?6), ?7, ?7
         WHERE changes() = 1`,
      )
      .bind(r.outRefundNo, r.outTradeNo, r.refundFee, r.totalFee, r.reason, r.requestHash, storedMs(r.now)),
  ]);
  return update?.meta.changes === 1;
}

interface RefundCommit {
  refund: RefundRow;
  to: RefundStatus;
  /** The order as read under the DO lock (CAS token) and the status it moves to. */
  seen: Pick<RefundOrderView, 'status' | 'refund_version'>;
  orderTo: OrderStatus;
  /** What the reservation does: SUCCESS books it as refunded, FAILED/REFUNDCLOSE release it, others keep it. */
  refundedDelta: number;
  reservedDelta: number;
  refundId: string | null;
  failureReason: string | null;
  succeededAt: string | null;
  now: string;
  evidence?: NotifyEvidence;
  /** CHANGE needs a person: its anomaly commits with the transition. */
  anomaly?: AnomalyRecord;
  /**
   * The webhook events of this transition (outbox, same batch; refund-gate.ts `refundTransitionEvents`):
   * refund.succeeded / refund.failed, and order.anomaly with the anomaly. Each is guarded by the
   * transition's own stamp, so a lost CAS writes none.
   */
  events: OutboxEvent[];
}

/**
 * One transaction for one refund transition: the order's sums, status and refund_version (the CAS),
 * then the refund row, then for SUCCESS its one REFUND ledger row (transaction_id = out_refund_no;
 * no ON CONFLICT: a second debit is a constraint error that rolls everything back), then the notify
 * record, the anomaly and the webhook events (the transactional outbox), then for SUCCESS what `hooks`
 * add. Returns whether the CAS applied.
 */
export async function commitRefundResult(db: D1Database, c: RefundCommit, hooks: BatchHooks = []): Promise<boolean> {
  const r = c.refund;
  const stmts: D1PreparedStatement[] = [
    db
      .prepare(
        `UPDATE orders SET status = ?4, refunded_fee = refunded_fee + ?5, refund_reserved_fee = refund_reserved_fee + ?6,
           refund_version = refund_version + 1, updated_at = ?7
         WHERE out_trade_no = ?1 AND status = ?2 AND refund_version = ?3`,
      )
      .bind(r.out_trade_no, c.seen.status, c.seen.refund_version, c.orderTo, c.refundedDelta, c.reservedDelta, storedMs(c.now)),
    db
      .prepare(
        `UPDATE refunds SET status = ?3, refund_id = COALESCE(refund_id, ?4), failure_reason = COALESCE(?5, failure_reason),
           succeeded_at = ?6, updated_at = ?7
         WHERE changes() = 1 AND out_refund_no = ?1 AND status = ?2`,
      )
      .bind(r.out_refund_no, r.status, c.to, c.refundId, c.failureReason, c.succeededAt === null ? null : storedMs(c.succeededAt), storedMs(c.now)),
  ];
  if (c.to === 'SUCCESS') {
    stmts.push(
      db
        .prepare(
          `INSERT INTO ledger (out_trade_no, kind, amount_fen, transaction_id, created_at)
           SELECT ?1, ?5, ?2, ?3, ?4 WHERE changes() = 1`,
        )
        .bind(r.out_trade_no, r.refund_fee, r.out_refund_no, Date.parse(c.now), r.duplicate === 1 ? 'DUPLICATE_REFUND' : 'REFUND'),
    );
  }
  if (r.duplicate === 1 && r.payment_no && c.to === 'SUCCESS') {
    // The duplicate's attempt is given back (a refused one stays REFUNDING beside its DUPLICATE_REFUND_FAILED anomaly, for a person).
    stmts.push(
      db
        .prepare(
          `UPDATE payment_attempts SET status = 'REFUNDED', updated_at = ?2
           WHERE payment_no = ?1 AND status = 'REFUNDING' AND EXISTS (SELECT 1 FROM refunds WHERE out_refund_no = ?3 AND status = 'SUCCESS' AND updated_at = ?2)`,
        )
        .bind(r.payment_no, storedMs(c.now), r.out_refund_no),
    );
  }
  if (c.evidence) {
    stmts.push(
      db
        .prepare(
          `INSERT INTO notifications (kind, out_trade_no, body_sha256, raw_body, verdict, received_at)
           SELECT 'REFUND', ?1, unhex(?2), ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM refunds WHERE out_refund_no = ?6 AND status = ?7 AND updated_at = ?8)`,
        )
        .bind(
          r.out_trade_no,
          c.evidence.bodySha256,
          c.evidence.rawBody,
          `REFUND_${c.to}`,
          Date.parse(c.evidence.receivedAt),
          r.out_refund_no,
          c.to,
          storedMs(c.now),
        ),
    );
  }
  if (c.anomaly) {
    const a = c.anomaly;
    stmts.push(
      db
        .prepare(
          `INSERT INTO anomalies (kind, out_trade_no, body_sha256, detail, created_at)
           SELECT ?1, ?2, unhex(?3), ?4, ?5 WHERE EXISTS (SELECT 1 FROM refunds WHERE out_refund_no = ?6 AND status = ?7 AND updated_at = ?8)
           ON CONFLICT (body_sha256, kind) DO NOTHING`,
        )
        .bind(a.kind, a.outTradeNo, a.bodySha256, JSON.stringify(a.detail), a.now, r.out_refund_no, c.to, storedMs(c.now)),
    );
  }
  // The outbox (guarded by the refund's new status and stamp): no transition without its event.
  for (const e of c.events) stmts.push(outboxStatement(db, e));
  // A duplicate's refund returns money the order never counted (its payment is no sale): the hooks' figures skip both.
  if (c.to === 'SUCCESS' && r.duplicate !== 1) {
    for (const hook of hooks) stmts.push(...hook(db, { kind: 'REFUND_SUCCEEDED', outRefundNo: r.out_refund_no, at: c.now }));
  }
  const [update] = await db.batch(stmts);
  return update?.meta.changes === 1;
}

/**
 * Claims the right to send one refund call for a SUBMITTING refund: one caller per window, however
 * many race (a merchant replay, a read, the lifecycle sweep). Bookkeeping only: no money state.
 */
export async function claimRefundAttempt(db: D1Database, outRefundNo: string, now: string, lastAttemptBefore: string): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE refunds SET attempts = attempts + 1, last_attempt_at = ?2
       WHERE out_refund_no = ?1 AND status = 'SUBMITTING' AND (last_attempt_at IS NULL OR last_attempt_at <= ?3)`,
    )
    .bind(outRefundNo, storedMs(now), storedMs(lastAttemptBefore))
    .run();
  return res.meta.changes === 1;
}

/** Claims one refundquery for an unfinished refund (at most one per window, like orderquery syncs). */
export async function claimRefundSync(db: D1Database, outRefundNo: string, now: string, lastSyncedBefore: string): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE refunds SET last_synced_at = ?2
       WHERE out_refund_no = ?1 AND status IN ('SUBMITTING','PROCESSING') AND (last_synced_at IS NULL OR last_synced_at <= ?3)`,
    )
    .bind(outRefundNo, storedMs(now), storedMs(lastSyncedBefore))
    .run();
  return res.meta.changes === 1;
}

/**
 * Unfinished refunds quiet since `before` (nothing heard, sent or asked since), the longest-quiet
 * first: the lifecycle sweep's work list (refunds/advance.ts decides which of them are due).
 */
export async function stuckRefunds(db: D1Database, before: string, limit: number): Promise<RefundRow[]> {
  const res = await db
    .prepare(
      `SELECT * FROM refunds WHERE status IN ('SUBMITTING','PROCESSING') AND updated_at <= ?1
         AND COALESCE(last_attempt_at, 0) <= ?1 AND COALESCE(last_synced_at, 0) <= ?1
       ORDER BY max(updated_at, COALESCE(last_attempt_at, 0), COALESCE(last_synced_at, 0)), out_refund_no LIMIT ?2`,
    )
    .bind(storedMs(before), limit)
    .all<Record<string, unknown>>();
  return res.results.map(refundOfStored);
}

/**
 * Which payment at WeChat a refund returns money of: the attempt's number and appid (the paying
 * attempt for the merchant's refunds, the duplicate's for an automatic one); refunds filed before
 * attempts name the order's own number under the 公众号 appid.
 */
export async function refundTarget(db: D1Database, row: RefundRow): Promise<{ outTradeNo: string; appId?: string }> {
  const target = await db
    .prepare(
      `SELECT n.no AS no, (SELECT appid FROM payment_attempts WHERE payment_no = n.no AND out_trade_no = ?1) AS appid
       FROM (SELECT COALESCE(?2, (SELECT payment_no FROM orders WHERE out_trade_no = ?1), ?1) AS no) AS n`,
    )
    .bind(row.out_trade_no, row.payment_no ?? null)
    .first<{ no: string; appid: string | null }>();
  return { outTradeNo: target?.no ?? row.out_trade_no, appId: target?.appid ?? undefined };
}

/** The order's automatic refunds (of a duplicate payment, or of a payment after close) not yet sent (SUBMITTING, never attempted). */
export async function unsentAutomaticRefunds(db: D1Database, outTradeNo: string): Promise<RefundRow[]> {
  const res = await db
    .prepare(`SELECT * FROM refunds WHERE out_trade_no = ?1 AND automatic = 1 AND status = 'SUBMITTING' AND attempts = 0 ORDER BY created_at LIMIT 20`)
    .bind(outTradeNo)
    .all<Record<string, unknown>>();
  return res.results.map(refundOfStored);
}
