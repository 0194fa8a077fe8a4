// Reconciliation: the API, refunds and attempts on a sandbox day, runs with crashes, and its events.
import { suite } from '../support/suite';

suite(import.meta.glob('../worker/reconciliation-*.test.ts'));
