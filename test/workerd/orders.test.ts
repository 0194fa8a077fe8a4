// Orders (create, bad input, jsapi, payments, sync and close, the WeChat client, text, the API's shape),
// what every request meets (health, no-store, the bearer check, the sandbox guard), and the main flows
// end to end (under API v3 again in test/workerd-v3).
import { suite } from '../support/suite';

suite(
  import.meta.glob([
    '../worker/orders-*.test.ts',
    '../worker/health.test.ts',
    '../worker/merchant-auth.test.ts',
    '../worker/e2e-*.test.ts',
    '../worker/sandbox-*.test.ts',
  ]),
);

// The pure core again inside workerd (Web Crypto, TextDecoder, the runtime's own globals): no storage.
suite(import.meta.glob('../core/*.test.ts'), { sharedStorage: true });
