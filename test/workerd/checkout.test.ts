// The pages people see: the hosted checkout (page, OAuth, status polling, loopback, fuzz) and the
// operator console (auth, limits, credentials, pages, Access, CSV, operations, rollups).
import { suite } from '../support/suite';

suite(import.meta.glob(['../worker/checkout-*.test.ts', '../worker/console-*.test.ts']));
