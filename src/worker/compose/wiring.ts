// The only place that turns the Workers runtime (Env, ExecutionContext) into use-case dependencies.
import { SANDBOX_CLIENT_CERT_HEADER } from '../../core';
import { consoleRollupHook } from '../console';
import type { BatchHooks, EventPublisher } from '../model';
import type { OrderGateRpc } from '../model';
import { v2Channel, v2NotifyReader, wechatIdentity, type WechatDeps, type WechatTransport, type WechatTransports } from '../wechat';
import type { WebhookDeps, WebhookTransport } from '../webhooks';
import { eventPublisher, type WebhookMessage } from '../outbox';
import { getConfig, type Config } from '../platform/config';
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

/** The webhook producer of this environment (a no-op without WEBHOOK_URL or the queue binding). */
function publisherOf(env: Env, webhookUrl: string | null | undefined, logger: Logger = log): EventPublisher {
  return eventPublisher((env as { WEBHOOK_QUEUE?: Queue<WebhookMessage> }).WEBHOOK_QUEUE, webhookUrl, logger);
}

/** `ctx`: the request's execution context, or a scheduled/queue handler's. */
/** A notify's dependencies: no WeChat calls (a notify never calls out), its arrival time as the clock. */
export function notifyDeps(env: Env, ctx: { waitUntil(work: Promise<unknown>): void }, config: Config, receivedAt: Date): NotifyDeps {
  return {
    db: env.DB,
    gate: (outTradeNo) => orderGate(env, outTradeNo),
    config,
    notifies: v2NotifyReader(config),
    receivedAt,
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
    channel: v2Channel(wechatDeps(config, env, ctx)),
    buyers: wechatIdentity(wechatTransports(config, env, ctx).api, config),
    kickReconciler: reconcilerKick(env),
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
}

export function gateDeps(env: Env): GateDeps {
  const parsed = getConfig(env);
  return {
    db: env.DB,
    publishEvents: publisherOf(env, parsed.ok ? parsed.config.webhookUrl : undefined),
    batchHooks: BATCH_HOOKS,
    log,
    refundLatePayments: parsed.ok ? parsed.config.refundLatePayments : true,
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
