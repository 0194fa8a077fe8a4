// The merchant's events API: the outbox as a feed (oldest first, after a given event), one event with
// its attempts, and redelivery by hand (the same id, at once, with a fresh retry window).
import { rearm } from './delivery-repo';
import { type AttemptRow, getEvent, listAttempts, listEvents, seqOf, type EventRow, type EventType } from './events-repo';
import type { GatewayDeps } from '../platform/deps';
import { DomainError } from '../platform/errors';
import { keysetPage } from '../platform/paging';
import { eventBody } from './payload';
import { EVENT_ID } from './schemas';

type Deps = Pick<GatewayDeps, 'db' | 'config' | 'now' | 'publishEvents'>;

async function eventView(deps: Pick<Deps, 'config'>, row: EventRow) {
  return {
    ...(await eventBody(deps.config, row)),
    delivery: {
      status: row.status,
      attempts: row.attempts,
      next_attempt_at: row.status === 'pending' ? row.next_attempt_at : null,
      delivered_at: row.delivered_at,
      failed_at: row.failed_at,
    },
  };
}

export async function listEventsPage(deps: Deps, q: { type?: EventType; after?: string; limit: number }) {
  let afterSeq: number | undefined;
  if (q.after) {
    const seq = await seqOf(deps.db, q.after);
    if (seq === null) throw new DomainError('VALIDATION_FAILED', 'after: no such event');
    afterSeq = seq;
  }
  const page = keysetPage(await listEvents(deps.db, { type: q.type, afterSeq, limit: q.limit }), q.limit);
  return { data: await Promise.all(page.items.map((r) => eventView(deps, r))), has_more: page.hasMore };
}

async function existing(deps: Deps, id: string): Promise<EventRow> {
  const row = EVENT_ID.test(id) ? await getEvent(deps.db, id) : null;
  if (!row) throw new DomainError('EVENT_NOT_FOUND', 'no such event');
  return row;
}

export async function eventDetail(deps: Deps, id: string) {
  const row = await existing(deps, id);
  return eventDetailOf(deps, row, await listAttempts(deps.db, row.id));
}

/** An event with its delivery attempts, as GET /v1/events/:id shows it. */
export async function eventDetailOf(deps: Pick<Deps, 'config'>, row: EventRow, attempts: readonly AttemptRow[]) {
  return {
    ...(await eventView(deps, row)),
    attempts: attempts.map((a) => ({
      attempted_at: a.attempted_at,
      webhook_timestamp: a.webhook_timestamp,
      trigger: a.trigger,
      http_status: a.http_status,
      error: a.error,
      latency_ms: a.latency_ms,
      response_excerpt: a.response_excerpt,
    })),
  };
}

/**
 * Sends the event again now, with the same id, whatever its state (delivered, failed or pending):
 * a new queue message supersedes any pending one, and the 3-day retry window restarts.
 */
export async function redeliverEvent(deps: Deps, id: string) {
  await existing(deps, id);
  if (!deps.config.webhookUrl || !deps.publishEvents)
    throw new DomainError('WEBHOOKS_DISABLED', 'WEBHOOK_URL is not set: events are recorded but not delivered');
  const ref = await rearm(deps.db, id, new Date(deps.now()).toISOString(), true, false);
  if (!ref) throw new DomainError('EVENT_NOT_FOUND', 'no such event');
  await deps.publishEvents([ref], 'REDELIVER');
  return { id, delivery: { status: 'pending' as const } };
}
