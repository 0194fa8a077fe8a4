// Notifies under faults: concurrency with every Durable Object aborted, DO errors (the OrderGate
// namespace replaced) and injected commit faults. A runtime of their own: what they break stays broken
// for whatever would run after them in the same runtime.
import { suite } from '../support/suite';

suite(import.meta.glob(['../worker/notify-concurrency.test.ts', '../worker/notify-do-errors.test.ts', '../worker/notify-faults.test.ts']));
