/**
 * The refund notify (docs/wechatpay-v2.md §13, docs/reliability.md §3.2): no `sign`; the `req_info` payload,
 * AES-256-ECB under MD5(key), is what makes it authentic. Steps 1–3 are the payment notify's; an
 * undecryptable `req_info` is FAIL(SIGN_ERROR); an authentic message is recorded and acknowledged.
 *
 * Refund rows do not exist yet (refunds are a later issue), so no decrypted message can match one:
 * each is kept as a REFUND_UNMATCHED anomaly for reconciliation, and no order state changes. When
 * refunds land, the match (out_refund_no, refund_fee) and the REFUNDING→… transition go through the
 * OrderGate like payments do.
 */
import { decryptRefundInfo, OUT_TRADE_NO } from '../../core';
import { getOrder } from '../d1/orders-repo';
import { anomalyReply, evidenceOf, readInbound, refundMessageSha256, refuse, type NotifyDeps, type NotifyVerdict } from './inbound';

export async function handleRefundNotify(req: Request, deps: NotifyDeps): Promise<NotifyVerdict> {
  const { config, receivedAt: now } = deps;
  const inbound = await readInbound(req, deps);
  if ('reply' in inbound) return inbound;
  const { fields } = inbound;

  if (!fields.req_info) return refuse(deps, 'SIGN_ERROR', 'REQ_INFO_MISSING');
  let info: Record<string, string>;
  try {
    info = await decryptRefundInfo(fields.req_info, config.apiKey);
  } catch {
    return refuse(deps, 'SIGN_ERROR', 'REQ_INFO_UNDECRYPTABLE');
  }

  // Authentic from here on. The outer appid/mch_id are outside the encryption but must still be ours.
  const evidence = await evidenceOf(inbound, await refundMessageSha256(info), now);
  const outTradeNo = info.out_trade_no !== undefined && OUT_TRADE_NO.test(info.out_trade_no) ? info.out_trade_no : null;
  const anomaly = (kind: Parameters<typeof anomalyReply>[3], detail: Record<string, unknown>) =>
    anomalyReply(deps, evidence, 'REFUND', kind, outTradeNo, detail);
  if (fields.appid !== config.appId) return anomaly('APPID_MISMATCH', { appid: fields.appid ?? null });
  if (fields.mch_id !== config.mchId) return anomaly('MCH_MISMATCH', { mch_id: fields.mch_id ?? null });
  if (outTradeNo === null || !(await getOrder(deps.db, outTradeNo))) return anomaly('UNKNOWN_ORDER', {});
  return anomaly('REFUND_UNMATCHED', {
    out_refund_no: info.out_refund_no ?? null,
    refund_id: info.refund_id ?? null,
    refund_status: info.refund_status ?? null,
    refund_fee: info.refund_fee ?? null,
  });
}
