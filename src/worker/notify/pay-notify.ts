/**
 * The API v2 payment notify, in the order of docs/reliability.md §4 / I1: size, strict parse,
 * return_code, then the signature (the channel's v2 notify reader: wechat/channel.ts), and then the
 * checks both API versions share (payment-notice.ts). A forged one never creates a DO or a row it controls.
 */
import { evidenceOf, readInbound, refuse, type NotifyDeps, type NotifyVerdict } from './inbound';
import { noteTrimmedReading, settlePaymentNotice } from './payment-notice';

export async function handlePayNotify(req: Request, deps: NotifyDeps): Promise<NotifyVerdict> {
  const inbound = await readInbound(req, deps);
  if ('reply' in inbound) return inbound;

  // 4. Signature over every non-empty field, algorithm by the §3.4 rule within the configured allowlist.
  // From here on only what the signature covers: under the trimmed reading the values trimmed, and
  // no unsigned empty or whitespace-only field (a blank fee_type is absent, i.e. CNY, never a mismatch).
  const verified = await deps.notifies.readPayNotify(inbound.fields);
  if (!verified.ok) return refuse(deps, 'SIGN_ERROR', verified.reason);
  if (verified.trimmedReading) noteTrimmedReading(deps, verified.notice);

  // Authentic from here on: every outcome is durable before the reply.
  const evidence = await evidenceOf(inbound.bytes, inbound.text, verified.messageKey, deps.receivedAt);
  return settlePaymentNotice(deps, verified.notice, evidence);
}
