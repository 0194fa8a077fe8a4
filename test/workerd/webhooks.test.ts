// Merchant webhooks: events, delivery and retries, refund events.
import { suite } from '../support/suite';

suite(import.meta.glob('../worker/webhooks-*.test.ts'));
