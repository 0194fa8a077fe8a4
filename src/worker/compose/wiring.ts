// The only place that turns the Workers runtime (Env, ExecutionContext) into use-case dependencies.
import { SANDBOX_CLIENT_CERT_HEADER } from '../../core';
import { consoleRollupHook } from '../console';
import type { BatchHooks, EventPublisher } from '../model';
import type { OrderGateRpc } from '../model';
import { v2Channel, v2NotifyReader, wechatIdentity, type WechatDeps, type WechatTransport, type WechatTransports } from '../wechat';
import { d1CertificateStore, refreshCertificatesIfDue, v3Channel, v3NotifyReader, type V3Deps } from '../wechat-v3';
import type { WebhookDeps, WebhookTransport } from '../webhooks';
import type { PaymentChannel } from '../channel';
import { eventPublisher, type WebhookMessage } from '../outbox';
import { getConfig, type Config } from '../platform/config';
import { meteredD1 } from '../platform/d1-meter';
import type { DepsFactory, GatewayDeps, NotifyDeps } from '../platform/deps';
import { log, type Logger } from '../platform/log';

/** What rides in every money batch (model/batch.ts): the console's daily totals. */
export const BATCH_HOOKS: BatchHooks = [consoleRollupHook];

export function orderGate(env: Env, outTradeNo: string): OrderGateRpc {
  return env.ORDER_GATE.getByName(outTradeNo) as unknown as OrderGateRpc;
}

interface LoopbackCtx {
  exports?: { default?: { fetch?: (req: Request) => Promise<Response> } };
}

/**
 * How the client reaches WeChat. Sandbox: requests to `${publicBaseUrl}/sandbox/...` are dispatched
 * into this same worker through `ctx.exports.default.fetch`, so they work with no network (tests,
 * `wrangler dev`). Live: global fetch; refunds through the `WECHAT_MTLS` binding (wrangler.toml
 * `mtls_certificates`).
 */
export function wechatTransports(config: Config, env: Env, ctx: object): WechatTransports {
  if (config.mode === 'sandbox') {
    const self = (ctx as unknown as LoopbackCtx).exports?.default;
    if (!self?.fetch) throw new Error('sandbox mode needs ctx.exports.default.fetch');
    // Called as a method: the loopback fetcher needs its `this`.
    const loopback = (req: Request) => self.fetch!(req);
    const api: WechatTransport = (url, init) => loopback(new Request(url, init));
    const cert: WechatTransport = (url, init) => {
      const headers = new Headers(init.headers);
      // The simulator cannot see TLS on loopback; it reads this header instead (see docs/sandbox.md).
      headers.set(SANDBOX_CLIENT_CERT_HEADER, config.mchId);
      return loopback(new Request(url, { ...init, headers }));
    };
    return { api, cert, certAvailable: true };
  }
  const mtls = (env as { WECHAT_MTLS?: Fetcher }).WECHAT_MTLS;
  return {
    certAvailable: !!mtls,
    api: (url, init) => fetch(url, init),
    cert: (url, init) => {
      if (!mtls) return Promise.reject(new Error('refunds need the WECHAT_MTLS certificate binding'));
      return mtls.fetch(url, init);
    },
  };
}

/** The v2 client's dependencies for the request at hand: the simulator over loopback in sandbox mode, WeChat in live mode. */
export function wechatDeps(config: Config, env: Env, ctx: object): WechatDeps {
  return { config, transports: wechatTransports(config, env, ctx) };
}

/**
 * The same transports, built on first use: a v3 notify calls out only when it names a certificate no
 * one here has seen (key-store.ts), so most never need them (and a test's bare context has no loopback).
 */
function lazyTransports(config: Config, env: Env, ctx: object): WechatTransports {
  let built: WechatTransports | undefined;
  const get = () => (built ??= wechatTransports(config, env, ctx));
  return {
    api: (url, init) => Promise.resolve().then(() => get().api(url, init)),
    cert: (url, init) => Promise.resolve().then(() => get().cert(url, init)),
    get certAvailable() {
      return get().certAvailable;
    },
  };
}

/** The v3 client's dependencies (same transports as v2; platform certificates in D1), or null without v3 keys. */
export function v3Deps(config: Config, env: Env, ctx: object): V3Deps | null {
  if (!config.v3) return null;
  return { config, v3: config.v3, transports: lazyTransports(config, env, ctx), certificates: d1CertificateStore(env.DB) };
}

/** The channel WECHAT_API_VERSION names: API v2 (XML, HMAC/MD5, mTLS refunds) or API v3 (JSON, RSA). */
export function channelOf(config: Config, env: Env, ctx: object): PaymentChannel {
  const v3 = config.apiVersion === 'v3' ? v3Deps(config, env, ctx) : null;
  return v3 ? v3Channel(v3) : v2Channel(wechatDeps(config, env, ctx));
}

/**
 * The lifecycle cron's v3 upkeep: platform certificates refreshed before they expire (key-store.ts).
 * Only on API v3; a failure is logged and tried again on a later tick (keys already kept stay usable).
 */
