// What the buyer may see of an order: the internal status folded into the few states a pay page needs.
import type { OrderRow, OrderStatus } from '../orders';
import type { OrderPageState } from './views';

/** The status endpoint's answer. PAID means a verified notify or orderquery said so; nothing else does. */
type BuyerStatus = 'NOTPAY' | 'PAID' | 'CLOSED' | 'FAILED';

const BUYER_STATUS: Record<OrderStatus, BuyerStatus> = {
  CREATED: 'NOTPAY',
  NOTPAY: 'NOTPAY',
  // The money arrived; a refund afterwards does not make the payment untrue.
  PAID: 'PAID',
  PAID_AFTER_CLOSE: 'PAID',
  REFUNDING: 'PAID',
  PARTIALLY_REFUNDED: 'PAID',
  REFUNDED: 'PAID',
  CLOSING: 'CLOSED',
  CLOSED: 'CLOSED',
  PAYERROR: 'FAILED',
  FAILED: 'FAILED',
};

export function buyerStatus(status: OrderStatus): BuyerStatus {
  return BUYER_STATUS[status];
}

/** null: the order can be paid now, render the pay page. Otherwise the terminal page to show. */
export function terminalPageState(row: OrderRow, nowMs: number): OrderPageState | null {
  if (row.status === 'REFUNDED') return 'REFUNDED';
  switch (buyerStatus(row.status)) {
    case 'PAID':
      return 'PAID';
    case 'CLOSED':
      return 'CLOSED';
    case 'FAILED':
      return 'UNPAYABLE';
    case 'NOTPAY':
      return Date.parse(row.expires_at) <= nowMs ? 'EXPIRED' : null;
  }
}
