// The merchant API's entry points on orders, by out_trade_no: a page of the list, one order (asked of
// WeChat first when due), a close and the jsapi parameters, each answering with the order as it is after.
import { OUT_TRADE_NO } from '../../core';
import type { GatewayDeps } from '../platform/deps';
import { DomainError } from '../platform/errors';
import { cursorKey, keysetPage, type KeysetPage } from '../platform/paging';
import { closeOrderFlow } from './close';
import { archivedOrder } from './archived';
import { getOrder, listOrders, type OrderRow, type OrderStatus } from './orders-repo';
import { jsapiParams, listPayments, payAttempt, type AttemptRequest, type PayRequester } from './prepay';
import { type SyncOutcome, syncDue, syncOrder } from './sync';

interface OrderListQuery {
  status?: OrderStatus;
  /** ISO-8601 bounds of created_at: [from, to). */
  createdFrom?: string;
  createdTo?: string;
  cursor?: string;
  limit: number;
}

/** The (created_at, out_trade_no) key a cursor of the list carries. */
function orderKey([createdAt, outTradeNo]: readonly unknown[]): { createdAt: string; outTradeNo: string } | null {
  if (typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) && typeof outTradeNo === 'string' && OUT_TRADE_NO.test(outTradeNo)) {
    return { createdAt, outTradeNo };
  }
  return null;
}

/** Newest first, after the cursor's order. */
export async function listOrdersPage(deps: Pick<GatewayDeps, 'db'>, q: OrderListQuery): Promise<KeysetPage<OrderRow>> {
  const rows = await listOrders(deps.db, {
    status: q.status,
    createdFrom: q.createdFrom && new Date(q.createdFrom).toISOString(),
    createdTo: q.createdTo && new Date(q.createdTo).toISOString(),
    after: cursorKey(q.cursor, orderKey),
    limit: q.limit,
  });
  return keysetPage(rows, q.limit, (last) => [last.created_at, last.out_trade_no]);
}

async function existingOrder(deps: Pick<GatewayDeps, 'db'>, outTradeNo: string): Promise<OrderRow> {
  const row = await getOrder(deps.db, outTradeNo);
  if (!row) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
  return row;
}

/**
 * One order; an unpaid one silent for a while (or `sync`, rate-limited) is checked with WeChat first,
 * unless `readOnly` (HEAD has no side effects, §8.4: only a GET may spend an orderquery).
 */
export async function readOrder(
  deps: GatewayDeps,
  outTradeNo: string,
  opts: { sync: boolean; readOnly: boolean },
): Promise<{ row: OrderRow; outcome?: SyncOutcome; archived?: true }> {
  const hot = await getOrder(deps.db, outTradeNo);
  if (!hot) {
    // Past the hot window: the archived copy, as it was when it left D1 (final, so nothing to sync).
    const archived = await archivedOrder(deps, outTradeNo);
    if (!archived) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
    return { row: archived.row, archived: true };
  }
  const row = hot;
  if (opts.readOnly || !syncDue(row, deps.now(), opts.sync)) return { row };
  const outcome = await syncOrder(deps, row, opts.sync);
  return { row: (await getOrder(deps.db, outTradeNo)) ?? row, outcome };
}

/** Closes an unpaid order (closeorder at WeChat); the order as the close left it. */
export async function closeOrderByNo(deps: GatewayDeps, outTradeNo: string): Promise<OrderRow> {
  const row = await existingOrder(deps, outTradeNo);
  await closeOrderFlow(deps, row);
  return (await getOrder(deps.db, outTradeNo)) ?? row;
}

/** getBrandWCPayRequest parameters for the buyer. */
export async function payParams(deps: GatewayDeps, outTradeNo: string, requester: PayRequester) {
  return jsapiParams(deps, requester, await existingOrder(deps, outTradeNo));
}

/** A payment attempt of the order (a new one, or its unexpired twin again). */
export async function createPayment(deps: GatewayDeps, outTradeNo: string, requester: PayRequester, req: AttemptRequest) {
  return payAttempt(deps, requester, await existingOrder(deps, outTradeNo), req);
}

/** The order's payment attempts, newest first. */
export async function orderPayments(deps: GatewayDeps, outTradeNo: string) {
  const hot = await getOrder(deps.db, outTradeNo);
  // An order whose history moved (HISTORY_DAYS) is final: its attempts as they moved, nothing to sync.
  if (hot && hot.history_part == null) return listPayments(deps, hot);
  const archived = await archivedOrder(deps, outTradeNo);
  if (!archived) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
  return archived.attempts.map((attempt) => ({ attempt, pay: null }));
}

/**
 * A mini-program buyer's openid from their wx.login() code (jscode2session, server side: the
 * session_key never leaves the gateway), for a MINIPROGRAM payment attempt.
 */
export async function miniProgramOpenid(deps: GatewayDeps, jsCode: string): Promise<string> {
  if (!deps.channel.appIdFor('MINIPROGRAM') || !deps.buyers) {
    throw new DomainError('TRADE_TYPE_UNAVAILABLE', 'MINIPROGRAM payments are not configured for this merchant');
  }
  const answer = await deps.buyers.miniProgramOpenid(jsCode);
  if (answer.ok) return answer.openid;
  if (answer.reason === 'CODE_REJECTED') throw new DomainError('JS_CODE_INVALID', 'WeChat refused the code: call wx.login() again');
  if (answer.reason === 'REFUSED') throw new DomainError('UPSTREAM_REJECTED', 'WeChat refused the login');
  throw new DomainError('UPSTREAM_UNAVAILABLE', 'WeChat is unavailable; retry shortly');
}
