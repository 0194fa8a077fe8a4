import { defineConfig } from 'vitest/config';

// The hosted checkout in Debian Chromium against `wrangler dev`: one file at a time, generous bounds.
export default defineConfig({
  test: {
    name: 'browser',
    environment: 'node',
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
