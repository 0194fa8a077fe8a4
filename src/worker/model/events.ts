// Webhook events as the rest of the gateway sees them: what a state change emits (outbox/events.ts
// builds them; outbox/outbox-repo.ts writes them in the change's own batch).
import type { OrderStatus } from '../../core/order-state';
import type { RefundState } from '../../core/refund-state';

/**
 * Every event type (outbox/events.ts `EVENT_TYPES` lists them in order). Emitted: order.paid,
 * order.closed, order.anomaly, refund.succeeded (→ SUCCESS), refund.failed (→ FAILED, CHANGE or
 * REFUNDCLOSE; data `{ order, refund }`) and reconciliation.completed (a T+1 run's move to a final
 * status, once per run generation; data `{ reconciliation }`, no order).
 */
export type EventType = 'order.paid' | 'order.closed' | 'order.anomaly' | 'refund.succeeded' | 'refund.failed' | 'reconciliation.completed';

/**
 * The condition under which the event row is written, checked by the statement itself when the
 * batch reaches it: "the change this event reports is there". With the batch's atomicity this gives
 * no event without its change; with `dedupeKey`, a change that happened before (a lost CAS, a
 * repeated anomaly) adds no second event. REFUND_STATUS: the refund row is in `status`, written at
 * `updatedAt` (the transition's own stamp), so only the batch that made the transition emits it.
 */
export type OutboxGuard =
  | { kind: 'ORDER_STATUS'; status: OrderStatus; transactionId?: string }
  | { kind: 'ANOMALY'; anomalyKind: string; bodySha256: string }
  | { kind: 'REFUND_STATUS'; outRefundNo: string; status: RefundState; updatedAt: string }
  /** The day's run of this generation is finished (any final status: the batch's own UPDATE decides which). */
  | { kind: 'RECONCILIATION_DONE'; billDate: string; generation: number };

export interface OutboxEvent {
  /** `evt_…`: the webhook-id, the same on every attempt. */
  id: string;
  type: EventType;
  /** The order whose view goes into `data.order` (snapshotted by the same transaction); null: no order. */
  outTradeNo: string | null;
  /** At most one event per key, ever (e.g. `order.paid:<out_trade_no>`). */
  dedupeKey: string;
  /** UTC ISO-8601: `created_at` of the event. */
  createdAt: string;
  /** Fields of `data` beside `order` (`anomaly`, `refund`). Never a key, a signature or a full openid. */
  data?: Record<string, unknown>;
  when: OutboxGuard;
  /** The first queue message's fence (see claimAttempt). */
  token: string;
}

/** What a committed event needs to be put on the queue. */
export interface EventRef {
  id: string;
  token: string;
}

/** Puts committed events on the queue. Never throws: an event not enqueued is picked up by the cron. */
export type EventPublisher = (refs: readonly EventRef[], trigger?: 'QUEUE' | 'REDELIVER') => Promise<void>;
