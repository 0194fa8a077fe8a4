// What every request meets (health, no-store, the bearer check, the sandbox guard), and one order paid end to end.
import { suite } from '../support/suite';

suite(import.meta.glob(['../worker/health.test.ts', '../worker/merchant-auth.test.ts', '../worker/e2e-*.test.ts', '../worker/sandbox-*.test.ts']));

// The pure core again inside workerd (Web Crypto, TextDecoder, the runtime's own globals): no storage.
suite(import.meta.glob('../core/*.test.ts'), { sharedStorage: true });
