/**
 * The API v3 notifies (docs/wechatpay-v3.md §8): POST /wechat/v3/notify (payments) and
 * /wechat/v3/refund-notify. The body within the same cap and strict UTF-8 as v2; then the channel's v3
 * reader authenticates it over the raw bytes (signature by serial, ±5 minutes) before any JSON is
 * believed, and opens the AES-GCM resource; then the SAME checks and the SAME OrderGate path as v2
 * (payment-notice.ts, refund-notice.ts). Forged, tampered, unknown-serial or stale messages leave only
 * the bounded rejection counter. Evidence kept: the SHA-256 of the bytes received and the decrypted
 * resource; the message key hashes the resource, so re-deliveries in new envelopes are one message.
 */
import type { V3NotifyMessage, V3NotifyReader, V3NotifyReading } from '../channel';
import { evidenceOf, readBody, refuse, type NotifyDeps, type NotifyVerdict } from './inbound';
import { settlePaymentNotice } from './payment-notice';
import { settleRefundNotice } from './refund-notice';

/** Steps before the shared checks: the reader (none without v3 keys: RETRY, WeChat tries again later), the body, the reading. */
async function readV3<N>(
  req: Request,
  deps: NotifyDeps,
  read: (reader: V3NotifyReader, m: V3NotifyMessage) => Promise<V3NotifyReading<N>>,
): Promise<{ notice: N; evidence: Awaited<ReturnType<typeof evidenceOf>> } | NotifyVerdict> {
  // Live on API v2 has no v3 keys: a v3 notify (of orders placed before a switch back) waits for them.
  if (!deps.v3Notifies) return { reply: 'RETRY', outcome: 'V3_NOT_CONFIGURED' };
  const body = await readBody(req, deps);
  if ('reply' in body) return body;
  const reading = await read(deps.v3Notifies, { headers: req.headers, body: body.bytes, receivedAt: deps.receivedAt });
  if (!reading.ok) return refuse(deps, reading.reply, reading.reason);
  // Authentic from here on: every outcome is durable before the reply.
  return { notice: reading.notice, evidence: await evidenceOf(body.bytes, reading.resource, reading.messageKey, deps.receivedAt) };
}

export async function handleV3PayNotify(req: Request, deps: NotifyDeps): Promise<NotifyVerdict> {
  const read = await readV3(req, deps, (r, m) => r.readPayNotifyV3(m));
  return 'reply' in read ? read : settlePaymentNotice(deps, read.notice, read.evidence);
}

export async function handleV3RefundNotify(req: Request, deps: NotifyDeps): Promise<NotifyVerdict> {
  const read = await readV3(req, deps, (r, m) => r.readRefundNotifyV3(m));
  return 'reply' in read ? read : settleRefundNotice(deps, read.notice, read.evidence);
}
