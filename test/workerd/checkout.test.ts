// The hosted checkout: page, OAuth, status polling, loopback, fuzz.
import { suite } from '../support/suite';

suite(import.meta.glob('../worker/checkout-*.test.ts'));
