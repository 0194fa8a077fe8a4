// The pure core again inside workerd (Web Crypto, TextDecoder, the runtime's own globals).
import { suite } from '../support/suite';

suite(import.meta.glob('../core/*.test.ts'), { sharedStorage: true });
