// What a use case is given instead of the Workers `Env`: the store, the per-order gate, the payment
// channel, the configuration, the clock, the logger and the hooks that ride in money batches. The
// composition root (compose/wiring.ts) builds them; HTTP routes find its factory on the request
// (`c.var.factory`, set by compose/app.ts), so no feature imports the root. Tests build them by hand.
import type { BuyerIdentity, NotifyReader, PaymentChannel, V3NotifyReader } from '../channel';
import type { BatchHooks, EventPublisher } from '../model';
import type { OrderGateRpc } from '../model';
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
  /** Who the buyer is, by WeChat's OAuth (checkout). Absent: unavailable. */
  readonly buyers?: BuyerIdentity;
  /** The R2 archive of orders past the hot window (ARCHIVE). Absent: archived orders cannot be read. */
  readonly archive?: R2Bucket;
  /** Wakes the Reconciler of a bill date so that it steps now. Absent: the cron's next tick does. */
  readonly kickReconciler?: (billDate: string) => Promise<void>;
}

/** A notify's dependencies: the gateway's, with the moment the message arrived as its clock, and the channel's notify reader (no calls out). */
export interface NotifyDeps extends Pick<GatewayDeps, 'db' | 'gate' | 'config' | 'waitUntil' | 'publishEvents' | 'log' | 'archive'> {
  readonly receivedAt: Date;
  /** Authenticity (step 4 of I1): the channel's reading of what WeChat posted, API v2 (XML). */
  readonly notifies: NotifyReader;
  /** The same for API v3 (JSON, RSA, AES-GCM); null when no v3 keys are configured (live on v2): v3 notifies are then retried. */
  readonly v3Notifies: V3NotifyReader | null;
}

type Ctx = { waitUntil(work: Promise<unknown>): void };

/** How a request's dependencies are built from the Workers `Env`: the composition root's, handed to the routes on the context. */
export interface DepsFactory {
  gateway(env: Env, ctx: Ctx, config: Config): GatewayDeps;
  notify(env: Env, ctx: Ctx, config: Config, receivedAt: Date): NotifyDeps;
}
