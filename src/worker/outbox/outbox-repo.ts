// The transactional outbox: the one statement a state change appends to its own D1 batch to record
// the webhook event it emits (events.ts builds the event).
import type { OutboxEvent, OutboxGuard } from '../model';

/**
 * The orders row as the event's own transaction leaves it. Every column `orderView` (orders/view.ts)
 * reads must be listed here: test/worker/webhooks-events.test.ts compares an event's `data.order`
 * with GET /v1/orders/:no, so a view field missing here fails that test.
 */
const ORDER_SNAPSHOT = `(SELECT json_object(
    'out_trade_no', out_trade_no, 'status', status, 'description', description, 'total_fee', total_fee,
    'fee_type', fee_type, 'attach', attach, 'metadata', metadata, 'openid', openid, 'prepay_openid', prepay_openid,
    'transaction_id', transaction_id, 'cash_fee', cash_fee, 'bank_type', bank_type, 'time_end', time_end,
    'payment_no', payment_no, 'trade_type', (SELECT trade_type FROM payment_attempts AS a WHERE a.payment_no = orders.payment_no),
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
