// The one source of the `reconciliation.completed` event: built here, written by the repository in
// the same D1 batch as the run's move to its final status, enqueued after that batch committed.
import type { GatewayDeps } from '../platform/deps';
import type { OutboxEvent } from '../model';
import { log } from '../platform/log';
import { reconciliationCompletedEvent, refOf } from '../outbox';
import type { RunStatus } from './reconciliation-repo';

/** The event for the move of this generation to a final status (BALANCED, DISCREPANCIES, NO_BILL or ERROR). */
export function completedEvent(deps: GatewayDeps, billDate: string, generation: number): OutboxEvent {
  return reconciliationCompletedEvent(billDate, generation, new Date(deps.now()).toISOString());
}

/**
 * A run finished: its event committed with the move; put it on the queue (a lost publish is relayed by
 * the lifecycle cron's outbox sweep). The merchant reads the items with GET /v1/reconciliations/:bill_date.
 */
export async function reconciliationCompleted(deps: GatewayDeps, billDate: string, status: RunStatus, generation: number, event: OutboxEvent): Promise<void> {
  (deps.log ?? log).info('RECONCILIATION_COMPLETED', { billDate, status, generation, eventId: event.id });
  await publish(deps, [event]);
}

/** Enqueues committed events (never throws: the publisher swallows, and the cron relays what is left). */
export async function publish(deps: GatewayDeps, events: readonly OutboxEvent[]): Promise<void> {
  if (events.length > 0 && deps.publishEvents) await deps.publishEvents(events.map(refOf));
}
