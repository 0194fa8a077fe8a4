// The producer: puts committed events (written by the outbox statement in the change's own batch,
// outbox-repo.ts) on the delivery queue.
import type { EventPublisher } from '../model';
import type { Logger } from '../platform/log';
import { errorName } from '../platform/log';

export type { EventPublisher } from '../model';

/** The queue message: the event and the token that lets this message (and no stale copy) deliver it. */
export interface WebhookMessage {
  id: string;
  token: string;
  trigger?: 'QUEUE' | 'REDELIVER';
}

/** Never throws: an event not enqueued is picked up by the cron. */
const NO_PUBLISHER: EventPublisher = async () => undefined;

/**
 * The producer over this queue: a no-op without a WEBHOOK_URL (events stay in the outbox,
 * undelivered) or without the queue. Call it only after the batch that wrote the events committed; a
 * repeat whose event already existed sends a message the consumer drops as stale.
 */
export function eventPublisher(queue: Queue<WebhookMessage> | undefined, webhookUrl: string | null | undefined, log: Logger): EventPublisher {
  if (!webhookUrl || !queue) return NO_PUBLISHER;
  return async (refs, trigger = 'QUEUE') => {
    if (!refs.length) return;
    try {
      await queue.sendBatch(refs.map((r) => ({ body: { id: r.id, token: r.token, trigger }, contentType: 'json' as const })));
    } catch (e) {
      log.warn('WEBHOOK_ENQUEUE_FAILED', { events: refs.map((r) => r.id), error: errorName(e) });
    }
  };
}
