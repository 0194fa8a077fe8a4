// Reconciliation: the API and refunds on a sandbox day. (Runs with crashes and event faults run alone.)
import { suite } from '../support/suite';

suite(import.meta.glob(['../worker/reconciliation-api.test.ts', '../worker/reconciliation-refunds.test.ts', '../worker/reconciliation-attempts.test.ts']));
