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
    // Test files at once, at least two: the workerd tests mostly wait on the runtime, so two of them
    // keep two cores busy where vitest's default (cores − 1) would run one at a time.
    maxWorkers: Math.max(2, availableParallelism()),
    projects: ['./vitest.unit.config.ts', './vitest.worker.config.ts', './vitest.worker-v3.config.ts', './vitest.browser.config.ts'],
  },
});
