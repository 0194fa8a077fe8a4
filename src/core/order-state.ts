/**
 * The order state machine (docs/reliability.md §5, I5): the one authoritative table of which event may
 * move an order from which status to which. Pure data plus a lookup; every D1 write that changes a
 * status is a compare-and-set built from `fromStatuses`, so the table and the SQL cannot drift.
 *
 * Deliberate choices where §5 leaves room:
 * - `QUERY_PAYERROR` moves NOTPAY→PAYERROR (the issue's NOTPAY → PAID | CLOSED | PAYERROR); a
 *   PAYERROR order stays payable, since a later verified payment means the money arrived.
 * - A payment for a CLOSED or FAILED order becomes PAID_AFTER_CLOSE: recorded, never dropped (I5).
 * - `CLOSE_ABORTED` (closeorder not confirmed) returns CLOSING→NOTPAY: the order is still payable
 *   at WeChat, so NOTPAY is the truth. Nothing ever returns to CREATED.
 * - Refunds (issue 10) live on refund rows; the order's status moves only when one succeeds. Several
 *   partial refunds may be in flight at once, so a reservation (`REFUND_ACCEPTED`) leaves the status
 *   as it is, and a released one (NOTENOUGH, REFUNDCLOSE) has nothing to undo. REFUNDING stays a
 *   valid status (0001's CHECK) that nothing enters.
 */

