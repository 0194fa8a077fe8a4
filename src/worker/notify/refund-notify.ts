/**
 * The API v2 refund notify (docs/wechatpay-v2.md §13, docs/reliability.md §3.2): no `sign`; the
 * `req_info` payload, AES-256-ECB under MD5(key), is what makes it authentic. Steps 1–3 are the
 * payment notify's; an undecryptable `req_info` is FAIL(SIGN_ERROR) with no row. ECB has no
 * integrity, so the decrypted content is only a claim until the checks both versions share
 * (refund-notice.ts) match it to our refund row.
 */
import { evidenceOf, readInbound, refuse, type NotifyDeps, type NotifyVerdict } from './inbound';
import { settleRefundNotice } from './refund-notice';

export async function handleRefundNotify(req: Request, deps: NotifyDeps): Promise<NotifyVerdict> {
  const inbound = await readInbound(req, deps);
  if ('reply' in inbound) return inbound;

  // req_info missing or undecryptable: not authentic (the channel's v2 notify reader: wechat/channel.ts).
  const opened = await deps.notifies.readRefundNotify(inbound.fields);
  if (!opened.ok) return refuse(deps, 'SIGN_ERROR', opened.reason);

  // Authentic from here on. The outer appid/mch_id are outside the encryption but must still be ours.
  const evidence = await evidenceOf(inbound.bytes, inbound.text, opened.messageKey, deps.receivedAt);
  return settleRefundNotice(deps, opened.notice, evidence);
}
