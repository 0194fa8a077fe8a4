// The one call point of the `reconciliation.completed` event.
import type { GatewayDeps } from '../deps';
import type { RunStatus } from '../d1/reconciliation-repo';

/**
 * A run finished (BALANCED, DISCREPANCIES, NO_BILL or ERROR).
 * WEBHOOK(reconciliation.completed): when src/worker/webhooks lands, enqueue the event here with
 * `{ bill_date, status, generation }` (the merchant fetches the report with GET /v1/reconciliations/:bill_date).
 */
export async function reconciliationCompleted(_deps: GatewayDeps, billDate: string, status: RunStatus, generation: number): Promise<void> {
  console.log(JSON.stringify({ level: 'info', event: 'RECONCILIATION_COMPLETED', billDate, status, generation }));
}
