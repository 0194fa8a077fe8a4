// Helpers for the webhook and lifecycle tests: the worker's queue and scheduled handlers driven with
// env overrides (WEBHOOK_URL at the simulator's test receiver), a queue that captures what is sent,
// the events tables, and the receiver's records.
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { expect } from 'vitest';
import worker from '../../src';
import { createApp } from '../../src/worker/compose/app';
import type { WebhookMessage } from '../../src/worker/outbox/publish';
import { listAttempts } from '../../src/worker/webhooks/events-repo';
import { api, AUTH, BASE, postJson } from './orders-helpers';

export const SECRET = env.WEBHOOK_SECRET!;
export const QUEUE = 'wxpay-edge-webhooks';

let seq = 0;
/** A fresh receiver name and the env that points WEBHOOK_URL at it (loopback http on our own origin). */
export function receiverEnv(overrides: Record<string, unknown> = {}) {
  seq += 1;
  const name = `hook${Date.now().toString(36)}${seq}`;
  const sent: WebhookMessage[] = [];
  const queue = {
    send: async (body: WebhookMessage) => void sent.push(body),
    sendBatch: async (msgs: { body: WebhookMessage }[]) => void sent.push(...msgs.map((m) => m.body)),
  };
  const e = { ...env, WEBHOOK_URL: `${BASE}/sandbox/sim/receiver/${name}`, WEBHOOK_QUEUE: queue, ...overrides } as unknown as Env;
  return { name, env: e, sent };
}

/** Runs the queue consumer on these messages and returns which were acked and which retried (with their delay). */
export async function runQueue(e: Env, bodies: WebhookMessage[], queue = QUEUE) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `m${Date.now()}${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  // The pool's result lists retried messages without their delay: record it on the way.
  const delays = new Map<string, number | undefined>();
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    const recording = (options?: QueueRetryOptions) => {
      delays.set(m.id, options?.delaySeconds);
      retry(options);
    };
    Object.defineProperty(m, 'retry', { value: recording });
  }
  const ctx = createExecutionContext();
  await worker.queue!(batch as MessageBatch<unknown>, e, ctx);
  const result = await getQueueResult(batch, ctx);
  return { ...result, retryMessages: result.retryMessages.map((r: { msgId: string }) => ({ ...r, delaySeconds: delays.get(r.msgId) })) };
}

/** Fires the every-minute cron as if at `scheduledTime`; returns the tick's report (its log line). */
export async function runCron(e: Env, scheduledTime = Date.now(), cron = '* * * * *'): Promise<Record<string, any> | undefined> {
  const ctx = createExecutionContext();
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(String(args[0]));
    original(...args);
  };
  try {
    await worker.scheduled!(createScheduledController({ cron, scheduledTime }), e, ctx);
    await waitOnExecutionContext(ctx);
  } finally {
    console.log = original;
  }
  const tick = lines.find((l) => l.includes('"LIFECYCLE_TICK"'));
  return tick ? (JSON.parse(tick) as Record<string, any>) : undefined;
}

/** A merchant API call under an env override (e.g. with WEBHOOK_URL set). */
export async function apiWith(e: Env, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(new Request(BASE + path, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string>) } }), e, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export async function eventRows(outTradeNo: string) {
  return (await env.DB.prepare('SELECT * FROM events WHERE out_trade_no = ?1 ORDER BY seq').bind(outTradeNo).all<Record<string, any>>()).results;
}

export async function eventRow(id: string) {
  return env.DB.prepare('SELECT * FROM events WHERE id = ?1').bind(id).first<Record<string, any>>();
}

export async function attemptRows(id: string) {
  return listAttempts(env.DB, id) as Promise<Record<string, any>[]>;
}

/** The message that would deliver this event now (its current token). */
export async function messageFor(id: string, trigger?: WebhookMessage['trigger']): Promise<WebhookMessage> {
  const row = await eventRow(id);
  return { id, token: row!.queue_token as string, ...(trigger ? { trigger } : {}) };
}

export async function configureReceiver(name: string, failTimes: number, failWith: 'http500' | 'fail' | 'text' = 'http500') {
  const res = await api(`/sandbox/sim/receiver/${name}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ fail_times: failTimes, fail_with: failWith }),
  });
  if (res.status !== 200) throw new Error(`receiver refused: ${res.status}`);
}

export interface Received {
  at: number;
  body: string;
  reply: string;
  headers?: Record<string, string>;
}

export async function received(name: string): Promise<Received[]> {
  const res = await api(`/sandbox/sim/receiver/${name}`);
  return ((await res.json()) as { received: Received[] }).received;
}

/** Verifies one delivery with the Standard Webhooks reference library (throws if it does not verify). */
export function verifyWithStandardWebhooks(r: Received): Record<string, any> {
  return new Webhook(SECRET).verify(r.body, r.headers ?? {}) as Record<string, any>;
}

export { postJson };

/** Delivers one event through the queue consumer to a fresh receiver and returns the payload, verified with standardwebhooks. */
export async function deliverVerified(id: string): Promise<Record<string, any>> {
  const hook = receiverEnv();
  const res = await runQueue(hook.env, [await messageFor(id)]);
  expect(res.explicitAcks).toHaveLength(1);
  const got = await received(hook.name);
  expect(got).toHaveLength(1);
  expect(got[0]!.headers!['webhook-id']).toBe(id);
  return verifyWithStandardWebhooks(got[0]!);
}
