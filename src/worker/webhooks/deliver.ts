// One webhook attempt, from a queue message: claim the event, POST it signed (Standard Webhooks),
// record the attempt, and say whether the message is done or when to retry it.
import { concatBytes } from '../../core';
import type { Config } from '../platform/config';
import { log } from '../platform/log';
import { claimAttempt, recordAttempt, type AttemptRecord } from './delivery-repo';
import { eventBody } from './payload';
import { nextAttemptAt } from './schedule';
import { webhookHeaders } from './signature';
import type { WebhookMessage } from '../outbox';

/** A 2xx within this long is a delivery; anything else (later, another status, no answer) a failure. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** The answer kept with a failed attempt (a 2xx's answer is not kept: it explains nothing, and it cost ~100 B per delivery). */
const RESPONSE_EXCERPT_BYTES = 1024;
/** While an attempt runs, the cron leaves the event alone this long (it re-enqueues only overdue events). */
const ATTEMPT_LEASE_MS = 60_000;

/** POSTs to the merchant: global fetch, or in sandbox the worker itself for a URL on its own origin. */
export type WebhookTransport = (url: string, init: RequestInit) => Promise<Response>;

export interface WebhookDeps {
  readonly db: D1Database;
  readonly config: Config;
  readonly send: WebhookTransport;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** The success deadline; DELIVERY_TIMEOUT_MS unless a test shortens it. */
  readonly timeoutMs?: number;
}

type DeliveryVerdict = { done: true; outcome: 'DELIVERED' | 'FAILED' | 'STALE' | 'NOT_CONFIGURED' } | { done: false; outcome: 'RETRY'; delaySeconds: number };

/** At most `RESPONSE_EXCERPT_BYTES` of the answer, as text; the rest is not read. */
async function excerptOf(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(concatBytes(chunks).subarray(0, RESPONSE_EXCERPT_BYTES));
}

/** One signed POST under the 10 s deadline (headers and the kept excerpt alike). Never throws. */
async function attempt(deps: WebhookDeps, url: string, headers: Record<string, string>, body: string) {
  const started = Date.now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), deps.timeoutMs ?? DELIVERY_TIMEOUT_MS);
  try {
    const res = await deps.send(url, { method: 'POST', headers, body, redirect: 'manual', signal: abort.signal });
    const ok = res.status >= 200 && res.status < 300;
    const excerpt = ok ? '' : await excerptOf(res);
    if (ok) res.body?.cancel().catch(() => undefined);
    return { httpStatus: res.status, error: ok ? null : 'NOT_2XX', excerpt, latencyMs: Date.now() - started, ok };
  } catch {
    const timedOut = abort.signal.aborted;
    return { httpStatus: null, error: timedOut ? 'TIMEOUT' : 'NETWORK', excerpt: '', latencyMs: Date.now() - started, ok: false };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Delivers the event a message names, if the message still holds the event's token. The body is
 * the same on every attempt; `webhook-timestamp` and the signature are this attempt's. Throws only
 * on D1 trouble (the queue then retries the message; past max_retries it is dead-lettered).
 */
export async function deliverEvent(deps: WebhookDeps, msg: WebhookMessage): Promise<DeliveryVerdict> {
  const { webhookUrl, webhookSecret } = deps.config;
  if (!webhookUrl || !webhookSecret) return { done: true, outcome: 'NOT_CONFIGURED' };
  const nowMs = deps.now();
  const row = await claimAttempt(deps.db, msg.id, msg.token, new Date(nowMs + ATTEMPT_LEASE_MS).toISOString());
  if (!row) return { done: true, outcome: 'STALE' };

  const body = JSON.stringify(await eventBody(deps.config, row));
  const timestamp = Math.floor(nowMs / 1000);
  const result = await attempt(deps, webhookUrl, await webhookHeaders(webhookSecret, row.id, timestamp, body), body);
  const record: AttemptRecord = {
    attemptedAt: nowMs,
    trigger: msg.trigger === 'REDELIVER' ? 'REDELIVER' : 'QUEUE',
    httpStatus: result.httpStatus,
    error: result.error,
    latencyMs: result.latencyMs,
    responseExcerpt: result.excerpt,
  };
  const afterMs = nowMs + result.latencyMs;
  const next = result.ok ? null : nextAttemptAt(Date.parse(row.window_started_at), row.window_attempts + 1, afterMs);
  const outcome = result.ok ? 'DELIVERED' : next === null ? 'FAILED' : 'RETRY';
  const applied = await recordAttempt(
    deps.db,
    row.id,
    msg.token,
    record,
    outcome === 'DELIVERED'
      ? { status: 'delivered' }
      : outcome === 'FAILED'
        ? { status: 'failed' }
        : { status: 'pending', nextAttemptAt: new Date(next!).toISOString() },
  );
  log.info('WEBHOOK_ATTEMPT', {
    id: row.id,
    type: row.type,
    outTradeNo: row.out_trade_no,
    httpStatus: result.httpStatus,
    error: result.error,
    latencyMs: result.latencyMs,
    outcome,
  });
  if (!applied) return { done: true, outcome: 'STALE' };
  if (outcome === 'RETRY') return { done: false, outcome, delaySeconds: Math.max(1, Math.ceil((next! - afterMs) / 1000)) };
  return { done: true, outcome };
}
