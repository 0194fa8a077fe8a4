// The body of a webhook: { id, type, created_at, data: { order: <the GET /v1/orders view>, …extra } }.
import { checkoutUrl } from '../platform/checkout-link';
import type { Config } from '../platform/config';
import type { EventRow } from './events-repo';
import type { OrderRow } from '../orders';
import { orderView } from '../orders';
import { completedView } from '../reconciliation';

/** The order as the event's own transaction left it, in the merchant API's view; null without an order. */
async function orderOfEvent(config: Config, row: EventRow) {
  if (!row.order_snapshot) return null;
  const snapshot = JSON.parse(row.order_snapshot) as OrderRow;
  return orderView(snapshot, await checkoutUrl(config.publicBaseUrl, config.checkoutSecret, snapshot.out_trade_no));
}

/** The event as the API shows it and webhooks carry it. Deterministic: every attempt sends the same bytes. */
export async function eventBody(config: Config, row: EventRow) {
  const data = JSON.parse(row.data) as Record<string, unknown>;
  if (row.type === 'reconciliation.completed') {
    // About a day, not an order: `data.reconciliation` is the report's view (without items) as the run's final batch left it.
    const { reconciliation, ...rest } = data;
    return {
      id: row.id,
      type: row.type,
      created_at: row.created_at,
      data: { ...rest, reconciliation: completedView(reconciliation as Parameters<typeof completedView>[0]) },
    };
  }
  return {
    id: row.id,
    type: row.type,
    created_at: row.created_at,
    data: { order: await orderOfEvent(config, row), ...data },
  };
}
