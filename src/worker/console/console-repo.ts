// The merchant console's SQL (migrations/0007): daily totals, lists with keyset pagination (its orders
// search is orders-repo's listOrders, with `q`), an order's timeline rows, anomaly acknowledgement (sessions and login budgets: admin-auth-repo).
// Every list reads through an index (docs: bench/console.mjs prints the EXPLAIN QUERY PLAN).
import { ATTEMPT_WITH_EVENT, attemptOf, type AttemptRow, type EventRow, type EventStatus, type EventType } from '../webhooks';
import { ORDER_COLUMNS, attemptOfStored, orderOfStored, type OrderRow, type PaymentAttemptRow } from '../orders';
import { refundOfStored, type RefundRow } from '../refunds';
import { storedMs } from '../platform/stored-time';

export interface DailyRow {
  day: string;
  paid_count: number;
  paid_fee: number;
  refund_count: number;
  refund_fee: number;
  closed_count: number;
  cohort_prepaid: number;
  cohort_paid: number;
}

/** Days `from`..`to` (Beijing yyyy-mm-dd, inclusive) that have any figure, oldest first: at most a row a day. */
export async function dailyTotals(db: D1Database, from: string, to: string): Promise<DailyRow[]> {
  const res = await db.prepare('SELECT * FROM console_daily WHERE day >= ?1 AND day <= ?2 ORDER BY day').bind(from, to).all<DailyRow>();
  return res.results;
}

/** Open (unacknowledged) anomalies: counted on the partial index anomalies_open. */
export async function openAnomalyCount(db: D1Database): Promise<number> {
  return (await db.prepare('SELECT COUNT(*) AS n FROM anomalies WHERE acknowledged_at IS NULL').first<number>('n')) ?? 0;
}

export interface NotificationRow {
  id: number;
  kind: 'PAY' | 'REFUND';
  /** NULL once moved to R2 (evidence/): the page reads it back with withBodies. */
  raw_body: string | null;
  body_sha256: unknown;
  body_part: number | null;
  body_pos: number | null;
  body_len: number | null;
  verdict: string;
  received_at: string;
}

export interface AnomalyRow {
  id: number;
  kind: string;
  out_trade_no: string | null;
  detail: string;
  created_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  ack_note: string | null;
}

/** Everything an order's timeline shows, in one round trip. */
export async function orderTimelineRows(
  db: D1Database,
  outTradeNo: string,
): Promise<{
  order: OrderRow | null;
  notifications: NotificationRow[];
  refunds: RefundRow[];
  anomalies: AnomalyRow[];
  events: EventRow[];
  attempts: AttemptRow[];
  payments: PaymentAttemptRow[];
}> {
  const [order, notifications, refunds, anomalies, events, attempts, payments] = await db.batch([
    db.prepare(`SELECT ${ORDER_COLUMNS} FROM orders WHERE out_trade_no = ?1`).bind(outTradeNo),
    db
      .prepare(`SELECT id, kind, raw_body, body_sha256, body_part, body_pos, body_len, verdict, received_at FROM notifications
         WHERE out_trade_no = ?1 ORDER BY id LIMIT 200`)
      .bind(outTradeNo),
    db.prepare('SELECT * FROM refunds WHERE out_trade_no = ?1 ORDER BY created_at, out_refund_no LIMIT 200').bind(outTradeNo),
    db.prepare('SELECT * FROM anomalies WHERE out_trade_no = ?1 ORDER BY created_at, id LIMIT 200').bind(outTradeNo),
    // The order's webhook events (events_order) and their attempts (event_attempts_event per event).
    db.prepare('SELECT * FROM events WHERE out_trade_no = ?1 ORDER BY seq LIMIT 100').bind(outTradeNo),
    db.prepare(`${ATTEMPT_WITH_EVENT} WHERE e.out_trade_no = ?1 ORDER BY a.id LIMIT 500`).bind(outTradeNo),
    db.prepare('SELECT * FROM payment_attempts WHERE out_trade_no = ?1 ORDER BY created_at, payment_no LIMIT 50').bind(outTradeNo),
  ]);
  return {
    // An order's times are epoch ms since 0018; shown as the ISO instants they were.
    order: order?.results[0] ? orderOfStored(order.results[0] as Record<string, unknown>) : null,
    // received_at is epoch ms since 0011; shown as the ISO instant it was.
    notifications: ((notifications?.results ?? []) as (Omit<NotificationRow, 'received_at'> & { received_at: number })[]).map((n) => ({
      ...n,
      received_at: new Date(n.received_at).toISOString(),
    })),
    refunds: ((refunds?.results ?? []) as Record<string, unknown>[]).map(refundOfStored),
    anomalies: (anomalies?.results ?? []) as AnomalyRow[],
    events: (events?.results ?? []) as EventRow[],
    attempts: ((attempts?.results ?? []) as Parameters<typeof attemptOf>[0][]).map(attemptOf),
    payments: ((payments?.results ?? []) as Record<string, unknown>[]).map(attemptOfStored),
  };
}

