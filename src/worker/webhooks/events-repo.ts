// Webhook events in D1 as the events API reads them (GET /v1/events…, the console).
import type { EventType } from '../model';

export type { EventType } from '../model';

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
