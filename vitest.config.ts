import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Four projects: the pure core, the use cases and the peer SDK under Node; the app (plus the core
// again) inside workerd; the main flows again inside workerd under API v3; the hosted checkout and the
// console in Chromium against `wrangler dev`.
export default defineConfig({
  test: {
    // A passing test's console output (request logs, expected error logs) is noise; a failing test's
    // is printed with its failure. The reporter reads this from the root config only.
    silent: 'passed-only',
    // Test files at once, at least three: a workerd suite spends part of its time waiting on the runtime
    // (start-up, Durable Object alarms, loopback calls), so on two cores three of them keep both busy
    // where vitest's default (cores − 1) would run one at a time (npm test: 142 s with two, 132 s with three).
    maxWorkers: Math.max(3, availableParallelism()),
    projects: ['./vitest.unit.config.ts', './vitest.worker.config.ts', './vitest.worker-v3.config.ts', './vitest.browser.config.ts'],
  },
});
