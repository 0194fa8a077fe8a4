/**
 * The refund notify (docs/wechatpay-v2.md §13, docs/reliability.md §3.2): no `sign`; the `req_info` payload,
 * AES-256-ECB under MD5(key), is what makes it authentic. Steps 1–3 are the payment notify's; an
 * undecryptable `req_info` is FAIL(SIGN_ERROR) with no row. ECB has no integrity, so the decrypted
 * content is only a claim until it matches our refund row (§13.4): out_refund_no and out_trade_no
 * name the same refund, refund_fee and total_fee equal ours, the outer appid/mch_id are ours. A
 * matching notify moves the refund forward through the order's OrderGate (SUBMITTING/PROCESSING →
 * SUCCESS | CHANGE | REFUNDCLOSE), and may arrive before the refund call has answered. Anything
 * authentic that cannot be applied is an anomaly, acknowledged.
 */
import { OUT_REFUND_NO, OUT_TRADE_NO, parseFen } from '../../core';
import type { AnomalyKind, RefundFacts } from '../model';
import { orderOfPaymentNo } from '../orders';
import { getRefund } from '../refunds';
import { refundTimeToIso } from '../refunds';
import { anomalyReply, evidenceOf, readInbound, refuse, type NotifyDeps, type NotifyVerdict } from './inbound';

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

export async function handleRefundNotify(req: Request, deps: NotifyDeps): Promise<NotifyVerdict> {
  const { config, receivedAt: now } = deps;
  const inbound = await readInbound(req, deps);
  if ('reply' in inbound) return inbound;
  const { fields } = inbound;

  // req_info missing or undecryptable: not authentic (the channel's notify reader: wechat/channel.ts).
  const opened = await deps.notifies.readRefundNotify(fields);
  if (!opened.ok) return refuse(deps, 'SIGN_ERROR', opened.reason);
  const info = opened.info;

  // Authentic from here on. The outer appid/mch_id are outside the encryption but must still be ours.
  const evidence = await evidenceOf(inbound, opened.messageKey, now);
  // The number WeChat knows: the refunded attempt's (for orders made before attempts, the order's own).
  const paymentNo = info.out_trade_no !== undefined && OUT_TRADE_NO.test(info.out_trade_no) ? info.out_trade_no : null;
  let outTradeNo = paymentNo;
  const anomaly = (kind: AnomalyKind, detail: Record<string, unknown>) => anomalyReply(deps, evidence, 'REFUND', kind, outTradeNo, detail);
  // The outer appid is the refunded attempt's: one of the merchant's appids.
  if (!ourAppIds(config).has(fields.appid ?? '')) return anomaly('APPID_MISMATCH', { appid: fields.appid ?? null });
  if (fields.mch_id !== config.mchId) return anomaly('MCH_MISMATCH', { mch_id: fields.mch_id ?? null });
  const found = paymentNo === null ? null : await orderOfPaymentNo(deps.db, paymentNo);
  if (!found) return anomaly('UNKNOWN_ORDER', {});
  outTradeNo = found.order.out_trade_no;
  if (found.attempt && fields.appid !== (found.attempt.appid ?? config.appId)) return anomaly('APPID_MISMATCH', { appid: fields.appid ?? null });

  const claim = {
    out_refund_no: info.out_refund_no ?? null,
    refund_id: info.refund_id ?? null,
    refund_status: info.refund_status ?? null,
    refund_fee: info.refund_fee ?? null,
    total_fee: info.total_fee ?? null,
  };
  // A refund we never filed (made by hand in the merchant platform, or not ours): kept for reconciliation.
  const refund = info.out_refund_no && OUT_REFUND_NO.test(info.out_refund_no) ? await getRefund(deps.db, info.out_refund_no) : null;
  if (!refund) return anomaly('REFUND_UNMATCHED', claim);
  if (refund.out_trade_no !== outTradeNo || (refund.payment_no ?? refund.out_trade_no) !== paymentNo) {
    return anomaly('REFUND_MISMATCH', { ...claim, stored_out_trade_no: refund.out_trade_no, stored_payment_no: refund.payment_no ?? null });
  }
  const refundFee = fen(info.refund_fee);
  const totalFee = fen(info.total_fee);
  if (refundFee !== refund.refund_fee || totalFee !== refund.total_fee) {
    return anomaly('REFUND_AMOUNT_MISMATCH', { ...claim, expected_refund_fee: refund.refund_fee, expected_total_fee: refund.total_fee });
  }
  if (!info.refund_status || !FINAL.has(info.refund_status)) return anomaly('MALFORMED_FIELD', { ...claim, field: 'refund_status' });
  if (info.refund_id !== undefined && !REFUND_ID.test(info.refund_id)) return anomaly('MALFORMED_FIELD', { ...claim, field: 'refund_id' });

  const facts: RefundFacts = {
    outTradeNo,
    outRefundNo: refund.out_refund_no,
    status: info.refund_status as RefundFacts['status'],
    refundFee,
    totalFee,
    refundId: info.refund_id,
    succeededAt: info.refund_status === 'SUCCESS' ? refundTimeToIso(info.success_time) : undefined,
    source: 'NOTIFY',
  };
  const result = await deps.gate(outTradeNo).applyRefundResult(facts, evidence);
  const outcome = result.outcome === 'APPLIED' ? `REFUND_${facts.status}` : `REFUND_${result.outcome}`;
  return { reply: 'OK', outcome, outTradeNo };
}
