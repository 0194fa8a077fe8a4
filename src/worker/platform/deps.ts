// What a use case is given instead of the Workers `Env`: the store, the per-order gate, the WeChat
// client, the configuration and the clock. The HTTP routes, and later the cron and queue consumers,
// build one with `gatewayDeps` (wiring.ts); tests can build one by hand.
import type { Config } from './config';
import type { OrderGateRpc } from '../order-gate/contract';
import type { WechatDeps } from '../wechat';
import type { EventPublisher } from '../webhooks/publish';

export interface GatewayDeps {
  readonly db: D1Database;
  /** A fresh stub of the order's OrderGate on every call (a stub that threw may be broken). */
  readonly gate: (outTradeNo: string) => OrderGateRpc;
  readonly config: Config;
  readonly wechat: WechatDeps;
  /** Milliseconds since the epoch: the one clock of a use case. */
  readonly now: () => number;
  /** Work that may finish after the answer (counters, caches). */
  readonly waitUntil: (work: Promise<unknown>) => void;
  /** Puts committed webhook events on the delivery queue (never throws). Absent: the cron enqueues them. */
  readonly publishEvents?: EventPublisher;
}
