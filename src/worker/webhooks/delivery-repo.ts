// The delivery engine's SQL: claim an attempt, record it and its outcome, fail, re-arm, and the
// outbox sweep's reads (lifecycle/tick.ts).
import type { EventRef } from '../model';
import { EVENT_WITH_ORDER, type EventRow } from './events-repo';
import { newQueueToken } from '../outbox';

/**
 * A queue message may deliver only if it carries the event's current token and the event is
 * pending: stale copies (superseded by the cron's re-enqueue or a redelivery) are dropped. The
 * claim also pushes next_attempt_at forward by `leaseMs`, so the cron does not re-enqueue an event
 * whose attempt is under way.
 */
export async function claimAttempt(db: D1Database, id: string, token: string, leaseUntil: string): Promise<EventRow | null> {
  // One round trip: the claim, then the event with its order (a join RETURNING cannot do) only if it applied.
  const [, read] = await db.batch([
    db.prepare(`UPDATE events SET next_attempt_at = ?3 WHERE id = ?1 AND queue_token = ?2 AND status = 'pending'`).bind(id, token, leaseUntil),
    db.prepare(`${EVENT_WITH_ORDER} WHERE e.id = ?1 AND changes() = 1`).bind(id),
  ]);
  return (read?.results[0] as EventRow | undefined) ?? null;
}

export interface AttemptRecord {
  /** Epoch ms; the attempt's signed webhook-timestamp is its whole seconds. */
  attemptedAt: number;
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
        `INSERT INTO event_attempts (event_seq, attempted_at, trigger, http_status, error, latency_ms, response_excerpt)
         SELECT seq, ?2, ?3, ?4, ?5, ?6, ?7 FROM events WHERE id = ?1`,
      )
      .bind(id, a.attemptedAt, a.trigger, a.httpStatus, a.error, a.latencyMs, a.responseExcerpt),
    db
      .prepare(
        `UPDATE events SET attempts = attempts + 1, window_attempts = window_attempts + 1, status = ?3,
           next_attempt_at = COALESCE(?4, next_attempt_at),
           delivered_at = CASE WHEN ?3 = 'delivered' THEN ?5 ELSE delivered_at END,
           failed_at = CASE WHEN ?3 = 'failed' THEN ?5 ELSE failed_at END
         WHERE id = ?1 AND queue_token = ?2 AND status = 'pending'`,
      )
      .bind(id, token, next.status, next.status === 'pending' ? next.nextAttemptAt : null, new Date(a.attemptedAt).toISOString()),
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