// ---- webhooks (migrations/0005) ----

/**
 * Events newest first, keyset on seq (the rowid); by type on events_type, by order on
 * events_order. Up to limit + 1 rows. (GET /v1/events's listEvents is a feed, oldest first.)
 */
export async function recentEvents(db: D1Database, f: { type?: EventType; outTradeNo?: string; beforeSeq?: number; limit: number }): Promise<EventRow[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const bind = (v: string | number) => `?${params.push(v)}`;
  if (f.type) where.push(`type = ${bind(f.type)}`);
  if (f.outTradeNo) where.push(`out_trade_no = ${bind(f.outTradeNo)}`);
  if (f.beforeSeq !== undefined) where.push(`seq < ${bind(f.beforeSeq)}`);
  const res = await db
    .prepare(`SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${bind(f.limit + 1)}`)
    .bind(...params)
    .all<EventRow>();
  return res.results;
}

export type DeliveryHealth = Record<EventStatus, number>;

/**
 * Events created since `sinceIso`, by delivery state, without scanning the table: the first event of
 * the window is found by a binary search on seq (created_at grows with seq, both taken at the insert;
 * each probe is one rowid lookup, about log2(N) of them), then the window is one rowid range.
 * Its cost is the window's events, not the table's.
 */
export async function deliveryHealth(db: D1Database, sinceIso: string): Promise<DeliveryHealth> {
  const probe = '(SELECT created_at FROM events WHERE seq >= (lo + hi) / 2 ORDER BY seq LIMIT 1)';
  const res = await db
    .prepare(
      `WITH RECURSIVE b(lo, hi) AS (
         SELECT COALESCE((SELECT MIN(seq) FROM events), 1), COALESCE((SELECT MAX(seq) FROM events), 0) + 1
         UNION ALL
         SELECT CASE WHEN ${probe} < ?1 THEN (lo + hi) / 2 + 1 ELSE lo END, CASE WHEN ${probe} < ?1 THEN hi ELSE (lo + hi) / 2 END
         FROM b WHERE lo < hi
       )
       SELECT status, COUNT(*) AS n FROM events WHERE seq >= (SELECT hi FROM b WHERE lo >= hi LIMIT 1) GROUP BY status`,
    )
    .bind(sinceIso)
    .all<{ status: EventStatus; n: number }>();
  const health: DeliveryHealth = { pending: 0, delivered: 0, failed: 0 };
  for (const r of res.results) if (r.status in health) health[r.status] = r.n;
  return health;
}

/** Refunds newest first (refunds_created), keyset on (created_at, out_refund_no); up to limit + 1. */
export async function recentRefunds(db: D1Database, limit: number, after?: { createdAt: string; id: string }): Promise<RefundRow[]> {
  const res = after
    ? await db
        .prepare(
          `SELECT * FROM refunds WHERE created_at < ?1 OR (created_at = ?1 AND out_refund_no < ?2)
           ORDER BY created_at DESC, out_refund_no DESC LIMIT ?3`,
        )
        .bind(storedMs(after.createdAt), after.id, limit + 1)
        .all<Record<string, unknown>>()
    : await db
        .prepare('SELECT * FROM refunds ORDER BY created_at DESC, out_refund_no DESC LIMIT ?1')
        .bind(limit + 1)
        .all<Record<string, unknown>>();
  return res.results.map(refundOfStored);
}

/** Anomalies newest first (open ones only, or all), keyset on (created_at, id); up to limit + 1. */
export async function recentAnomalies(db: D1Database, open: boolean, limit: number, after?: { createdAt: string; id: number }): Promise<AnomalyRow[]> {
  const openSql = open ? 'acknowledged_at IS NULL' : '1';
  const res = after
    ? await db
        .prepare(
          `SELECT * FROM anomalies WHERE ${openSql} AND (created_at < ?1 OR (created_at = ?1 AND id < ?2))
           ORDER BY created_at DESC, id DESC LIMIT ?3`,
        )
        .bind(after.createdAt, after.id, limit + 1)
        .all<AnomalyRow>()
    : await db
        .prepare(`SELECT * FROM anomalies WHERE ${openSql} ORDER BY created_at DESC, id DESC LIMIT ?1`)
        .bind(limit + 1)
        .all<AnomalyRow>();
  return res.results;
}

/** Acknowledges an open anomaly once: the first operator's name, time and note are kept. */
export async function acknowledgeAnomaly(db: D1Database, id: number, by: string, note: string, now: string): Promise<boolean> {
  const res = await db
    .prepare('UPDATE anomalies SET acknowledged_at = ?2, acknowledged_by = ?3, ack_note = ?4 WHERE id = ?1 AND acknowledged_at IS NULL')
    .bind(id, now, by, note)
    .run();
  return res.meta.changes === 1;
}
