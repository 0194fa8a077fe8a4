// The status changes this side makes itself (prepay issued / refused), asked of the order state machine.
import type { OrderStatus } from '../d1/orders-repo';

export type PrepayEvent = 'UNIFIEDORDER_SUCCESS' | 'UNIFIEDORDER_FAILED';

export function nextStatus(from: OrderStatus, event: PrepayEvent): OrderStatus {
  if (event === 'UNIFIEDORDER_SUCCESS' && (from === 'CREATED' || from === 'NOTPAY')) return 'NOTPAY';
  if (event === 'UNIFIEDORDER_FAILED' && from === 'CREATED') return 'FAILED';
  throw new Error(`illegal transition ${from} on ${event}`);
}
