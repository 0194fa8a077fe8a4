import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'unit',
    environment: 'node',
    include: ['test/core/**/*.test.ts', 'test/service/**/*.test.ts', 'test/lint/**/*.test.ts', 'test/peer/**/*.test.ts'],
    // npm test runs this beside the workerd tests and the browser: a bound on a hang, not a speed target.
    testTimeout: 30_000,
  },
});
