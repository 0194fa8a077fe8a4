// The status changes this side makes itself (prepay issued / refused), asked of the core state machine.
import { transition, type OrderEvent, type OrderStatus } from '../../core/order-state';

export function nextStatus(from: OrderStatus, event: Extract<OrderEvent, 'PREPAY_ISSUED' | 'PREPAY_REFUSED'>): OrderStatus {
  const t = transition(from, event);
  if (!t.ok) throw new Error(`illegal transition ${from} on ${event}`);
  return t.to;
}
