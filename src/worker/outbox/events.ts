// Webhook events: the types, ids and the builders of the event each change emits. The statement that
// writes one into its change's own batch is outbox-repo.ts; delivery and API SQL are in their repos.
import { nonceStr } from '../../core';
import type { OrderStatus } from '../../core/order-state';
import type { RefundState } from '../../core/refund-state';
import type { AnomalyRecord, EventRef, EventType, OutboxEvent } from '../model';

export type { EventRef, EventType, OutboxEvent, OutboxGuard } from '../model';

/** Every event type (model/events.ts documents each), in the order the API lists them. */
export const EVENT_TYPES = [
  'order.paid',
  'order.closed',
  'order.anomaly',
  'refund.succeeded',
  'refund.failed',
  'reconciliation.completed',
] as const satisfies readonly EventType[];
// Compile-time: a type added to the model but not listed here fails to compile.
const _everyTypeListed: [Exclude<EventType, (typeof EVENT_TYPES)[number]>] extends [never] ? true : false = true;
void _everyTypeListed;

function newEventId(): string {
  return `evt_${nonceStr(24)}`;
}

export function newQueueToken(): string {
  return nonceStr(16);
}

/** A new event (id and token fresh). */
function outboxEvent(e: Omit<OutboxEvent, 'id' | 'token'>): OutboxEvent {
  return { ...e, id: newEventId(), token: newQueueToken() };
}

/** order.paid: the one transition into PAID or PAID_AFTER_CLOSE of this order (I2), with this transaction. */
function orderPaidEvent(outTradeNo: string, status: 'PAID' | 'PAID_AFTER_CLOSE', transactionId: string, now: string): OutboxEvent {
  return outboxEvent({
    type: 'order.paid',
    outTradeNo,
    dedupeKey: `order.paid:${outTradeNo}`,
    createdAt: now,
    when: { kind: 'ORDER_STATUS', status, transactionId },
  });
}

/** order.closed: CLOSING→CLOSED, by the merchant, by the lifecycle cron on expiry, or found closed at WeChat. */
function orderClosedEvent(outTradeNo: string, now: string): OutboxEvent {
  return outboxEvent({
    type: 'order.closed',
    outTradeNo,
    dedupeKey: `order.closed:${outTradeNo}`,
    createdAt: now,
    when: { kind: 'ORDER_STATUS', status: 'CLOSED' },
  });
}

/** order.anomaly: one per anomaly row (the same unique key), whatever re-sent copies follow. */
export function orderAnomalyEvent(a: AnomalyRecord): OutboxEvent {
  return outboxEvent({
    type: 'order.anomaly',
    outTradeNo: a.outTradeNo,
    dedupeKey: `order.anomaly:${a.kind}:${a.bodySha256}`,
    createdAt: a.now,
    data: { anomaly: { kind: a.kind, detail: a.detail } },
    when: { kind: 'ANOMALY', anomalyKind: a.kind, bodySha256: a.bodySha256 },
  });
}

/**
 * refund.succeeded (→ SUCCESS) or refund.failed (→ FAILED, CHANGE, REFUNDCLOSE): the one final
 * transition of this refund (final states never move again), with the refund as the transition
 * leaves it (`refund`: the GET /v1/refunds view). PROCESSING emits nothing. Null: no event for `to`.
 */
export function refundEvent(outTradeNo: string, to: RefundState, refund: Record<string, unknown> & { out_refund_no: string }, now: string): OutboxEvent | null {
  const type = to === 'SUCCESS' ? 'refund.succeeded' : to === 'FAILED' || to === 'CHANGE' || to === 'REFUNDCLOSE' ? 'refund.failed' : null;
  if (!type) return null;
  return outboxEvent({
    type,
    outTradeNo,
    dedupeKey: `${type}:${refund.out_refund_no}`,
    createdAt: now,
    data: { refund },
    when: { kind: 'REFUND_STATUS', outRefundNo: refund.out_refund_no, status: to, updatedAt: now },
  });
}

/**
 * reconciliation.completed: the day's run of this generation reached its final status (BALANCED,
 * DISCREPANCIES, NO_BILL or ERROR). Appended to the batch that makes that move; once per generation
 * (a re-run is a new generation, with its own event).
 */
export function reconciliationCompletedEvent(billDate: string, generation: number, now: string): OutboxEvent {
  return outboxEvent({
    type: 'reconciliation.completed',
    outTradeNo: null,
    dedupeKey: `reconciliation.completed:${billDate}:${generation}`,
    createdAt: now,
    when: { kind: 'RECONCILIATION_DONE', billDate, generation },
  });
}

export function refOf(e: OutboxEvent): EventRef {
  return { id: e.id, token: e.token };
}

/** order.paid for a payment's transition, and order.anomaly for its reconciliation row (PAID_AFTER_CLOSE). */
export function paymentEvents(c: {
  outTradeNo: string;
  to: 'PAID' | 'PAID_AFTER_CLOSE';
  transactionId: string;
  now: string;
  anomaly?: AnomalyRecord;
}): OutboxEvent[] {
  const events = [orderPaidEvent(c.outTradeNo, c.to, c.transactionId, c.now)];
  if (c.anomaly) events.push(orderAnomalyEvent(c.anomaly));
  return events;
}

/** order.closed when a move enters CLOSED; nothing for the other close phases. */
export function closeEvents(outTradeNo: string, to: OrderStatus, now: string): OutboxEvent[] {
  return to === 'CLOSED' ? [orderClosedEvent(outTradeNo, now)] : [];
}
