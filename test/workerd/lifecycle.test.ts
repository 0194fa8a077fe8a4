// The lifecycle cron: missed notifies, expiry, stuck refunds, the outbox.
import { suite } from '../support/suite';

suite(import.meta.glob('../worker/lifecycle-*.test.ts'));
