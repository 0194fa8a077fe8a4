// GET /v1/refunds/:out_refund_no (with the quiet-refund sync) and GET /v1/orders/:out_trade_no/refunds.
import type { GatewayDeps } from '../platform/deps';
import { orderOfArchivedRefund } from '../archive';
import { archivedOrder, getOrder } from '../orders';
import { getRefund, listRefunds, refundOfStored, type RefundRow } from './refunds-repo';
import { DomainError } from '../platform/errors';
import { refundSyncDue, syncRefund } from './sync';

/**
 * A refund; when it is SUBMITTING or PROCESSING and quiet for 60 s, a `sync` read asks WeChat first. A
 * refund of an order past the hot window is read from the order's member (final: nothing to sync).
 */
export async function getRefundView(deps: GatewayDeps, outRefundNo: string, sync: boolean): Promise<RefundRow> {
  const row = (await getRefund(deps.db, outRefundNo)) ?? (await archivedRefund(deps, outRefundNo));
  if (!row) throw new DomainError('REFUND_NOT_FOUND', 'no such refund');
  if (!sync || !refundSyncDue(row, deps.now())) return row;
  const order = await getOrder(deps.db, row.out_trade_no);
  return order ? syncRefund(deps, row, order.sign_type) : row;
}

export async function listOrderRefunds(deps: Pick<GatewayDeps, 'db' | 'archive'>, outTradeNo: string): Promise<RefundRow[]> {
  if (await getOrder(deps.db, outTradeNo)) return listRefunds(deps.db, outTradeNo);
  // Past the hot window: the refunds archived with the order.
  const archived = await archivedOrder(deps, outTradeNo);
  if (!archived) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
  return (archived.rows.refunds ?? []).map(refundOfStored);
}

async function archivedRefund(deps: Pick<GatewayDeps, 'db' | 'archive'>, outRefundNo: string): Promise<RefundRow | null> {
  const outTradeNo = await orderOfArchivedRefund(deps.db, outRefundNo);
  const archived = outTradeNo === null ? null : await archivedOrder(deps, outTradeNo);
  const row = archived?.rows.refunds?.find((r) => r.out_refund_no === outRefundNo);
  return row ? refundOfStored(row) : null;
}
