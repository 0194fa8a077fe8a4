// The only place that turns the Workers runtime (Env, ExecutionContext) into use-case dependencies.
import type { Config } from './config';
import type { GatewayDeps } from './deps';
import type { NotifyDeps } from '../notify/inbound';
import type { OrderGateRpc } from '../order-gate/contract';
import { wechatDeps } from '../wechat';
import type { WebhookDeps, WebhookTransport } from '../webhooks/deliver';
import { eventPublisher } from '../webhooks/publish';

export function orderGate(env: Env, outTradeNo: string): OrderGateRpc {
  return env.ORDER_GATE.getByName(outTradeNo) as unknown as OrderGateRpc;
}

/** `ctx`: the request's execution context, or a scheduled/queue handler's. */
/** A notify's dependencies: no WeChat client (a notify never calls out), its arrival time as the clock. */
export function notifyDeps(env: Env, ctx: { waitUntil(work: Promise<unknown>): void }, config: Config, receivedAt: Date): NotifyDeps {
  return {
    db: env.DB,
    gate: (outTradeNo) => orderGate(env, outTradeNo),
    config,
    receivedAt,
    waitUntil: (work) => ctx.waitUntil(work),
    publishEvents: eventPublisher(env),
  };
}

export function gatewayDeps(env: Env, ctx: { waitUntil(work: Promise<unknown>): void }, config: Config): GatewayDeps {
  return {
    db: env.DB,
    gate: (outTradeNo) => orderGate(env, outTradeNo),
    config,
    wechat: wechatDeps(config, env, ctx),
    now: Date.now,
    waitUntil: (work) => ctx.waitUntil(work),
    publishEvents: eventPublisher(env),
  };
}

interface LoopbackCtx {
  exports?: { default?: { fetch?: (req: Request) => Promise<Response> } };
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
