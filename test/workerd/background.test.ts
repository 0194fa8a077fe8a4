// What runs without a request: the archive (runs cut at every step, reads and refunds after it), the
// lifecycle cron (missed notifies, expiry, stuck refunds, the outbox), merchant webhooks (events,
// delivery and retries, refund events) and the T+1 reconciliation (the API, refunds and attempts on a
// sandbox day, runs with crashes, its events), and the migrations of existing rows.
import { suite } from '../support/suite';

suite(
  import.meta.glob([
    '../worker/archive-*.test.ts',
    '../worker/lifecycle-*.test.ts',
    '../worker/webhooks-*.test.ts',
    '../worker/reconciliation-*.test.ts',
    '../worker/migrate-*.test.ts',
    '../worker/query-plans.test.ts',
  ]),
);
