// POST /v1/orders/:out_trade_no/close: CLOSING through the gate, closeorder at WeChat, then CLOSED — or PAID if WeChat says so.
import { PAID_STATUSES } from '../../core/order-state';
import { getAttempt, markAttemptClosed, type PaymentAttemptRow, touchAttempt } from './attempts-repo';
import { getOrder, type OrderRow } from './orders-repo';
import { DomainError } from '../platform/errors';
import type { GatewayDeps } from '../platform/deps';
import { ChannelError, CLOSE_MIN_AGE_MS } from '../channel';
import { applyQueryResult } from './sync';

const PAID_LIKE: ReadonlySet<string | null> = new Set(PAID_STATUSES);

/**
 * WeChat refuses closeorder within 5 minutes of creation. We do not pretend: the answer is 409
 * CLOSE_TOO_EARLY with retry_after (seconds), and nothing changes. Returns the final status.
 */
export async function closeOrderFlow(deps: GatewayDeps, row: OrderRow): Promise<string | null> {
  const nowMs = deps.now();
  if (PAID_LIKE.has(row.status)) throw new DomainError('ORDER_PAID', 'the order is paid and cannot be closed');
  if (row.status === 'CLOSED') return 'CLOSED';
  if (row.status === 'FAILED' || row.status === 'PAYERROR') throw new DomainError('ORDER_NOT_PAYABLE', 'the order failed; there is nothing to close');
  const earliest = Date.parse(row.created_at) + CLOSE_MIN_AGE_MS;
  if (nowMs < earliest) {
    throw new DomainError('CLOSE_TOO_EARLY', 'WeChat Pay accepts a close only 5 minutes after the order was created', {
      retry_after: Math.ceil((earliest - nowMs) / 1000),
    });
  }
  const gate = deps.gate(row.out_trade_no);
  const begun = await gate.closeOrder({ outTradeNo: row.out_trade_no, phase: 'BEGIN' });
  if (PAID_LIKE.has(begun.status)) throw new DomainError('ORDER_PAID', 'the order is paid and cannot be closed');
  if (begun.status === 'CLOSED') return 'CLOSED';
  if (begun.status !== 'CLOSING') throw new DomainError('CLOSE_IN_PROGRESS', 'the order is changing; retry');
  // The order's own number, under the appid its attempt was placed with (a mini-program's or an app's).
  const own = await getAttempt(deps.db, row.out_trade_no);
  const order = { outTradeNo: row.out_trade_no, signType: row.sign_type, appId: own?.out_trade_no === row.out_trade_no ? (own.appid ?? undefined) : undefined };
  try {
    await deps.channel.closeOrder(order);
  } catch (e) {
    if (!(e instanceof ChannelError)) throw e;
    if (e.code === 'ORDERPAID') {
      // Paid before the close landed: never CLOSED. Confirm with a verified query; a notify would do the same.
      const q = await deps.channel.queryOrder(order).catch(() => null);
      if (q) await applyQueryResult(deps, { ...row, status: 'CLOSING' }, q, 'CLOSE_ORDERPAID');
      throw new DomainError('ORDER_PAID', 'the order was paid before it could be closed');
    }
    // ORDERCLOSED: already closed there; ORDERNOTEXIST: WeChat never issued it. Both are a successful close.
    if (e.code !== 'ORDERCLOSED' && e.code !== 'ORDERNOTEXIST') {
      await gate.closeOrder({ outTradeNo: row.out_trade_no, phase: 'ABORT' });
      throw new DomainError('UPSTREAM_UNAVAILABLE', 'WeChat Pay did not confirm the close; retry');
    }
  }
  const closed = await gate.closeOrder({ outTradeNo: row.out_trade_no, phase: 'CLOSED' });
  if (PAID_LIKE.has(closed.status)) throw new DomainError('ORDER_PAID', 'the order was paid before it could be closed');
  // The order's own number is closed at WeChat now; its other open attempts are closed by the lifecycle sweep.
  await markAttemptClosed(deps.db, row.out_trade_no, row.out_trade_no, new Date(deps.now()).toISOString());
  return closed.status;
}

export type AttemptCloseOutcome = 'CLOSED' | 'PAID' | 'RETRY';

/**
 * Closes one attempt at WeChat that its order no longer needs (paid by a sibling, closed, expired):
 * WeChat then takes no money for it. Paid meanwhile (ORDERPAID), the verified query goes through the
 * gate, which books it as the order's payment or as a duplicate to give back. RETRY: WeChat did not
 * confirm; the next sweep tries again.
 */
export async function closeAttempt(deps: GatewayDeps, a: PaymentAttemptRow): Promise<AttemptCloseOutcome> {
  const row = await getOrder(deps.db, a.out_trade_no);
  if (!row) return 'RETRY';
  const ref = { outTradeNo: a.payment_no, signType: row.sign_type, appId: a.appid ?? undefined };
  try {
    await deps.channel.closeOrder(ref);
  } catch (e) {
    if (!(e instanceof ChannelError)) throw e;
    if (e.code === 'ORDERPAID') {
      const q = await deps.channel.queryOrder(ref).catch(() => null);
      if (q) await applyQueryResult(deps, row, q, 'CLOSE_ORDERPAID', a.payment_no);
      // Booked as the order's payment or as a duplicate, the attempt is no longer PENDING; otherwise (an
      // anomaly, a failed query) it waits its turn again instead of holding up the sweep.
      await touchAttempt(deps.db, a.payment_no, new Date(deps.now()).toISOString());
      return 'PAID';
    }
    if (e.code !== 'ORDERCLOSED' && e.code !== 'ORDERNOTEXIST') {
      await touchAttempt(deps.db, a.payment_no, new Date(deps.now()).toISOString());
      return 'RETRY';
    }
  }
  await markAttemptClosed(deps.db, a.payment_no, a.out_trade_no, new Date(deps.now()).toISOString());
  return 'CLOSED';
}
