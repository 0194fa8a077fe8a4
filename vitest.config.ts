import { defineConfig } from 'vitest/config';

// Two projects: the pure core under Node, and the app (plus the core again) inside workerd.
export default defineConfig({
  test: {
    projects: ['./vitest.unit.config.ts', './vitest.worker.config.ts'],
  },
});