export async function maintainV3Keys(env: Env, ctx: object, config: Config, nowMs: number, logger: Logger = log): Promise<void> {
  const deps = config.apiVersion === 'v3' ? v3Deps(config, env, ctx) : null;
  if (!deps) return;
  try {
    const result = await refreshCertificatesIfDue(deps, nowMs);
    if (result !== 'NOT_DUE') logger.info('V3_CERTIFICATES_REFRESHED', { result });
  } catch (e) {
    const err = e as { code?: string; errCode?: string; name?: string };
    logger.warn('V3_CERTIFICATES_REFRESH_FAILED', { code: err?.code ?? err?.name ?? 'unknown', errCode: err?.errCode });
  }
}

/** The webhook producer of this environment (a no-op without WEBHOOK_URL or the queue binding). */
function publisherOf(env: Env, webhookUrl: string | null | undefined, logger: Logger = log): EventPublisher {
  return eventPublisher((env as { WEBHOOK_QUEUE?: Queue<WebhookMessage> }).WEBHOOK_QUEUE, webhookUrl, logger);
}

/** `ctx`: the request's execution context, or a scheduled/queue handler's. */
/**
 * A notify's dependencies, its arrival time as the clock. A v2 notify never calls out; a v3 notify
 * only when it names a platform certificate no one here has seen (at most once a minute, key-store.ts).
 */
export function notifyDeps(env: Env, ctx: { waitUntil(work: Promise<unknown>): void }, config: Config, receivedAt: Date): NotifyDeps {
  const v3 = v3Deps(config, env, ctx);
  return {
    // Sandbox mode counts its round trips (the route's sandbox-only header; bench:load reads it).
    db: config.mode === 'sandbox' ? meteredD1(env.DB) : env.DB,
    gate: (outTradeNo) => orderGate(env, outTradeNo),
    config,
    // Both versions' readers whatever WECHAT_API_VERSION says: an order placed before a switch still notifies the old way.
    notifies: v2NotifyReader(config),
    v3Notifies: v3 ? v3NotifyReader(v3) : null,
    receivedAt,
    archive: env.ARCHIVE,
    waitUntil: (work) => ctx.waitUntil(work),
    publishEvents: publisherOf(env, config.webhookUrl),
    log,
  };
}

export function gatewayDeps(env: Env, ctx: { waitUntil(work: Promise<unknown>): void }, config: Config): GatewayDeps {
  return {
    db: env.DB,
    gate: (outTradeNo) => orderGate(env, outTradeNo),
    config,
    channel: channelOf(config, env, ctx),
    buyers: wechatIdentity(wechatTransports(config, env, ctx).api, config),
    kickReconciler: reconcilerKick(env),
    archive: env.ARCHIVE,
    now: Date.now,
    waitUntil: (work) => ctx.waitUntil(work),
    publishEvents: publisherOf(env, config.webhookUrl),
    batchHooks: BATCH_HOOKS,
    log,
  };
}

/** What the OrderGate Durable Object works with (it runs outside any request). */
export interface GateDeps {
  readonly db: D1Database;
  /** Puts committed events on the queue: a no-op when the configuration is invalid or has no WEBHOOK_URL. */
  readonly publishEvents: EventPublisher;
  readonly batchHooks: BatchHooks;
  readonly log: Logger;
  /** LATE_PAYMENT_POLICY=refund (the default, also when the configuration is invalid): a payment after close is refunded automatically. */
  readonly refundLatePayments: boolean;
  /** The R2 archive an archived order is restored from (ARCHIVE). */
  readonly archive?: R2Bucket;
  /** Sandbox mode: `db` counts round trips and the notify methods report theirs (platform/d1-meter.ts). */
  readonly meterD1: boolean;
}

export function gateDeps(env: Env): GateDeps {
  const parsed = getConfig(env);
  const meterD1 = parsed.ok && parsed.config.mode === 'sandbox';
  return {
    db: meterD1 ? meteredD1(env.DB) : env.DB,
    publishEvents: publisherOf(env, parsed.ok ? parsed.config.webhookUrl : undefined),
    batchHooks: BATCH_HOOKS,
    log,
    refundLatePayments: parsed.ok ? parsed.config.refundLatePayments : true,
    archive: env.ARCHIVE,
    meterD1,
  };
}

/**
 * Where webhooks go: the network, except in sandbox mode for a WEBHOOK_URL on the gateway's own
 * origin (e.g. the simulator's test receiver), which is dispatched into this same worker.
 */
function webhookTransport(config: Config, ctx: object): WebhookTransport {
  const self = (ctx as LoopbackCtx).exports?.default;
  const url = config.webhookUrl;
  if (config.mode === 'sandbox' && url && self?.fetch && new URL(url).origin === new URL(config.publicBaseUrl).origin) {
    return (u, init) => self.fetch!(new Request(u, init));
  }
  return (u, init) => fetch(u, init);
}

/** The queue consumer's dependencies. */
export function webhookDeps(env: Env, ctx: object, config: Config): WebhookDeps {
  return { db: env.DB, config, send: webhookTransport(config, ctx), now: Date.now };
}

/** Wakes the Reconciler of a bill date (one Durable Object per day) so that it steps now. */
export function reconcilerKick(env: Env): (billDate: string) => Promise<void> {
  return (billDate) => env.RECONCILER.getByName(billDate).kick(billDate);
}

/** What the HTTP routes build their dependencies with (set on every request by compose/app.ts). */
export const DEPS_FACTORY: DepsFactory = { gateway: gatewayDeps, notify: notifyDeps };
