// Orders and payments: orders (create, bad input, jsapi, payments, sync and close, the WeChat client,
// text, the API's shape), the notifies that pay them (the reply matrix, re-encodings, refund notifies,
// API v3 notifies; those under faults have a runtime of their own, notify-faults.test.ts), what every
// request meets (health, no-store, the bearer check, the sandbox guard), and the main flows end to end
// (under API v3 again in test/workerd-v3).
import { suite } from '../support/suite';

suite(
  import.meta.glob([
    '../worker/orders-*.test.ts',
    '../worker/notify-matrix.test.ts',
    '../worker/notify-reencoded.test.ts',
    '../worker/notify-refund.test.ts',
    '../worker/notify-v3.test.ts',
    '../worker/notify-round-trips.test.ts',
    '../worker/health.test.ts',
    '../worker/merchant-auth.test.ts',
    '../worker/e2e-*.test.ts',
    '../worker/sandbox-*.test.ts',
  ]),
);

// The pure core again inside workerd (Web Crypto, TextDecoder, the runtime's own globals): no storage.
suite(import.meta.glob('../core/*.test.ts'), { sharedStorage: true });
