/**
 * The checks an authentic refund notify passes before it moves a refund, ONE definition for API v2 and
 * v3 (docs/wechatpay-v2.md §13.4, docs/wechatpay-v3.md §8.3, docs/reliability.md §3.2). The decrypted
 * content is only a claim until it matches our refund row: our merchant (and, where the version
 * carries one, one of our appids: v2's outer appid; v3 refund notifies carry none), a known attempt of
 * a known order, out_refund_no and out_trade_no naming the same refund, refund and total amounts equal
 * to ours, a final status. A matching notice moves the refund forward through the order's OrderGate
 * (SUBMITTING/PROCESSING → SUCCESS | CHANGE | REFUNDCLOSE), and may arrive before the refund call has
 * answered. Anything authentic that cannot be applied is an anomaly, acknowledged.
 */
import { hotOrderOfPaymentNo } from './archived';
import { OUT_REFUND_NO, OUT_TRADE_NO, parseFen } from '../../core';
import type { RefundNotice } from '../channel';
import type { AnomalyKind, NotifyEvidence, RefundFacts } from '../model';
import { getRefund, refundTimeToIso } from '../refunds';
import { anomalyReply, type NotifyDeps, type NotifyVerdict } from './inbound';

const FINAL: ReadonlySet<string> = new Set(['SUCCESS', 'CHANGE', 'REFUNDCLOSE']);
const REFUND_ID = /^[0-9A-Za-z]{1,64}$/;

/** Every appid the merchant pays under: the 公众号's, and the mini-program's and app's when configured. */
function ourAppIds(config: NotifyDeps['config']): ReadonlySet<string> {
  return new Set([config.appId, config.miniProgram?.appId, config.appAppId].filter((a): a is string => !!a));
}

function fen(v: string | undefined): number | null {
  try {
    return parseFen(v ?? '');
  } catch {
    return null;
  }
}

export async function settleRefundNotice(deps: NotifyDeps, notice: RefundNotice, evidence: NotifyEvidence): Promise<NotifyVerdict> {
  const { config } = deps;
  // The number WeChat knows: the refunded attempt's (for orders made before attempts, the order's own).
  const paymentNo = notice.outTradeNo !== undefined && OUT_TRADE_NO.test(notice.outTradeNo) ? notice.outTradeNo : null;
  let outTradeNo = paymentNo;
  const anomaly = (kind: AnomalyKind, detail: Record<string, unknown>) => anomalyReply(deps, evidence, 'REFUND', kind, outTradeNo, detail);
  // v2's outer appid is the refunded attempt's: one of the merchant's appids.
  if (notice.appId !== null && !ourAppIds(config).has(notice.appId ?? '')) return anomaly('APPID_MISMATCH', { appid: notice.appId ?? null });
  if (notice.mchId !== config.mchId) return anomaly('MCH_MISMATCH', { mch_id: notice.mchId ?? null });
  const found = paymentNo === null ? null : await hotOrderOfPaymentNo(deps, paymentNo);
  if (!found) return anomaly('UNKNOWN_ORDER', {});
  outTradeNo = found.order.out_trade_no;
  if (notice.appId !== null && found.attempt && notice.appId !== (found.attempt.appid ?? config.appId)) {
    return anomaly('APPID_MISMATCH', { appid: notice.appId ?? null });
  }

  const claim = {
    out_refund_no: notice.outRefundNo ?? null,
    refund_id: notice.refundId ?? null,
    refund_status: notice.status ?? null,
    refund_fee: notice.refundFee ?? null,
    total_fee: notice.totalFee ?? null,
  };
  // A refund we never filed (made by hand in the merchant platform, or not ours): kept for reconciliation.
  const refund = notice.outRefundNo && OUT_REFUND_NO.test(notice.outRefundNo) ? await getRefund(deps.db, notice.outRefundNo) : null;
  if (!refund) return anomaly('REFUND_UNMATCHED', claim);
  if (refund.out_trade_no !== outTradeNo || (refund.payment_no ?? refund.out_trade_no) !== paymentNo) {
    return anomaly('REFUND_MISMATCH', { ...claim, stored_out_trade_no: refund.out_trade_no, stored_payment_no: refund.payment_no ?? null });
  }
  const refundFee = fen(notice.refundFee);
  const totalFee = fen(notice.totalFee);
  if (refundFee !== refund.refund_fee || totalFee !== refund.total_fee) {
    return anomaly('REFUND_AMOUNT_MISMATCH', { ...claim, expected_refund_fee: refund.refund_fee, expected_total_fee: refund.total_fee });
  }
  if (!notice.status || !FINAL.has(notice.status)) return anomaly('MALFORMED_FIELD', { ...claim, field: 'refund_status' });
  if (notice.refundId !== undefined && !REFUND_ID.test(notice.refundId)) return anomaly('MALFORMED_FIELD', { ...claim, field: 'refund_id' });

  const facts: RefundFacts = {
    outTradeNo,
    outRefundNo: refund.out_refund_no,
    status: notice.status as RefundFacts['status'],
    refundFee,
    totalFee,
    refundId: notice.refundId,
    succeededAt: notice.status === 'SUCCESS' ? refundTimeToIso(notice.successTime) : undefined,
    source: 'NOTIFY',
  };
  const result = await deps.gate(outTradeNo).applyRefundResult(facts, evidence);
  const outcome = result.outcome === 'APPLIED' ? `REFUND_${facts.status}` : `REFUND_${result.outcome}`;
  return { reply: 'OK', outcome, outTradeNo };
}
