// Notifies under faults: concurrency with every Durable Object aborted, DO errors and injected commit
// faults. One runtime for the three (each file from empty storage, as alone); apart from the notify
// suite so that an abort never lands in the middle of its files.
import { suite } from '../support/suite';

suite(import.meta.glob(['../worker/notify-concurrency.test.ts', '../worker/notify-do-errors.test.ts', '../worker/notify-faults.test.ts']));
