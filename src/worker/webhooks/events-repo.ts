// Webhook events in D1 as the events API reads them (GET /v1/events…, the console).
import type { OrderStatus } from '../../core/order-state';
import type { EventType, TradeType } from '../model';
import { tradeTypeSql } from '../orders';
import type { StoredTime } from '../platform/stored-time';

export type { EventType } from '../model';

export type EventStatus = 'pending' | 'delivered' | 'failed';

export interface EventRow extends OrderOfEvent {
  seq: number;
  id: string;
  type: EventType;
  out_trade_no: string | null;
  dedupe_key: string;
  data: string;
  /** 0011: the order as the event's change left it, where it may differ from now (null: no order; payload.ts). */
  order_status: OrderStatus | null;
  order_updated_at: string | null;
  order_refunded_fee: number | null;
  order_reserved_fee: number | null;
  /** The payer (prepay_openid) at an event before the order was paid; null once paid (it cannot change after). */
  order_payer: string | null;
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

/** A delivery attempt as the API and the console show it (attemptOf turns the stored row into it). */
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

/**
 * The order's fields that a change never rewrites once set (payload.ts builds the event's `data.order`
 * from them and the event's own `order_*` columns), read with the event: `o_…` columns, null without
 * the order (an anomaly about an unknown number, a reconciliation event).
 */
export interface OrderOfEvent {
  o_description: string | null;
  o_total_fee: number | null;
  o_fee_type: string | null;
  o_attach: string | null;
  o_metadata: string | null;
  o_openid: string | null;
  o_prepay_openid: string | null;
  o_transaction_id: string | null;
  o_cash_fee: number | null;
  o_bank_type: string | null;
  o_time_end: string | null;
  o_payment_no: string | null;
  o_trade_type: TradeType | null;
  /** The order's times as stored (epoch ms since 0018; ISO text in an event archived with an older order row). */
  o_paid_at: StoredTime | null;
  o_closed_at: StoredTime | null;
  o_expires_at: StoredTime | null;
  o_created_at: StoredTime | null;
}

/** The order's columns an event reads with it, each as `o_<column>` (OrderOfEvent). */
export const ORDER_OF_EVENT_COLUMNS = [
  'description',
  'total_fee',
  'fee_type',
  'attach',
  'metadata',
  'openid',
  'prepay_openid',
  'transaction_id',
  'cash_fee',
  'bank_type',
  'time_end',
  'payment_no',
  'trade_type',
  'paid_at',
  'closed_at',
  'expires_at',
  'created_at',
] as const;

/** `FROM events e` with its order's OrderOfEvent columns: every read of an event that is shown or sent selects this. */
export const EVENT_WITH_ORDER = `SELECT e.*, ${ORDER_OF_EVENT_COLUMNS.map((c) => `${c === 'trade_type' ? tradeTypeSql('o') : `o.${c}`} AS o_${c}`).join(', ')}
  FROM events AS e LEFT JOIN orders AS o ON o.out_trade_no = e.out_trade_no`;

export function getEvent(db: D1Database, id: string): Promise<EventRow | null> {
  return db.prepare(`${EVENT_WITH_ORDER} WHERE e.id = ?1`).bind(id).first<EventRow>();
}

/**
 * An event_attempts row as stored since 0011 (the event's integer `seq`, the time in epoch ms, from which
 * the signed webhook-timestamp follows), read with its event's id, in the shape AttemptRow shows.
 */
export const ATTEMPT_WITH_EVENT = 'SELECT a.*, e.id AS event_id FROM event_attempts AS a JOIN events AS e ON e.seq = a.event_seq';

export function attemptOf(r: Omit<AttemptRow, 'attempted_at' | 'webhook_timestamp'> & { attempted_at: number }): AttemptRow {
  const { event_seq: _, ...rest } = r as typeof r & { event_seq?: number };
  return { ...rest, attempted_at: new Date(r.attempted_at).toISOString(), webhook_timestamp: Math.floor(r.attempted_at / 1000) };
}

export async function listAttempts(db: D1Database, eventId: string): Promise<AttemptRow[]> {
  const res = await db.prepare(`${ATTEMPT_WITH_EVENT} WHERE e.id = ?1 ORDER BY a.id`).bind(eventId).all<Parameters<typeof attemptOf>[0]>();
  return res.results.map(attemptOf);
}

/** An order's events in D1, oldest first, with their delivery attempts (events_order, event_attempts_event). */
export async function eventsOfOrder(db: D1Database, outTradeNo: string, limit: number): Promise<{ events: EventRow[]; attempts: AttemptRow[] }> {
  const [events, attempts] = await db.batch([
    db.prepare(`${EVENT_WITH_ORDER} WHERE e.out_trade_no = ?1 ORDER BY e.seq LIMIT ?2`).bind(outTradeNo, limit),
    db.prepare(`${ATTEMPT_WITH_EVENT} WHERE e.out_trade_no = ?1 ORDER BY a.id`).bind(outTradeNo),
  ]);
  return {
    events: (events?.results ?? []) as EventRow[],
    attempts: ((attempts?.results ?? []) as Parameters<typeof attemptOf>[0][]).map(attemptOf),
  };
}

/** Oldest first, after the event `afterSeq`; up to limit + 1 rows (the extra one says there is more). */
export async function listEvents(db: D1Database, f: { type?: EventType; afterSeq?: number; limit: number }): Promise<EventRow[]> {
  const res = await db
    .prepare(`${EVENT_WITH_ORDER} WHERE (?1 IS NULL OR e.type = ?1) AND e.seq > ?2 ORDER BY e.seq LIMIT ?3`)
    .bind(f.type ?? null, f.afterSeq ?? 0, f.limit + 1)
    .all<EventRow>();
  return res.results;
}

export async function seqOf(db: D1Database, id: string): Promise<number | null> {
  return db.prepare('SELECT seq FROM events WHERE id = ?1').bind(id).first<number>('seq');
}
