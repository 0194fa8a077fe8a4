// Refunds: notifies, bad input, the ledger identity. (The API walk-through, with its DO reset, runs alone.)
import { suite } from '../support/suite';

suite(import.meta.glob(['../worker/refunds-bad-input.test.ts', '../worker/refunds-ledger.test.ts', '../worker/refunds-notify.test.ts']));
