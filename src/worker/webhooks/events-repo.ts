// Webhook events in D1: the outbox statement a state change appends to its own batch, and the SQL of
// the delivery engine (claim, attempt records, outcome) and of the events API.
import { nonceStr } from '../../core';
import type { OrderStatus } from '../../core/order-state';
import type { RefundState } from '../../core/refund-state';
import type { AnomalyRecord } from '../orders/payments-repo';

/**
 * Every event type. Emitted: order.paid, order.closed, order.anomaly, refund.succeeded (→ SUCCESS),
 * refund.failed (→ FAILED, CHANGE or REFUNDCLOSE; data `{ order, refund }`, one `outboxStatement` in
 * the refund's state-change batch) and reconciliation.completed (a T+1 run's move to a final status,
 * once per run generation; data `{ reconciliation }`, no order).
 */
export const EVENT_TYPES = ['order.paid', 'order.closed', 'order.anomaly', 'refund.succeeded', 'refund.failed', 'reconciliation.completed'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * The condition under which the event row is written, checked by the statement itself when the
 * batch reaches it: "the change this event reports is there". With the batch's atomicity this gives
 * no event without its change; with `dedupeKey`, a change that happened before (a lost CAS, a
 * repeated anomaly) adds no second event. REFUND_STATUS: the refund row is in `status`, written at
 * `updatedAt` (the transition's own stamp), so only the batch that made the transition emits it.
 */
export type OutboxGuard =
  | { kind: 'ORDER_STATUS'; status: OrderStatus; transactionId?: string }
  | { kind: 'ANOMALY'; anomalyKind: string; bodySha256: string }
  | { kind: 'REFUND_STATUS'; outRefundNo: string; status: RefundState; updatedAt: string }
  /** The day's run of this generation is finished (any final status: the batch's own UPDATE decides which). */
  | { kind: 'RECONCILIATION_DONE'; billDate: string; generation: number };

export interface OutboxEvent {
  /** `evt_…`: the webhook-id, the same on every attempt. */
  id: string;
  type: EventType;
  /** The order whose view goes into `data.order` (snapshotted by the same transaction); null: no order. */
  outTradeNo: string | null;
  /** At most one event per key, ever (e.g. `order.paid:<out_trade_no>`). */
  dedupeKey: string;
  /** UTC ISO-8601: `created_at` of the event. */
  createdAt: string;
  /** Fields of `data` beside `order` (`anomaly`, `refund`). Never a key, a signature or a full openid. */
  data?: Record<string, unknown>;
  when: OutboxGuard;
  /** The first queue message's fence (see claimAttempt). */
  token: string;
}

/** What a committed event needs to be put on the queue. */
export interface EventRef {
  id: string;
  token: string;
}

export function newEventId(): string {
  return `evt_${nonceStr(24)}`;
}

export function newQueueToken(): string {
  return nonceStr(16);
}

/** A new event (id and token fresh). */
export function outboxEvent(e: Omit<OutboxEvent, 'id' | 'token'>): OutboxEvent {
  return { ...e, id: newEventId(), token: newQueueToken() };
}

/**
 * The orders row as the event's own transaction leaves it. Every column `orderView` (orders/view.ts)
 * reads must be listed here: test/worker/webhooks-events.test.ts compares an event's `data.order`
 * with GET /v1/orders/:no, so a view field missing here fails that test.
 */
const ORDER_SNAPSHOT = `(SELECT json_object(
    'out_trade_no', out_trade_no, 'status', status, 'description', description, 'total_fee', total_fee,
    'fee_type', fee_type, 'attach', attach, 'metadata', metadata, 'openid', openid, 'prepay_openid', prepay_openid,
    'transaction_id', transaction_id, 'cash_fee', cash_fee, 'bank_type', bank_type, 'time_end', time_end,
    'refunded_fee', refunded_fee, 'refund_reserved_fee', refund_reserved_fee, 'paid_at', paid_at, 'closed_at', closed_at, 'expires_at', expires_at, 'created_at', created_at, 'updated_at', updated_at)
  FROM orders WHERE out_trade_no = ?3)`;

const GUARD_SQL: Record<OutboxGuard['kind'], string> = {
  ORDER_STATUS: 'EXISTS (SELECT 1 FROM orders WHERE out_trade_no = ?3 AND status = ?8 AND (?9 IS NULL OR transaction_id = ?9))',
  ANOMALY: 'EXISTS (SELECT 1 FROM anomalies WHERE kind = ?8 AND body_sha256 = ?9)',
  REFUND_STATUS: 'EXISTS (SELECT 1 FROM refunds WHERE out_refund_no = ?8 AND out_trade_no = ?3 AND status = ?9 AND updated_at = ?10)',
  RECONCILIATION_DONE: `EXISTS (SELECT 1 FROM reconciliation_runs WHERE bill_date = ?8 AND generation = ?9 AND phase = 'DONE'
    AND status IN ('BALANCED','DISCREPANCIES','NO_BILL','ERROR'))`,
};

/**
 * The run as the event's own transaction leaves it (for RECONCILIATION_DONE, into `data.reconciliation`):
 * every reconciliation_runs column, and the report's item counts by kind and resolution (this
 * generation's items plus fixes APPLIED by any run of the day, as countItems reads them). Rendered with
 * the report's own view (reconciliation/request.ts `completedView`) when the event is shown or sent.
 */
const RUN_SNAPSHOT = `json_object('run', json((SELECT json_object(
    'bill_date', bill_date, 'status', status, 'generation', generation, 'phase', phase, 'next_chunk', next_chunk,
    'chunk_count', chunk_count, 'local_cursor', local_cursor, 'attempts', attempts, 'next_attempt_at', next_attempt_at,
    'error', error, 'no_bill', no_bill, 'bill_records', bill_records, 'bill_payment_count', bill_payment_count,
    'bill_paid_fee', bill_paid_fee, 'bill_refund_count', bill_refund_count, 'bill_refund_fee', bill_refund_fee,
    'bill_service_millifen', bill_service_millifen, 'local_payment_count', local_payment_count, 'local_paid_fee', local_paid_fee,
    'local_refund_count', local_refund_count, 'local_refund_fee', local_refund_fee, 'requested_at', requested_at,
    'finished_at', finished_at, 'updated_at', updated_at)
  FROM reconciliation_runs WHERE bill_date = ?8)), 'item_counts', json((SELECT json_group_array(json_object('kind', kind, 'resolution', resolution, 'count', n))
  FROM (SELECT kind, resolution, count(*) AS n FROM reconciliation_items WHERE bill_date = ?8 AND (generation = ?9 OR resolution = 'APPLIED')
        GROUP BY kind, resolution ORDER BY kind, resolution))))`;

/** The event's `data` column: the caller's fields, and for a finished run its snapshot under `reconciliation`. */
const DATA_SQL: Record<OutboxGuard['kind'], string> = {
  ORDER_STATUS: '?5',
  ANOMALY: '?5',
  REFUND_STATUS: '?5',
  RECONCILIATION_DONE: `json_set(?5, '$.reconciliation', json(${RUN_SNAPSHOT}))`,
};

/** The guard's parameters, bound from ?8 on (exactly as many as its GUARD_SQL uses: D1 refuses extra ones). */
function guardParams(g: OutboxGuard): (string | number | null)[] {
  switch (g.kind) {
    case 'ORDER_STATUS':
      return [g.status, g.transactionId ?? null];
    case 'ANOMALY':
      return [g.anomalyKind, g.bodySha256];
    case 'REFUND_STATUS':
      return [g.outRefundNo, g.status, g.updatedAt];
    case 'RECONCILIATION_DONE':
      return [g.billDate, g.generation];
  }
}

/**
 * The transactional outbox: ONE statement to append to the batch that makes the change. It inserts
 * the event (pending delivery) with the order's snapshot only if `event.when` holds, and at most once
 * per `dedupeKey`. It never fails on a repeat, so it cannot roll back the change it rides with; any
 * other failure rolls back the change too (no change without its event).
 */
export function outboxStatement(db: D1Database, event: OutboxEvent): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO events (id, type, out_trade_no, dedupe_key, data, order_snapshot, created_at, window_started_at, next_attempt_at, queue_token)
       SELECT ?1, ?2, ?3, ?4, ${DATA_SQL[event.when.kind]}, ${ORDER_SNAPSHOT}, ?6, ?6, ?6, ?7
       WHERE ${GUARD_SQL[event.when.kind]}
       ON CONFLICT (dedupe_key) DO NOTHING`,
    )
    .bind(event.id, event.type, event.outTradeNo, event.dedupeKey, JSON.stringify(event.data ?? {}), event.createdAt, event.token, ...guardParams(event.when));
}

// ---- the events each change emits ----

/** order.paid: the one transition into PAID or PAID_AFTER_CLOSE of this order (I2), with this transaction. */
export function orderPaidEvent(outTradeNo: string, status: 'PAID' | 'PAID_AFTER_CLOSE', transactionId: string, now: string): OutboxEvent {
  return outboxEvent({
    type: 'order.paid',
    outTradeNo,
    dedupeKey: `order.paid:${outTradeNo}`,
    createdAt: now,
    when: { kind: 'ORDER_STATUS', status, transactionId },
  });
}

/** order.closed: CLOSING→CLOSED, by the merchant, by the lifecycle cron on expiry, or found closed at WeChat. */
export function orderClosedEvent(outTradeNo: string, now: string): OutboxEvent {
  return outboxEvent({
    type: 'order.closed',
    outTradeNo,
    dedupeKey: `order.closed:${outTradeNo}`,
    createdAt: now,
    when: { kind: 'ORDER_STATUS', status: 'CLOSED' },
  });
}

/** order.anomaly: one per anomaly row (the same unique key), whatever re-sent copies follow. */
export function orderAnomalyEvent(a: AnomalyRecord): OutboxEvent {
  return outboxEvent({
    type: 'order.anomaly',
    outTradeNo: a.outTradeNo,
    dedupeKey: `order.anomaly:${a.kind}:${a.bodySha256}`,
    createdAt: a.now,
    data: { anomaly: { kind: a.kind, detail: a.detail } },
    when: { kind: 'ANOMALY', anomalyKind: a.kind, bodySha256: a.bodySha256 },
  });
}

/**
 * refund.succeeded (→ SUCCESS) or refund.failed (→ FAILED, CHANGE, REFUNDCLOSE): the one final
 * transition of this refund (final states never move again), with the refund as the transition
 * leaves it (`refund`: the GET /v1/refunds view). PROCESSING emits nothing. Null: no event for `to`.
 */
export function refundEvent(outTradeNo: string, to: RefundState, refund: Record<string, unknown> & { out_refund_no: string }, now: string): OutboxEvent | null {
  const type = to === 'SUCCESS' ? 'refund.succeeded' : to === 'FAILED' || to === 'CHANGE' || to === 'REFUNDCLOSE' ? 'refund.failed' : null;
  if (!type) return null;
  return outboxEvent({
    type,
    outTradeNo,
    dedupeKey: `${type}:${refund.out_refund_no}`,
    createdAt: now,
    data: { refund },
    when: { kind: 'REFUND_STATUS', outRefundNo: refund.out_refund_no, status: to, updatedAt: now },
  });
}

/**
 * reconciliation.completed: the day's run of this generation reached its final status (BALANCED,
 * DISCREPANCIES, NO_BILL or ERROR). Appended to the batch that makes that move; once per generation
 * (a re-run is a new generation, with its own event).
 */
export function reconciliationCompletedEvent(billDate: string, generation: number, now: string): OutboxEvent {
  return outboxEvent({
    type: 'reconciliation.completed',
    outTradeNo: null,
    dedupeKey: `reconciliation.completed:${billDate}:${generation}`,
    createdAt: now,
    when: { kind: 'RECONCILIATION_DONE', billDate, generation },
  });
}

export function refOf(e: OutboxEvent): EventRef {
  return { id: e.id, token: e.token };
}

// ---- reads ----

export type EventStatus = 'pending' | 'delivered' | 'failed';

export interface EventRow {
  seq: number;
  id: string;
  type: EventType;
  out_trade_no: string | null;
  dedupe_key: string;
  data: string;
  order_snapshot: string | null;
  created_at: string;
  status: EventStatus;
  attempts: number;
  window_started_at: string;
  window_attempts: number;
  next_attempt_at: string;
  queue_token: string;
  delivered_at: string | null;
  failed_at: string | null;
}

export interface AttemptRow {
  id: number;
  event_id: string;
  attempted_at: string;
  webhook_timestamp: number;
  trigger: 'QUEUE' | 'REDELIVER';
  http_status: number | null;
  error: 'TIMEOUT' | 'NETWORK' | 'NOT_2XX' | null;
  latency_ms: number;
  response_excerpt: string;
}

export function getEvent(db: D1Database, id: string): Promise<EventRow | null> {
  return db.prepare('SELECT * FROM events WHERE id = ?1').bind(id).first<EventRow>();
}

export async function listAttempts(db: D1Database, eventId: string): Promise<AttemptRow[]> {
  return (await db.prepare('SELECT * FROM event_attempts WHERE event_id = ?1 ORDER BY id').bind(eventId).all<AttemptRow>()).results;
}

/** Oldest first, after the event `afterSeq`; up to limit + 1 rows (the extra one says there is more). */
export async function listEvents(db: D1Database, f: { type?: EventType; afterSeq?: number; limit: number }): Promise<EventRow[]> {
  const res = await db
    .prepare(`SELECT * FROM events WHERE (?1 IS NULL OR type = ?1) AND seq > ?2 ORDER BY seq LIMIT ?3`)
    .bind(f.type ?? null, f.afterSeq ?? 0, f.limit + 1)
    .all<EventRow>();
  return res.results;
}

export async function seqOf(db: D1Database, id: string): Promise<number | null> {
  return db.prepare('SELECT seq FROM events WHERE id = ?1').bind(id).first<number>('seq');
}

// ---- the delivery engine ----

/**
 * A queue message may deliver only if it carries the event's current token and the event is
 * pending: stale copies (superseded by the cron's re-enqueue or a redelivery) are dropped. The
 * claim also pushes next_attempt_at forward by `leaseMs`, so the cron does not re-enqueue an event
 * whose attempt is under way.
 */
export async function claimAttempt(db: D1Database, id: string, token: string, leaseUntil: string): Promise<EventRow | null> {
  return db
    .prepare(`UPDATE events SET next_attempt_at = ?3 WHERE id = ?1 AND queue_token = ?2 AND status = 'pending' RETURNING *`)
    .bind(id, token, leaseUntil)
    .first<EventRow>();
}

export interface AttemptRecord {
  attemptedAt: string;
  webhookTimestamp: number;
  trigger: 'QUEUE' | 'REDELIVER';
  httpStatus: number | null;
  error: string | null;
  latencyMs: number;
  responseExcerpt: string;
}

/**
 * One attempt and what follows it, in one batch: the attempt row, then the event either delivered,
 * failed (its window is over), or pending with its next attempt time. Conditional on the token, so a
 * message superseded meanwhile changes nothing but leaves its attempt on record. True if applied.
 */
export async function recordAttempt(
  db: D1Database,
  id: string,
  token: string,
  a: AttemptRecord,
  next: { status: 'delivered' } | { status: 'failed' } | { status: 'pending'; nextAttemptAt: string },
): Promise<boolean> {
  const [, update] = await db.batch([
    db
      .prepare(
        `INSERT INTO event_attempts (event_id, attempted_at, webhook_timestamp, trigger, http_status, error, latency_ms, response_excerpt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`,
      )
      .bind(id, a.attemptedAt, a.webhookTimestamp, a.trigger, a.httpStatus, a.error, a.latencyMs, a.responseExcerpt),
    db
      .prepare(
        `UPDATE events SET attempts = attempts + 1, window_attempts = window_attempts + 1, status = ?3,
           next_attempt_at = COALESCE(?4, next_attempt_at),
           delivered_at = CASE WHEN ?3 = 'delivered' THEN ?5 ELSE delivered_at END,
           failed_at = CASE WHEN ?3 = 'failed' THEN ?5 ELSE failed_at END
         WHERE id = ?1 AND queue_token = ?2 AND status = 'pending'`,
      )
      .bind(id, token, next.status, next.status === 'pending' ? next.nextAttemptAt : null, a.attemptedAt),
  ]);
  return update?.meta.changes === 1;
}

/** Marks a pending event failed (its dead-lettered message, or a window that ran out unattempted). */
export async function markFailed(db: D1Database, id: string, token: string | null, now: string): Promise<boolean> {
  const res = await db
    .prepare(`UPDATE events SET status = 'failed', failed_at = ?3 WHERE id = ?1 AND status = 'pending' AND (?2 IS NULL OR queue_token = ?2)`)
    .bind(id, token, now)
    .run();
  return res.meta.changes === 1;
}

/**
 * A fresh message for the event: a new token (older messages become stale), pending again. With
 * `newWindow` (a redelivery by hand) the 3-day retry window and the schedule restart now.
 */
export async function rearm(db: D1Database, id: string, now: string, newWindow: boolean, onlyIfPending: boolean): Promise<EventRef | null> {
  const token = newQueueToken();
  const row = await db
    .prepare(
      `UPDATE events SET queue_token = ?2, status = 'pending', next_attempt_at = ?3,
         window_started_at = CASE WHEN ?4 THEN ?3 ELSE window_started_at END,
         window_attempts = CASE WHEN ?4 THEN 0 ELSE window_attempts END
       WHERE id = ?1 AND (NOT ?5 OR status = 'pending') RETURNING id`,
    )
    .bind(id, token, now, newWindow ? 1 : 0, onlyIfPending ? 1 : 0)
    .first<{ id: string }>();
  return row ? { id, token } : null;
}

/** Pending events whose message is overdue by more than the grace (never enqueued, or lost), oldest first. */
export async function overdueEvents(db: D1Database, dueBefore: string, limit: number): Promise<{ id: string }[]> {
  const res = await db
    .prepare(`SELECT id FROM events WHERE status = 'pending' AND next_attempt_at <= ?1 ORDER BY next_attempt_at LIMIT ?2`)
    .bind(dueBefore, limit)
    .all<{ id: string }>();
  return res.results;
}

/** Pending events whose 3-day window ended before they were delivered (e.g. recorded while no WEBHOOK_URL was set). */
export async function failExpiredEvents(db: D1Database, windowStartedBefore: string, now: string): Promise<number> {
  const res = await db
    .prepare(`UPDATE events SET status = 'failed', failed_at = ?2 WHERE status = 'pending' AND window_started_at < ?1`)
    .bind(windowStartedBefore, now)
    .run();
  return res.meta.changes;
}
