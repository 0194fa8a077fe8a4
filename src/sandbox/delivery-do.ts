/**
 * NotifyDelivery: one Durable Object per notified thing (`pay:<out_trade_no>`,
 * `refund:<out_refund_no>`). It keeps its pending deliveries and their log in storage and drives
 * retries by alarm — never by a timer — on WeChat's schedule (docs/wechatpay-v2.md §9.3, the same for
 * API v3: docs/wechatpay-v3.md §8.5), so pending deliveries survive a restart. A v2 delivery is done
 * when a reply parses as XML with return_code=SUCCESS; anything else (FAIL, plain `success`, HTML, an
 * error, no reply in 5 s) is retried. A v3 delivery is done on HTTP 200 or 204 whatever the body
 * (§8.4); it is signed afresh at every attempt (a new Wechatpay-Timestamp and nonce over the same body),
 * so a retry hours later still passes the merchant's ±5-minute check.
 */
import { DurableObject } from 'cloudflare:workers';
import { parseXml } from '../core';
import { serialOf, type SimKey, v3SignatureHeaders, WRONG_SIGNING_KEY } from './v3/signer';

/** Gaps after attempts 1‥15: 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h (24 h 4 min). */
export const RETRY_SCHEDULE_S: readonly number[] = Object.freeze([15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600]);
/** WeChat's reply deadline (§9.2): a slower reply counts as a failed attempt. */
const REPLY_DEADLINE_MS = 5000;
const MAX_LOGGED_REPLY = 300;

interface DeliveryRequest {
  kind: 'pay' | 'refund';
  url: string;
  /** The bodies POSTed concurrently at each attempt: one, or N duplicates. */
  bodies: string[];
  /** Real-time delay before the first attempt. */
  delay_ms: number;
  /** Multiplies RETRY_SCHEDULE_S. */
  time_scale: number;
  /** The merchant's public origin: URLs on it are delivered in-process, so alarms need no config. */
  loopback_origin: string;
  /** API v3: how each of `bodies` is signed (same order); absent for a v2 (XML) notify. */
  v3?: V3Copy[];
}

/** How a v3 notify copy is signed at each attempt. */
export interface V3Copy {
  /** Which of the simulator's keys signs it (the signer mode decided when it was scheduled). */
  key: SimKey;
  /** Scenario `notify_tamper`: `sign` signs with a key that is not WeChat's, `nosign` sends no Wechatpay-Signature. */
  tamper?: 'sign' | 'nosign';
  /** Scenario `notify_tamper: amount`: the body that was signed, when the body sent was changed afterwards. */
  signed_body?: string;
}

export interface Delivery extends DeliveryRequest {
  id: string;
  state: 'pending' | 'acknowledged' | 'abandoned';
  attempts: number;
  created_at: number;
  next_at?: number;
}

interface DeliveryLogEntry {
  delivery: string;
  attempt: number;
  copy: number;
  at: number;
  url: string;
  http_status?: number;
  /** The start of the receiver's reply body. */
  reply?: string;
  /** v3: the Wechatpay-Serial the copy was signed under. */
  serial?: string;
  error?: string;
  acknowledged: boolean;
  /** After a failed attempt: the gap to the next one (schedule × time_scale), or absent when abandoned. */
  next_delay_ms?: number;
}

export interface DeliveryStatus {
  deliveries: Delivery[];
  log: DeliveryLogEntry[];
}

interface Loopback {
  exports: { default: { fetch(req: Request): Promise<Response> } };
}

/** True only for the exact acknowledgement semantics: well-formed XML whose return_code is SUCCESS. */
function isAcknowledgement(reply: string): boolean {
  try {
    return parseXml(reply).return_code === 'SUCCESS';
  } catch {
    return false;
  }
}

/** The Wechatpay-* headers of one attempt of a v3 copy, tamper scenarios applied. */
async function v3Headers(body: string, copy: V3Copy): Promise<Record<string, string>> {
  const signer = copy.tamper === 'sign' ? { serial: serialOf(copy.key), privateKey: WRONG_SIGNING_KEY } : copy.key;
  const headers = await v3SignatureHeaders(copy.signed_body ?? body, signer);
  if (copy.tamper === 'nosign') delete headers['Wechatpay-Signature'];
  return headers;
}

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('no reply within 5 s')), { once: true }));
}

export class NotifyDelivery extends DurableObject<Env> {
  /** Attempts in flight, so an alarm and a flush never send the same attempt twice. */
  private readonly inFlight = new Map<string, Promise<void>>();

  private get kv(): SyncKvStorage {
    return this.ctx.storage.kv;
  }

  /** Stores a delivery; with `inline`, runs its first attempt before returning (unless delayed). */
  async enqueue(req: DeliveryRequest, inline: boolean): Promise<Delivery> {
    const seq = (this.kv.get<number>('seq') ?? 0) + 1;
    this.kv.put('seq', seq);
    const now = Date.now();
    const d: Delivery = { ...req, id: `d${String(seq).padStart(4, '0')}`, state: 'pending', attempts: 0, created_at: now, next_at: now + req.delay_ms };
    this.kv.put(`d:${d.id}`, d);
    if (inline && req.delay_ms === 0) await this.attempt(d.id);
    await this.reschedule();
    return this.kv.get<Delivery>(`d:${d.id}`)!;
  }

