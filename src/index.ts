// Worker entry: wiring only. The app lives in src/worker, the per-order serialiser in its DO module.
import { createApp } from './worker/compose/app';
import { handleQueue } from './worker/compose/queue';
import { handleScheduled } from './worker/compose/scheduled';

export { OrderGate } from './worker/order-gate/durable-object';
export { Reconciler } from './worker/reconciliation/durable-object';
export { NotifyDelivery } from './sandbox/delivery-do';
export { SandboxMerchant } from './sandbox/merchant-do';

const app = createApp();
export default { fetch: app.fetch, scheduled: handleScheduled, queue: handleQueue } satisfies ExportedHandler<Env>;
