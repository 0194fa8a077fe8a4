import { defineConfig } from 'vitest/config';

// Three projects: the pure core under Node, the app (plus the core again) inside workerd, and the
// hosted checkout in Chromium against `wrangler dev`.
export default defineConfig({
  test: {
    // A passing test's console output (request logs, expected error logs) is noise; a failing test's
    // is printed with its failure. The reporter reads this from the root config only.
    silent: 'passed-only',
    projects: ['./vitest.unit.config.ts', './vitest.worker.config.ts', './vitest.browser.config.ts'],
  },
});
