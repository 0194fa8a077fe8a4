// The producer: puts committed events (d1/events-repo.ts, written by the outbox statement in the
// change's own batch) on the delivery queue.
import { getConfig } from '../platform/config';
import type { EventRef } from './events-repo';

/** The queue message: the event and the token that lets this message (and no stale copy) deliver it. */
export interface WebhookMessage {
  id: string;
  token: string;
  trigger?: 'QUEUE' | 'REDELIVER';
}

/** Puts committed events on the queue. Never throws: an event not enqueued is picked up by the cron. */
export type EventPublisher = (refs: readonly EventRef[], trigger?: WebhookMessage['trigger']) => Promise<void>;

interface QueueEnv {
  WEBHOOK_QUEUE?: Queue<WebhookMessage>;
}

/**
 * The producer for this environment: a no-op without WEBHOOK_URL (events stay in the outbox,
 * undelivered) or without the queue binding. Call it only after the batch that wrote the events
 * committed; a repeat whose event already existed sends a message the consumer drops as stale.
 */
export function eventPublisher(env: Env): EventPublisher {
  const parsed = getConfig(env);
  const queue = (env as unknown as QueueEnv).WEBHOOK_QUEUE;
  if (!parsed.ok || !parsed.config.webhookUrl || !queue) return async () => undefined;
  return async (refs, trigger = 'QUEUE') => {
    if (!refs.length) return;
    try {
      await queue.sendBatch(refs.map((r) => ({ body: { id: r.id, token: r.token, trigger }, contentType: 'json' as const })));
    } catch (e) {
      console.warn(
        JSON.stringify({ level: 'warn', event: 'WEBHOOK_ENQUEUE_FAILED', events: refs.map((r) => r.id), error: (e as Error | null)?.name ?? 'unknown' }),
      );
    }
  };
}
