// What the merchant API returns for a refund: never request_hash or attempt bookkeeping.
import type { RefundRow } from './refunds-repo';

export function refundView(r: RefundRow) {
  return {
    out_refund_no: r.out_refund_no,
    out_trade_no: r.out_trade_no,
    payment_no: r.payment_no ?? r.out_trade_no,
    automatic: r.automatic === 1,
    refund_id: r.refund_id,
    refund_fee: r.refund_fee,
    total_fee: r.total_fee,
    reason: r.reason,
    status: r.status,
    failure_reason: r.failure_reason,
    created_at: r.created_at,
    succeeded_at: r.succeeded_at,
  };
}