export const ORDER_STATUSES = [
  'CREATED',
  'NOTPAY',
  'CLOSING',
  'CLOSED',
  'PAID',
  'PAID_AFTER_CLOSE',
  'PAYERROR',
  'FAILED',
  'REFUNDING',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_EVENTS = [
  /** unifiedorder SUCCESS (a first or a refreshed prepay). */
  'PREPAY_ISSUED',
  /** unifiedorder definitive error (ORDERCLOSED, OUT_TRADE_NO_USED, configuration errors). */
  'PREPAY_REFUSED',
  /** A verified payment: pay-notify, orderquery SUCCESS, or closeorder ORDERPAID + confirming query. */
  'PAYMENT',
  'QUERY_NOTPAY',
  'QUERY_USERPAYING',
  'QUERY_PAYERROR',
  'QUERY_CLOSED',
  'QUERY_REFUND',
  /** The merchant asked to close (≥ 5 min after creation): closeorder is about to be sent. */
  'CLOSE_REQUESTED',
  /** closeorder SUCCESS or ORDERCLOSED. */
  'CLOSE_CONFIRMED',
  /** closeorder failed without a verdict: the order is still open at WeChat. */
  'CLOSE_ABORTED',
  /** A refund's amount is reserved: allowed only from the refundable statuses, which it leaves unchanged. */
  'REFUND_ACCEPTED',
  /** Refund result SUCCESS; PARTIAL or FULL by Σ refunded against the amount paid. */
  'REFUND_SUCCEEDED_PARTIAL',
  'REFUND_SUCCEEDED_FULL',
] as const;
export type OrderEvent = (typeof ORDER_EVENTS)[number];

type Table = { readonly [E in OrderEvent]: Readonly<Partial<Record<OrderStatus, OrderStatus>>> };

const PAYABLE_TO_PAID = { CREATED: 'PAID', NOTPAY: 'PAID', CLOSING: 'PAID', PAYERROR: 'PAID' } as const;

/**
 * The money arrived and is not all refunded. PAID_AFTER_CLOSE is refundable too (the gateway refunds it
 * itself unless the merchant holds late payments), and WeChat refunds it like any paid order.
 */
const REFUNDABLE_UNCHANGED = { PAID: 'PAID', PAID_AFTER_CLOSE: 'PAID_AFTER_CLOSE', PARTIALLY_REFUNDED: 'PARTIALLY_REFUNDED' } as const;

/** event → from → to. A pair not listed is refused; a pair mapping to itself is an accepted no-op. */
const TABLE: Table = {
  PREPAY_ISSUED: { CREATED: 'NOTPAY', NOTPAY: 'NOTPAY' },
  PREPAY_REFUSED: { CREATED: 'FAILED' },
  PAYMENT: {
    ...PAYABLE_TO_PAID,
    CLOSED: 'PAID_AFTER_CLOSE',
    FAILED: 'PAID_AFTER_CLOSE',
    PAID: 'PAID',
    PAID_AFTER_CLOSE: 'PAID_AFTER_CLOSE',
  },
  QUERY_NOTPAY: { NOTPAY: 'NOTPAY', CLOSING: 'CLOSING' },
  QUERY_USERPAYING: { NOTPAY: 'NOTPAY', CLOSING: 'CLOSING' },
  QUERY_PAYERROR: { NOTPAY: 'PAYERROR', PAYERROR: 'PAYERROR' },
  QUERY_CLOSED: { NOTPAY: 'CLOSED', CLOSING: 'CLOSED', PAYERROR: 'CLOSED', CLOSED: 'CLOSED' },
  QUERY_REFUND: { PAID: 'PAID', PAID_AFTER_CLOSE: 'PAID_AFTER_CLOSE', REFUNDING: 'REFUNDING', PARTIALLY_REFUNDED: 'PARTIALLY_REFUNDED', REFUNDED: 'REFUNDED' },
  CLOSE_REQUESTED: { CREATED: 'CLOSING', NOTPAY: 'CLOSING', PAYERROR: 'CLOSING', CLOSING: 'CLOSING' },
  CLOSE_CONFIRMED: { CLOSING: 'CLOSED', CLOSED: 'CLOSED' },
  CLOSE_ABORTED: { CLOSING: 'NOTPAY' },
  REFUND_ACCEPTED: { ...REFUNDABLE_UNCHANGED },
  REFUND_SUCCEEDED_PARTIAL: { PAID: 'PARTIALLY_REFUNDED', PAID_AFTER_CLOSE: 'PARTIALLY_REFUNDED', PARTIALLY_REFUNDED: 'PARTIALLY_REFUNDED' },
  REFUND_SUCCEEDED_FULL: { PAID: 'REFUNDED', PAID_AFTER_CLOSE: 'REFUNDED', PARTIALLY_REFUNDED: 'REFUNDED' },
};

/** Statuses in which the money has arrived: a payment for one of them is never applied twice. */
export const PAID_STATUSES: readonly OrderStatus[] = ['PAID', 'PAID_AFTER_CLOSE', 'REFUNDING', 'PARTIALLY_REFUNDED', 'REFUNDED'];

type TransitionFailure =
  /** A payment for an order whose money was (partly) refunded: record it, never re-credit ([S23]). */
  | 'LATE_PAYMENT'
  /** The event cannot happen from this status (e.g. PAID→NOTPAY, CLOSED→NOTPAY, REFUNDED→PAID). */
  | 'ILLEGAL_TRANSITION';

type TransitionResult = { ok: true; to: OrderStatus; changed: boolean } | { ok: false; error: TransitionFailure; from: OrderStatus; event: OrderEvent };

export function isOrderStatus(s: unknown): s is OrderStatus {
  return typeof s === 'string' && (ORDER_STATUSES as readonly string[]).includes(s);
}

/** The status after `event`, or why it cannot happen. Pure; the caller persists it with a CAS. */
export function transition(from: OrderStatus, event: OrderEvent): TransitionResult {
  const to = TABLE[event]?.[from];
  if (to !== undefined) return { ok: true, to, changed: to !== from };
  const error: TransitionFailure = event === 'PAYMENT' && PAID_STATUSES.includes(from) ? 'LATE_PAYMENT' : 'ILLEGAL_TRANSITION';
  return { ok: false, error, from, event };
}

/** Every status from which `event` leads to `to` with a real change: the `WHERE status IN (…)` of its CAS. */
export function fromStatuses(event: OrderEvent, to: OrderStatus): OrderStatus[] {
  const row = TABLE[event];
  return ORDER_STATUSES.filter((s) => row[s] === to && s !== to);
}
