// The main flows under API v3 (the worker-v3 project; the same files run under v2 in the orders suite).
import { suite } from '../support/suite';

suite(import.meta.glob(['../worker/e2e-main-flow.test.ts']));
