/**
 * One API v3 call judged (docs/wechatpay-v3.md §3, §6.5): a 2xx answer is believed only after its
 * signature verifies over the raw bytes, within ±5 minutes, with the key its Wechatpay-Serial names
 * (key-store.ts) — an unsigned, forged, stale or unverifiable 2xx is SIGN_INVALID, an outcome nobody
 * may act on; a non-2xx is a failure by HTTP class and code (errors.ts), never a success.
 */
import { v3SignedHeaders, verifyV3Signature } from '../../core';
import { ChannelError, withRetries } from '../channel';
import { log } from '../platform/log';
import { type ErrorSubject, v3ErrorFor } from './errors';
import { keyFor } from './key-store';
import { sendV3, type V3Deps, type V3RawAnswer, type V3Request } from './request';

export interface V3Call extends V3Request {
  /** What a 404 means (no such order / refund). */
  readonly subject: ErrorSubject;
}

/** Verifies a 2xx answer's signature; throws SIGN_INVALID when it does not verify. */
export async function verifyAnswer(deps: V3Deps, answer: V3RawAnswer): Promise<void> {
  const nowMs = (deps.now ?? Date.now)();
  const verdict = await verifyV3Signature(v3SignedHeaders(answer.headers), answer.body, (serial) => keyFor(deps, serial, nowMs), Math.floor(nowMs / 1000));
  if (!verdict.ok) {
    log.warn('V3_ANSWER_UNVERIFIED', { reason: verdict.reason, requestId: answer.headers.get('request-id') });
    throw new ChannelError('SIGN_INVALID', verdict.reason);
  }
}

/**
 * The verified answer of one call: its JSON object, or null for an empty body (204). Throws
 * ChannelError: SIGN_INVALID (unverified 2xx), PROTOCOL (verified but not a JSON object), or the
 * mapping of a non-2xx.
 */
export async function callV3(deps: V3Deps, call: V3Call): Promise<Record<string, unknown> | null> {
  const answer = await sendV3(deps, call);
  if (answer.status < 200 || answer.status >= 300) throw v3ErrorFor(answer.status, answer.body, call.subject);
  await verifyAnswer(deps, answer);
  if (answer.body.byteLength === 0) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(answer.body));
  } catch {
    throw new ChannelError('PROTOCOL');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ChannelError('PROTOCOL');
  return parsed as Record<string, unknown>;
}

/** The same call, retried with backoff on retryable failures: only for calls that are safe to repeat (queries). */
export function callV3WithRetries(deps: V3Deps, call: V3Call): Promise<Record<string, unknown> | null> {
  return withRetries(() => callV3(deps, call), { sleep: deps.sleep });
}

/** A string field of a verified answer, or undefined. */
export function str(o: Record<string, unknown> | null | undefined, name: string): string | undefined {
  const v = o?.[name];
  return typeof v === 'string' ? v : undefined;
}

/** A nested object of a verified answer, or undefined. */
export function obj(o: Record<string, unknown> | null | undefined, name: string): Record<string, unknown> | undefined {
  const v = o?.[name];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A non-negative integer fen amount of a verified answer; PROTOCOL when present but not one. */
export function fen(o: Record<string, unknown> | null | undefined, name: string): number | undefined {
  const v = o?.[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ChannelError('PROTOCOL');
  return v;
}
