// The transactional outbox: the one statement a state change appends to its own D1 batch to record
// the webhook event it emits (events.ts builds the event).
import type { OutboxEvent, OutboxGuard } from '../model';
import { isoOfMsSql, storedMs } from '../platform/stored-time';

/**
 * What of the order the event keeps (0011): only what a later change may rewrite. Its status, updated_at
 * and refund sums, and before payment its payer (prepay_openid, which the payment may still set); the
 * fields a change sets once and never rewrites are read from the order when the event is shown or sent
 * (webhooks/payload.ts). test/worker/webhooks-events.test.ts compares an event's `data.order` with
 * GET /v1/orders/:no, so a view field this misses fails that test. Null columns without an order. The
 * event keeps updated_at as the ISO text the views show (the order's is epoch ms since 0018).
 */
const ORDER_STATE = `o.status, ${isoOfMsSql('o.updated_at')}, o.refunded_fee, o.refund_reserved_fee,
  CASE WHEN o.status IN ('PAID','PAID_AFTER_CLOSE','REFUNDING','PARTIALLY_REFUNDED','REFUNDED') THEN NULL ELSE o.prepay_openid END`;

const GUARD_SQL: Record<OutboxGuard['kind'], string> = {
  ORDER_STATUS: 'EXISTS (SELECT 1 FROM orders WHERE out_trade_no = ?3 AND status = ?8 AND (?9 IS NULL OR transaction_id = ?9))',
  ANOMALY: 'EXISTS (SELECT 1 FROM anomalies WHERE kind = ?8 AND body_sha256 = unhex(?9))',
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
      return [g.outRefundNo, g.status, storedMs(g.updatedAt)]; // the refund's stamp, epoch ms since 0015
    case 'RECONCILIATION_DONE':
      return [g.billDate, g.generation];
  }
}

/**
 * The transactional outbox: ONE statement to append to the batch that makes the change. It inserts
 * the event (pending delivery) with the order's changing fields only if `event.when` holds, and at most once
 * per `dedupeKey`. It never fails on a repeat, so it cannot roll back the change it rides with; any
 * other failure rolls back the change too (no change without its event).
 */
export function outboxStatement(db: D1Database, event: OutboxEvent): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO events (id, type, out_trade_no, dedupe_key, data, order_status, order_updated_at, order_refunded_fee, order_reserved_fee,
         order_payer, created_at, window_started_at, next_attempt_at, queue_token)
       SELECT ?1, ?2, ?3, ?4, ${DATA_SQL[event.when.kind]}, ${ORDER_STATE}, ?6, ?6, ?6, ?7
       FROM (SELECT 1) LEFT JOIN orders AS o ON o.out_trade_no = ?3
       WHERE ${GUARD_SQL[event.when.kind]}
       ON CONFLICT (dedupe_key) DO NOTHING`,
    )
    .bind(event.id, event.type, event.outTradeNo, event.dedupeKey, JSON.stringify(event.data ?? {}), event.createdAt, event.token, ...guardParams(event.when));
}
