// What a use case is given instead of the Workers `Env`: the store, the per-order gate, the payment
// channel, the configuration, the clock, the logger and the hooks that ride in money batches. The
// HTTP routes, the cron and the queue consumer build one with `gatewayDeps` (wiring.ts); tests can
// build one by hand.
import type { PaymentChannel } from '../channel';
import type { BatchHooks, EventPublisher } from '../model';
import type { OrderGateRpc } from '../order-gate/contract';
import type { Config } from './config';
import type { Logger } from './log';

export interface GatewayDeps {
  readonly db: D1Database;
  /** A fresh stub of the order's OrderGate on every call (a stub that threw may be broken). */
  readonly gate: (outTradeNo: string) => OrderGateRpc;
  readonly config: Config;
  /** WeChat Pay (channel/channel.ts): the only way a use case talks to it. */
  readonly channel: PaymentChannel;
  /** Milliseconds since the epoch: the one clock of a use case. */
  readonly now: () => number;
  /** Work that may finish after the answer (counters, caches). */
  readonly waitUntil: (work: Promise<unknown>) => void;
  /** Puts committed webhook events on the delivery queue (never throws). Absent: the cron enqueues them. */
  readonly publishEvents?: EventPublisher;
  /** Statements that ride in every money batch (the console's rollup). Absent: none. */
  readonly batchHooks?: BatchHooks;
  /** Absent: the platform logger. */
  readonly log?: Logger;
}
