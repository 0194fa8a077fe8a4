// The webhook queue consumer (wrangler.toml [[queues.consumers]]): each message is one attempt of
// one event; a failed attempt is retried with the delay of the schedule; the dead-letter queue's
// messages mark their event failed (it can still be redelivered by hand).
import { getConfig } from '../platform/config';
import { errorName, log } from '../platform/log';
import { markFailed } from '../webhooks';
import { deliverEvent } from '../webhooks';
import type { WebhookMessage } from '../outbox';
import { webhookDeps } from './wiring';

const WEBHOOK_DLQ = 'wxpay-edge-webhooks-dlq';
/** A message whose attempt could not even be recorded (D1 trouble) is tried again this much later. */
const INFRA_RETRY_SECONDS = 30;

function isMessage(body: unknown): body is WebhookMessage {
  const m = body as WebhookMessage | null;
  return typeof m?.id === 'string' && typeof m.token === 'string';
}

export async function handleQueue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  if (batch.queue === WEBHOOK_DLQ) {
    const now = new Date().toISOString();
    for (const m of batch.messages) {
      if (isMessage(m.body)) await markFailed(env.DB, m.body.id, m.body.token, now);
      m.ack();
    }
    return;
  }
  const parsed = getConfig(env);
  if (!parsed.ok) {
    batch.retryAll({ delaySeconds: 300 }); // fail closed, keep the messages
    return;
  }
  const deps = webhookDeps(env, ctx, parsed.config);
  await Promise.all(
    batch.messages.map(async (m) => {
      if (!isMessage(m.body)) return m.ack();
      try {
        const verdict = await deliverEvent(deps, m.body);
        if (verdict.done) m.ack();
        else m.retry({ delaySeconds: verdict.delaySeconds });
      } catch (e) {
        log.warn('WEBHOOK_CONSUMER_ERROR', { id: m.body.id, error: errorName(e) });
        m.retry({ delaySeconds: INFRA_RETRY_SECONDS });
      }
    }),
  );
}
