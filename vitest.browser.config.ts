import { defineConfig } from 'vitest/config';

// The hosted checkout and the console in Debian Chromium, each file against its own `wrangler dev`
// (own port, own state). The two files run at once: they mostly wait on wrangler, workerd and the
// browser rather than compute, so side by side they take little more than the longer one alone.
export default defineConfig({
  test: {
    name: 'browser',
    environment: 'node',
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
