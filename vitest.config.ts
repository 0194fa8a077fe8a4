import { defineConfig } from 'vitest/config';

// Three projects: the pure core under Node, the app (plus the core again) inside workerd, and the
// hosted checkout in Chromium against `wrangler dev`.
export default defineConfig({
  test: {
    projects: ['./vitest.unit.config.ts', './vitest.worker.config.ts', './vitest.browser.config.ts'],
  },
});
