// What runs without a request: the lifecycle cron (missed notifies, expiry, stuck refunds, the outbox)
// and merchant webhooks (events, delivery and retries, refund events).
import { suite } from '../support/suite';

suite(import.meta.glob(['../worker/lifecycle-*.test.ts', '../worker/webhooks-*.test.ts']));
