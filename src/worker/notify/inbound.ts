// What every notify route does before its message is authentic (docs/reliability.md §4): a byte-capped
// body and strict UTF-8 (both API versions), then for v2 the flat allowlisted parser and
// return_code=SUCCESS. Refusals leave only a bounded counter. Also the two ways an authentic message
// is kept: its evidence, and an anomaly when it cannot be applied.
import { parseXml, type NotifyReplyName } from '../../core';
import { messageKeyOf, reportAnomaly } from '../anomalies';
import type { AnomalyKind, NotifyEvidence, NotifyKind } from '../model';
import type { NotifyDeps } from '../platform/deps';
import { sha256Hex } from '../../core';
import { log } from '../platform/log';
import { refOf } from '../outbox';
import { readCapped } from './read-body';
import { noteRejection } from './rejections';

/** Inclusive body limit (docs/reliability.md §4, *proposed* 32 KiB). */
const NOTIFY_MAX_BYTES = 32 * 1024;
/** Per-value limit for notifies (§4 step 2). */
const NOTIFY_MAX_VALUE_BYTES = 2048;
/** Fatal: invalid UTF-8 is refused, never replaced. A leading BOM is dropped (the parser accepts one). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export interface NotifyVerdict {
  reply: NotifyReplyName;
  /** For the request log: the gate outcome, the anomaly kind, or the rejection reason. */
  outcome: string;
  outTradeNo?: string;
}

export type { NotifyDeps } from '../platform/deps';

/** A body within the cap that is valid UTF-8 (a claimed charset other than UTF-8 is refused). */
export interface InboundBody {
  bytes: Uint8Array;
  text: string;
}

interface InboundNotify extends InboundBody {
  fields: Record<string, string>;
}

/** The charset the body claims, when it claims one: anything but UTF-8 is refused (T36). */
function declaresForeignCharset(contentType: string | null): boolean {
  const m = contentType && /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType);
  return !!m && m[1]!.toLowerCase() !== 'utf-8' && m[1]!.toLowerCase() !== 'utf8';
}

/** A refusal: counted (never delaying the reply), nothing else kept. */
export function refuse(deps: NotifyDeps, reply: NotifyReplyName, reason: string): NotifyVerdict {
  noteRejection(deps.db, deps.receivedAt, reason, deps.waitUntil);
  return { reply, outcome: reason };
}

/** Steps 1–2a, every version: the body within the cap, strict UTF-8; or the refusal to send. */
export async function readBody(req: Request, deps: NotifyDeps): Promise<InboundBody | NotifyVerdict> {
  // 1. Size: bytes actually received, whatever Content-Length says (a smaller claim is not trusted).
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > NOTIFY_MAX_BYTES) return refuse(deps, 'TOO_LARGE', 'TOO_LARGE');
  const bytes = await readCapped(req.body, NOTIFY_MAX_BYTES);
  if (!bytes) return refuse(deps, 'TOO_LARGE', 'TOO_LARGE');

  // 2a. Strict UTF-8.
  if (declaresForeignCharset(req.headers.get('content-type'))) return refuse(deps, 'PARAM_ERROR', 'BAD_CHARSET');
  try {
    return { bytes, text: UTF8.decode(bytes) };
  } catch {
    return refuse(deps, 'PARAM_ERROR', 'BAD_ENCODING');
  }
}

/** API v2: the parsed message with return_code=SUCCESS, or the refusal to send. */
export async function readInbound(req: Request, deps: NotifyDeps): Promise<InboundNotify | NotifyVerdict> {
  const body = await readBody(req, deps);
  if ('reply' in body) return body;
  // 2b. The flat allowlisted parser (no DTD, entities, duplicates).
  let fields: Record<string, string>;
  try {
    fields = parseXml(body.text, { maxBytes: NOTIFY_MAX_BYTES, maxValueBytes: NOTIFY_MAX_VALUE_BYTES });
  } catch {
    return refuse(deps, 'PARAM_ERROR', 'BAD_XML');
  }

  // 3. Communication result.
  if (fields.return_code !== 'SUCCESS') return refuse(deps, 'PARAM_ERROR', 'RETURN_CODE');
  return { ...body, fields };
}

/**
 * What an authentic notify leaves beside its effect: the SHA-256 of the bytes received, the message
 * as kept (v2: the XML as received; v3: the decrypted resource JSON) and its key.
 */
export async function evidenceOf(bytes: Uint8Array, rawBody: string, messageSha256: string, now: Date): Promise<NotifyEvidence> {
  return { rawBody, bodySha256: await sha256Hex(bytes), messageSha256, receivedAt: now.toISOString() };
}

/**
 * An authentic message that cannot be applied: anomaly + its notification record commit, then OK.
 * Only the first copy of a message is recorded and alerted; later copies, however encoded, write
 * nothing (the request log's DUPLICATE outcome is their trail).
 */
export async function anomalyReply(
  deps: NotifyDeps,
  evidence: NotifyEvidence,
  notifyKind: NotifyKind,
  kind: AnomalyKind,
  outTradeNo: string | null,
  detail: Record<string, unknown>,
): Promise<NotifyVerdict> {
  const record = { kind, outTradeNo, bodySha256: messageKeyOf(evidence), detail, now: evidence.receivedAt };
  const publish = deps.publishEvents;
  const recorded = await reportAnomaly(
    { db: deps.db, log: deps.log ?? log, publish: (events) => publish && deps.waitUntil(publish(events.map(refOf))) },
    { record, evidence, notifyKind },
  );
  return { reply: 'OK', outcome: recorded ? kind : `DUPLICATE:${kind}`, outTradeNo: outTradeNo ?? undefined };
}
