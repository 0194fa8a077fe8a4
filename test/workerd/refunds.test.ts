// Refunds: the API walk-through (with its DO reset), notifies, bad input, the ledger identity.
import { suite } from '../support/suite';

suite(import.meta.glob('../worker/refunds-*.test.ts'));