  /** Sends the latest delivery's bodies again as a new delivery (a replay), first attempt inline. */
  async resend(): Promise<Delivery | null> {
    const last = this.list().at(-1);
    if (!last) return null;
    const { kind, url, bodies, time_scale, loopback_origin, v3 } = last;
    return this.enqueue({ kind, url, bodies, time_scale, loopback_origin, delay_ms: 0, ...(v3 ? { v3 } : {}) }, true);
  }

  /** Runs every pending delivery's next attempt now, whatever its schedule. */
  async flush(): Promise<DeliveryStatus> {
    await Promise.all(
      this.list()
        .filter((d) => d.state === 'pending')
        .map((d) => this.attempt(d.id)),
    );
    await this.reschedule();
    return this.status();
  }

  status(): DeliveryStatus {
    return { deliveries: this.list(), log: [...this.kv.list<DeliveryLogEntry>({ prefix: 'log:' })].map(([, e]) => e) };
  }

  override async alarm(): Promise<void> {
    // runDurableObjectAlarm may fire it early: whatever was due at the scheduled time is due now.
    const dueBy = Math.max(Date.now(), this.kv.get<number>('alarm_at') ?? 0);
    this.kv.delete('alarm_at');
    const due = this.list().filter((d) => d.state === 'pending' && (d.next_at ?? 0) <= dueBy);
    await Promise.all(due.map((d) => this.attempt(d.id)));
    await this.reschedule();
  }

  private list(): Delivery[] {
    return [...this.kv.list<Delivery>({ prefix: 'd:' })].map(([, d]) => d);
  }

  private async reschedule(): Promise<void> {
    const next = this.list()
      .filter((d) => d.state === 'pending' && d.next_at !== undefined)
      .reduce((min, d) => Math.min(min, d.next_at!), Infinity);
    if (next === Infinity) {
      this.kv.delete('alarm_at');
      await this.ctx.storage.deleteAlarm();
    } else {
      this.kv.put('alarm_at', next);
      await this.ctx.storage.setAlarm(next);
    }
  }

  private attempt(id: string): Promise<void> {
    let running = this.inFlight.get(id);
    if (!running) {
      running = this.runAttempt(id).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, running);
    }
    return running;
  }

  private async runAttempt(id: string): Promise<void> {
    const d = this.kv.get<Delivery>(`d:${id}`);
    if (d?.state !== 'pending') return;
    const attempt = d.attempts + 1;
    const at = Date.now();
    const results = await Promise.all(d.bodies.map((body, i) => this.post(d.url, d.loopback_origin, body, d.v3?.[i])));
    const acknowledged = results.some((r) => r.acknowledged);
    const gap = RETRY_SCHEDULE_S[attempt - 1];
    const nextDelay = !acknowledged && gap !== undefined ? Math.max(1, Math.round(gap * 1000 * d.time_scale)) : undefined;
    const seq = (this.kv.get<number>('log_seq') ?? 0) + 1;
    results.forEach((r, copy) => {
      const entry: DeliveryLogEntry = { delivery: id, attempt, copy, at, url: d.url, ...r, ...(nextDelay !== undefined ? { next_delay_ms: nextDelay } : {}) };
      this.kv.put(`log:${String(seq).padStart(6, '0')}:${String(copy).padStart(3, '0')}`, entry);
    });
    this.kv.put('log_seq', seq);
    const updated: Delivery = {
      ...d,
      attempts: attempt,
      state: acknowledged ? 'acknowledged' : nextDelay === undefined ? 'abandoned' : 'pending',
      next_at: nextDelay === undefined ? undefined : Date.now() + nextDelay,
    };
    this.kv.put(`d:${id}`, updated);
  }

  private async post(
    url: string,
    loopbackOrigin: string,
    body: string,
    v3?: V3Copy,
  ): Promise<Omit<DeliveryLogEntry, 'delivery' | 'attempt' | 'copy' | 'at' | 'url'>> {
    const signal = AbortSignal.timeout(REPLY_DEADLINE_MS);
    const headers = v3 ? { 'Content-Type': 'application/json', ...(await v3Headers(body, v3)) } : { 'Content-Type': 'text/xml' };
    const init: RequestInit = { method: 'POST', body, headers, signal };
    const serial = v3 ? { serial: serialOf(v3.key) } : {};
    try {
      // Our own origin goes through the in-process loopback: under tests nothing listens on it.
      const loop = new URL(url).origin === loopbackOrigin;
      const send = loop ? (this.ctx as unknown as Loopback).exports.default.fetch(new Request(url, init)) : fetch(url, init);
      const res = await Promise.race([send, untilAborted(signal)]);
      const reply = await Promise.race([res.text(), untilAborted(signal)]);
      const acknowledged = v3 ? res.status === 200 || res.status === 204 : isAcknowledgement(reply);
      return { http_status: res.status, reply: reply.slice(0, MAX_LOGGED_REPLY), ...serial, acknowledged };
    } catch (e) {
      return { error: e instanceof Error ? e.message.slice(0, 200) : 'delivery failed', ...serial, acknowledged: false };
    }
  }
}
