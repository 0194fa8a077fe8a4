// T64: the full state × event table of docs/reliability.md §5 (with the documented choices in
// order-state.ts), every pair checked, plus the always-forbidden moves.
import { describe, expect, it } from 'vitest';
import {
  ORDER_EVENTS,
  ORDER_STATUSES,
  PAID_STATUSES,
  fromStatuses,
  isOrderStatus,
  transition,
  type OrderEvent,
  type OrderStatus,
} from '../../src/core/order-state';

/** The spec, written out pair by pair: `from event → to`. Every pair not listed must be refused. */
const ALLOWED: ReadonlyArray<[OrderStatus, OrderEvent, OrderStatus]> = [
  ['CREATED', 'PREPAY_ISSUED', 'NOTPAY'],
  ['NOTPAY', 'PREPAY_ISSUED', 'NOTPAY'], // a refreshed prepay
  ['CREATED', 'PREPAY_REFUSED', 'FAILED'],
  ['CREATED', 'PAYMENT', 'PAID'],
  ['NOTPAY', 'PAYMENT', 'PAID'],
  ['CLOSING', 'PAYMENT', 'PAID'],
  ['PAYERROR', 'PAYMENT', 'PAID'],
  ['CLOSED', 'PAYMENT', 'PAID_AFTER_CLOSE'],
  ['FAILED', 'PAYMENT', 'PAID_AFTER_CLOSE'],
  ['PAID', 'PAYMENT', 'PAID'], // duplicate
  ['PAID_AFTER_CLOSE', 'PAYMENT', 'PAID_AFTER_CLOSE'], // duplicate
  ['NOTPAY', 'QUERY_NOTPAY', 'NOTPAY'],
  ['CLOSING', 'QUERY_NOTPAY', 'CLOSING'],
  ['NOTPAY', 'QUERY_USERPAYING', 'NOTPAY'],
  ['CLOSING', 'QUERY_USERPAYING', 'CLOSING'],
  ['NOTPAY', 'QUERY_PAYERROR', 'PAYERROR'],
  ['PAYERROR', 'QUERY_PAYERROR', 'PAYERROR'],
  ['NOTPAY', 'QUERY_CLOSED', 'CLOSED'],
  ['CLOSING', 'QUERY_CLOSED', 'CLOSED'],
  ['PAYERROR', 'QUERY_CLOSED', 'CLOSED'],
  ['CLOSED', 'QUERY_CLOSED', 'CLOSED'],
  ['PAID', 'QUERY_REFUND', 'PAID'],
  ['PAID_AFTER_CLOSE', 'QUERY_REFUND', 'PAID_AFTER_CLOSE'],
  ['REFUNDING', 'QUERY_REFUND', 'REFUNDING'],
  ['PARTIALLY_REFUNDED', 'QUERY_REFUND', 'PARTIALLY_REFUNDED'],
  ['REFUNDED', 'QUERY_REFUND', 'REFUNDED'],
  ['CREATED', 'CLOSE_REQUESTED', 'CLOSING'],
  ['NOTPAY', 'CLOSE_REQUESTED', 'CLOSING'],
  ['PAYERROR', 'CLOSE_REQUESTED', 'CLOSING'],
  ['CLOSING', 'CLOSE_REQUESTED', 'CLOSING'],
  ['CLOSING', 'CLOSE_CONFIRMED', 'CLOSED'],
  ['CLOSED', 'CLOSE_CONFIRMED', 'CLOSED'],
  ['CLOSING', 'CLOSE_ABORTED', 'NOTPAY'],
  ['PAID', 'REFUND_ACCEPTED', 'REFUNDING'],
  ['PAID_AFTER_CLOSE', 'REFUND_ACCEPTED', 'REFUNDING'],
  ['PARTIALLY_REFUNDED', 'REFUND_ACCEPTED', 'REFUNDING'],
  ['REFUNDING', 'REFUND_SUCCEEDED_PARTIAL', 'PARTIALLY_REFUNDED'],
  ['REFUNDING', 'REFUND_SUCCEEDED_FULL', 'REFUNDED'],
  ['REFUNDING', 'REFUND_FAILED_NONE_REFUNDED', 'PAID'],
  ['REFUNDING', 'REFUND_FAILED_PARTLY_REFUNDED', 'PARTIALLY_REFUNDED'],
];

const allowed = new Map(ALLOWED.map(([from, event, to]) => [`${from}|${event}`, to]));

describe('order state machine (T64)', () => {
  const pairs = ORDER_STATUSES.flatMap((from) => ORDER_EVENTS.map((event) => [from, event] as const));

  it('covers 11 statuses × 16 events', () => {
    expect(ORDER_STATUSES).toHaveLength(11);
    expect(ORDER_EVENTS).toHaveLength(16);
    expect(pairs).toHaveLength(176);
  });

  it.each(pairs)('%s + %s matches the table', (from, event) => {
    const expected = allowed.get(`${from}|${event}`);
    const result = transition(from, event);
    if (expected !== undefined) {
      expect(result).toEqual({ ok: true, to: expected, changed: expected !== from });
    } else {
      const error = event === 'PAYMENT' && PAID_STATUSES.includes(from) ? 'LATE_PAYMENT' : 'ILLEGAL_TRANSITION';
      expect(result).toEqual({ ok: false, error, from, event });
    }
  });

  it('a payment for a (partly) refunded order is LATE_PAYMENT, never a credit [S23]', () => {
    for (const from of ['REFUNDING', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const) {
      expect(transition(from, 'PAYMENT')).toMatchObject({ ok: false, error: 'LATE_PAYMENT' });
    }
  });

  it('forbidden always: PAID→NOTPAY, REFUNDED→PAID, CLOSED→NOTPAY, anything→CREATED', () => {
    for (const [from, event] of pairs) {
      const r = transition(from, event);
      if (!r.ok) continue;
      expect(r.to).not.toBe('CREATED');
      if (from === 'PAID') expect(r.to).not.toBe('NOTPAY');
      if (from === 'REFUNDED') expect(r.to).not.toBe('PAID');
      if (from === 'CLOSED') expect(r.to).not.toBe('NOTPAY');
      // Once the money has arrived, no event leads back to an unpaid status.
      if (PAID_STATUSES.includes(from)) expect(PAID_STATUSES).toContain(r.to);
    }
  });

  it('fromStatuses gives exactly the sources of a real change: the WHERE status IN (…) of each CAS', () => {
    expect(fromStatuses('PAYMENT', 'PAID').sort()).toEqual(['CLOSING', 'CREATED', 'NOTPAY', 'PAYERROR']);
    expect(fromStatuses('PAYMENT', 'PAID_AFTER_CLOSE').sort()).toEqual(['CLOSED', 'FAILED']);
    expect(fromStatuses('CLOSE_REQUESTED', 'CLOSING').sort()).toEqual(['CREATED', 'NOTPAY', 'PAYERROR']);
    for (const [from, event, to] of ALLOWED) {
      if (from !== to) expect(fromStatuses(event, to)).toContain(from);
      else expect(fromStatuses(event, to)).not.toContain(from);
    }
  });

  it('isOrderStatus accepts only the closed set', () => {
    for (const s of ORDER_STATUSES) expect(isOrderStatus(s)).toBe(true);
    for (const s of ['paid', 'PAID ', '', 'UNKNOWN', null, 1, '__proto__']) expect(isOrderStatus(s)).toBe(false);
  });
});
