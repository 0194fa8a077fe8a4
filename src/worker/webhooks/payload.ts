// The body of a webhook: { id, type, created_at, data: { order: <the GET /v1/orders view>, …extra } }.
//
// `data.order` is the order as the event's change left it. The event row stores only what a later change
// may rewrite (status, updated_at, the refund sums; the payer before payment: order_* columns, 0011);
// every other field is one a change sets at most once and never rewrites (the description and amount at
// create; the payment facts with the one payment; closed_at with the close), so it is read from the
// order now (its times epoch ms since 0018, shown as ISO text) and shown if the order already had it at
// the event, which its status then says. The same row gives the same bytes on every attempt (Standard
// Webhooks: one id, one body).
import type { OrderStatus } from '../../core/order-state';
import { checkoutUrl } from '../platform/checkout-link';
import type { Config } from '../platform/config';
import { storedIso } from '../platform/stored-time';
import type { EventRow } from './events-repo';
import type { OrderRow } from '../orders';
import { orderView } from '../orders';
import { completedView } from '../reconciliation';

/** The statuses an order has only once paid: its payment facts (and a close before it) are set and final. */
const PAID: ReadonlySet<OrderStatus> = new Set(['PAID', 'PAID_AFTER_CLOSE', 'REFUNDING', 'PARTIALLY_REFUNDED', 'REFUNDED']);

/** The orders row (the view's fields) as the event's change left it; null without an order. */
export function orderAtEvent(row: EventRow): OrderRow | null {
  const status = row.order_status;
  if (!status || row.o_created_at === null || row.out_trade_no === null) return null;
  const paid = PAID.has(status);
  const ifPaid = <T>(v: T): T | null => (paid ? v : null);
  return {
    out_trade_no: row.out_trade_no,
    status,
    description: row.o_description!,
    total_fee: row.o_total_fee!,
    fee_type: row.o_fee_type!,
    attach: row.o_attach,
    metadata: row.o_metadata,
    openid: row.o_openid,
    prepay_openid: paid ? row.o_prepay_openid : row.order_payer,
    transaction_id: ifPaid(row.o_transaction_id),
    cash_fee: ifPaid(row.o_cash_fee),
    bank_type: ifPaid(row.o_bank_type),
    time_end: ifPaid(row.o_time_end),
    payment_no: ifPaid(row.o_payment_no),
    trade_type: ifPaid(row.o_trade_type),
    paid_at: ifPaid(storedIso(row.o_paid_at)),
    closed_at: paid || status === 'CLOSED' ? storedIso(row.o_closed_at) : null,
    refunded_fee: row.order_refunded_fee ?? 0,
    refund_reserved_fee: row.order_reserved_fee ?? 0,
    expires_at: storedIso(row.o_expires_at!),
    created_at: storedIso(row.o_created_at),
    updated_at: row.order_updated_at!,
  } as OrderRow;
}

/** The order as the event's own transaction left it, in the merchant API's view; null without an order. */
async function orderOfEvent(config: Config, row: EventRow) {
  const order = orderAtEvent(row);
  if (!order) return null;
  return orderView(order, await checkoutUrl(config.publicBaseUrl, config.checkoutSecret, order.out_trade_no));
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
