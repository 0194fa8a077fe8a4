// Webhook delivery: a paid order's event reaches a receiver that fails first, on the retry schedule,
// with one webhook-id, every attempt verified with the `standardwebhooks` package and recorded;
// redelivery; the 3-day window; the dead-letter queue; the secret in no log line or answer.
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/worker/platform/config';
import { RETRY_WINDOW_MS } from '../../src/worker/webhooks/schedule';
import { signWebhook } from '../../src/worker/webhooks/signature';
import { deliverEvent, DELIVERY_TIMEOUT_MS } from '../../src/worker/webhooks/deliver';
import { Webhook } from 'standardwebhooks';
import { LIVE } from '../support/checkout-helpers';
import { AUTH, BUYER, api, createOrder, jsapiFor, prepayIdOf, simPay } from '../support/orders-helpers';
import {
  SECRET,
  apiWith,
  attemptRows,
  configureReceiver,
  eventRow,
  eventRows,
  messageFor,
  receiverEnv,
  received,
  runQueue,
  verifyWithStandardWebhooks,
} from '../support/webhooks-helpers';

/** An order paid through the simulator and its signed notify: one order.paid event, pending. */
async function paidOrder() {
  const order = await createOrder({ openid: BUYER });
  const params = (await (await jsapiFor(order.out_trade_no)).json()) as { package: string };
  const paid = await simPay(prepayIdOf(params));
  expect(paid.body.ok).toBe(true);
  const events = await eventRows(order.out_trade_no);
  expect(events.map((e) => [e.type, e.status])).toEqual([['order.paid', 'pending']]);
  return { order, event: events[0]! };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('delivery through the queue consumer', () => {
  it('a receiver answering 500 first gets order.paid on the second attempt (5 s later), one webhook-id, both attempts verified and recorded', async () => {
    const { order, event } = await paidOrder();
    const hook = receiverEnv();
    await configureReceiver(hook.name, 1, 'http500');

    const first = await runQueue(hook.env, [await messageFor(event.id)]);
    expect(first.explicitAcks).toEqual([]);
    expect(first.retryMessages).toEqual([{ msgId: expect.any(String), delaySeconds: 5 }]);
    expect(await eventRow(event.id)).toMatchObject({ status: 'pending', attempts: 1, window_attempts: 1 });

    const second = await runQueue(hook.env, [await messageFor(event.id)]);
    expect(second.explicitAcks).toHaveLength(1);
    expect(second.retryMessages).toEqual([]);
    expect(await eventRow(event.id)).toMatchObject({ status: 'delivered', attempts: 2 });

    const got = await received(hook.name);
    expect(got).toHaveLength(2);
    expect(got.map((r) => r.reply)).toEqual(['http500', 'ack']);
    expect(new Set(got.map((r) => r.headers!['webhook-id']))).toEqual(new Set([event.id]));
    expect(got[0]!.body).toBe(got[1]!.body); // the same bytes on every attempt; only timestamp and signature are per attempt
    for (const r of got) {
      expect(r.headers!['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      const payload = verifyWithStandardWebhooks(r);
      expect(payload).toMatchObject({
        id: event.id,
        type: 'order.paid',
        data: { order: { out_trade_no: order.out_trade_no, status: 'PAID', total_fee: 1999 } },
      });
      expect(Object.keys(payload)).toEqual(['id', 'type', 'created_at', 'data']);
    }
    // a tampered body or another secret does not verify
    expect(() => new Webhook(SECRET).verify(got[1]!.body.replace('1999', '1'), got[1]!.headers!)).toThrow();
    expect(() => new Webhook(`whsec_${btoa('another-secret-of-at-least-24-bytes')}`).verify(got[1]!.body, got[1]!.headers!)).toThrow();

    const detail = (await (await api(`/v1/events/${event.id}`, { headers: AUTH })).json()) as Record<string, any>;
    expect(detail).toMatchObject({ id: event.id, type: 'order.paid', delivery: { status: 'delivered', attempts: 2, next_attempt_at: null } });
    expect(detail.attempts).toHaveLength(2);
    expect(detail.attempts[0]).toMatchObject({ trigger: 'QUEUE', http_status: 500, error: 'NOT_2XX' });
    expect(detail.attempts[0].response_excerpt).toContain('500 Internal Server Error');
    expect(detail.attempts[1]).toMatchObject({ trigger: 'QUEUE', http_status: 200, error: null });
    // A success's answer is not kept (docs/scaling.md): only a failure's explains something.
    expect(detail.attempts[1].response_excerpt).toBe('');
    for (const a of detail.attempts) expect(a.latency_ms).toBeGreaterThanOrEqual(0);
    expect(Number(got[0]!.headers!['webhook-timestamp'])).toBe(detail.attempts[0].webhook_timestamp);

    const list = (await (await api('/v1/events?type=order.paid&limit=100', { headers: AUTH })).json()) as { data: Record<string, any>[] };
    expect(list.data.map((e) => e.id)).toContain(event.id);
  });

  it('a stale message (superseded token) and an unknown event are acked without an attempt', async () => {
    const { event } = await paidOrder();
    const hook = receiverEnv();
    const result = await runQueue(hook.env, [
      { id: event.id, token: 'not-the-token' },
      { id: 'evt_000000000000000000000000', token: 'x' },
    ]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(await attemptRows(event.id)).toEqual([]);
    expect(await received(hook.name)).toEqual([]);
  });

  it('without WEBHOOK_URL the event is recorded but not delivered, and the message is acked', async () => {
    const { event } = await paidOrder();
    const result = await runQueue(env, [await messageFor(event.id)]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await eventRow(event.id)).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('no answer within 10 s, a redirect and a network error are failures (1 KiB of the answer kept); a 2xx with any body is a success', async () => {
    const { event } = await paidOrder();
    const hook = receiverEnv({ WEBHOOK_URL: 'https://merchant.example/hooks' });
    const answers = [
      new Response('m'.repeat(5000), { status: 302, headers: { Location: 'https://elsewhere.example/' } }),
      'NETWORK',
      new Response('x'.repeat(5000), { status: 200 }),
    ];
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async () => {
      const a = answers.shift();
      if (a === 'NETWORK') throw new TypeError('fetch failed');
      return a as Response;
    });
    expect((await runQueue(hook.env, [await messageFor(event.id)])).retryMessages).toEqual([{ msgId: expect.any(String), delaySeconds: 5 }]);
    expect((await runQueue(hook.env, [await messageFor(event.id)])).retryMessages).toEqual([{ msgId: expect.any(String), delaySeconds: 300 }]);
    expect((await runQueue(hook.env, [await messageFor(event.id)])).explicitAcks).toHaveLength(1);
    expect(spy).toHaveBeenCalledTimes(3);
    expect((spy.mock.calls[0]![1] as RequestInit).redirect).toBe('manual');
    const attempts = await attemptRows(event.id);
    expect(attempts.map((a) => [a.http_status, a.error])).toEqual([
      [302, 'NOT_2XX'],
      [null, 'NETWORK'],
      [200, null],
    ]);
    expect(new TextEncoder().encode(attempts[0]!.response_excerpt).byteLength).toBe(1024);
    expect(attempts[2]!.response_excerpt).toBe('');
  });

  it('the answer must come within the deadline (10 s): a hanging receiver is aborted and recorded as TIMEOUT, then retried', async () => {
    const { event } = await paidOrder();
    const hook = receiverEnv({ WEBHOOK_URL: 'https://merchant.example/hooks' });
    const config = parseConfig(hook.env as unknown as Record<string, unknown>);
    if (!config.ok) throw new Error('config');
    expect(DELIVERY_TIMEOUT_MS).toBe(10_000);
    const send = (_url: string, init: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const verdict = await deliverEvent({ db: env.DB, config: config.config, send, now: Date.now, timeoutMs: 20 }, await messageFor(event.id));
    expect(verdict).toEqual({ done: false, outcome: 'RETRY', delaySeconds: 5 });
    expect((await attemptRows(event.id))[0]).toMatchObject({ http_status: null, error: 'TIMEOUT', response_excerpt: '' });
  });
});

describe('redelivery by hand', () => {
  it('POST /v1/events/:id/redeliver → 202, the same id is sent again at once (a new message supersedes the old)', async () => {
    const { event } = await paidOrder();
    const hook = receiverEnv();
    const old = await messageFor(event.id);
    expect((await runQueue(hook.env, [old])).explicitAcks).toHaveLength(1); // delivered

    const res = await apiWith(hook.env, `/v1/events/${event.id}/redeliver`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id: event.id, delivery: { status: 'pending' } });
    expect(hook.sent).toEqual([{ id: event.id, token: expect.any(String), trigger: 'REDELIVER' }]);
    expect(hook.sent[0]!.token).not.toBe(old.token);

    expect((await runQueue(hook.env, [old])).explicitAcks).toHaveLength(1); // the superseded message: no attempt
    expect((await runQueue(hook.env, hook.sent)).explicitAcks).toHaveLength(1);
    const got = await received(hook.name);
    expect(got).toHaveLength(2);
    expect(got.map((r) => verifyWithStandardWebhooks(r).id)).toEqual([event.id, event.id]);
    expect((await attemptRows(event.id)).map((a) => a.trigger)).toEqual(['QUEUE', 'REDELIVER']);
    expect(await eventRow(event.id)).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('redeliver: unknown or malformed id → 404; without WEBHOOK_URL → 409 WEBHOOKS_DISABLED; bearer required; other verbs 405', async () => {
    const { event } = await paidOrder();
    const hook = receiverEnv();
    expect((await apiWith(hook.env, '/v1/events/evt_000000000000000000000000/redeliver', { method: 'POST' })).status).toBe(404);
    expect((await apiWith(hook.env, '/v1/events/nope/redeliver', { method: 'POST' })).status).toBe(404);
    const disabled = await api(`/v1/events/${event.id}/redeliver`, { method: 'POST', headers: AUTH });
    expect(disabled.status).toBe(409);
    expect(((await disabled.json()) as any).error.code).toBe('WEBHOOKS_DISABLED');
    expect((await api(`/v1/events/${event.id}/redeliver`, { method: 'POST' })).status).toBe(401);
    expect((await api(`/v1/events/${event.id}`)).status).toBe(401);
    expect((await api('/v1/events')).status).toBe(401);
    expect((await api(`/v1/events/${event.id}/redeliver`, { headers: AUTH })).status).toBe(405);
    expect((await api(`/v1/events/${event.id}`, { method: 'DELETE', headers: AUTH })).status).toBe(405);
  });
});

describe('the retry schedule and the 3-day window', () => {
  it('a failure whose next attempt would fall past 3 days marks the event failed (acked); it can still be redelivered', async () => {
    const { event } = await paidOrder();
    const hook = receiverEnv();
    await configureReceiver(hook.name, 1, 'http500');
    const threeDaysAgo = new Date(Date.now() - RETRY_WINDOW_MS + 60_000).toISOString();
    await env.DB.prepare('UPDATE events SET window_started_at = ?2, window_attempts = 10 WHERE id = ?1').bind(event.id, threeDaysAgo).run();
    const result = await runQueue(hook.env, [await messageFor(event.id)]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    expect(await eventRow(event.id)).toMatchObject({ status: 'failed' });
    expect((await eventRow(event.id))!.failed_at).toBeTruthy();

    expect((await apiWith(hook.env, `/v1/events/${event.id}/redeliver`, { method: 'POST' })).status).toBe(202);
    expect(await eventRow(event.id)).toMatchObject({ status: 'pending', window_attempts: 0 });
    expect((await runQueue(hook.env, hook.sent)).explicitAcks).toHaveLength(1);
    expect(await eventRow(event.id)).toMatchObject({ status: 'delivered' });
  });

  it('a message dead-lettered after max_retries marks its event failed', async () => {
    const { event } = await paidOrder();
    const hook = receiverEnv();
    const result = await runQueue(hook.env, [await messageFor(event.id)], 'wxpay-edge-webhooks-dlq');
    expect(result.explicitAcks).toHaveLength(1);
    expect(await eventRow(event.id)).toMatchObject({ status: 'failed', attempts: 0 });
  });
});

describe('the signing secret', () => {
  it('signs exactly as the Standard Webhooks library does (WebCrypto HMAC-SHA256 over id.timestamp.body)', async () => {
    const body = '{"id":"evt_x","type":"order.paid"}';
    const ts = 1_767_225_600;
    expect(await signWebhook(SECRET, 'evt_x', ts, body)).toBe(new Webhook(SECRET).sign('evt_x', new Date(ts * 1000), body));
  });

  it('config: https in live, loopback http in sandbox, a well-formed secret, never a documented example in live', () => {
    const live = { ...env, ...LIVE } as Record<string, unknown>;
    const fresh = `whsec_${btoa('0123456789abcdefghijklmnopqrstuv')}`;
    const problems = (e: Record<string, unknown>) => {
      const r = parseConfig(e);
      return r.ok ? [] : r.problems;
    };
    expect(problems({ ...live, WEBHOOK_URL: 'https://shop.example/hooks', WEBHOOK_SECRET: fresh })).toEqual([]);
    expect(problems({ ...live })).toEqual([]); // no URL: nothing is delivered, nothing to sign
    expect(problems({ ...live, WEBHOOK_URL: 'https://shop.example/hooks' })).toEqual([
      'WEBHOOK_SECRET is a documented example value and is refused in live mode',
    ]);
    expect(problems({ ...live, WEBHOOK_URL: 'https://shop.example/hooks', WEBHOOK_SECRET: undefined })).toEqual([
      'WEBHOOK_SECRET is missing (required with WEBHOOK_URL)',
    ]);
    expect(problems({ ...live, WEBHOOK_URL: 'https://shop.example/hooks', WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })).toHaveLength(1);
    expect(problems({ ...live, WEBHOOK_URL: 'http://127.0.0.1:9000/hooks', WEBHOOK_SECRET: fresh })).toEqual(['WEBHOOK_URL must be https in live mode']);
    expect(problems({ ...env, WEBHOOK_URL: 'http://127.0.0.1:9000/hooks' })).toEqual([]);
    expect(problems({ ...env, WEBHOOK_URL: 'http://localhost:9000/hooks' })).toEqual([]);
    expect(problems({ ...env, WEBHOOK_URL: 'http://shop.example/hooks' })).toEqual(['WEBHOOK_URL must be https, or http on a loopback host in sandbox mode']);
    expect(problems({ ...env, WEBHOOK_URL: '' })).toEqual([]);
    for (const bad of ['whsec_', 'whsec_c2hvcnQ=', 'sk_0123456789abcdefghijklmnopqrstuvwxyz', `whsec_${btoa('0123456789abcdefghijklmnopqrstuv')} `]) {
      const p = problems({ ...env, WEBHOOK_SECRET: bad });
      expect(p).toEqual(['WEBHOOK_SECRET must be whsec_ followed by the base64 of at least 24 bytes']);
      if (bad.length > 6) expect(p.join()).not.toContain(bad.slice(6).trim());
    }
  });

  it('the secret is in no log line and no answer, across a failed and a successful delivery, the events API and a refused live config', async () => {
    const lines: string[] = [];
    for (const level of ['log', 'warn', 'error', 'info', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    }
    const { event } = await paidOrder();
    const hook = receiverEnv();
    await configureReceiver(hook.name, 1, 'http500');
    await runQueue(hook.env, [await messageFor(event.id)]);
    await runQueue(hook.env, [await messageFor(event.id)]);
    const answers = [
      await (await apiWith(hook.env, `/v1/events/${event.id}`)).text(),
      await (await apiWith(hook.env, '/v1/events?limit=100')).text(),
      await (await apiWith(hook.env, `/v1/events/${event.id}/redeliver`, { method: 'POST' })).text(),
      await (await api('/openapi.json')).text(),
    ];
    const liveBroken = {
      ...hook.env,
      WECHAT_MODE: 'live',
      PUBLIC_BASE_URL: 'https://pay.example.com',
      WEBHOOK_URL: 'https://shop.example/hooks',
    } as unknown as Env;
    answers.push(await (await apiWith(liveBroken, '/v1/events')).text());
    expect(lines.some((l) => l.includes('WEBHOOK_ATTEMPT'))).toBe(true);
    expect(lines.some((l) => l.includes('WEBHOOK_SECRET is a documented example value'))).toBe(true);
    const keyB64 = SECRET.slice('whsec_'.length);
    for (const text of [...lines, ...answers]) {
      expect(text).not.toContain(keyB64);
      expect(text).not.toContain(atob(keyB64));
    }
  });
});
