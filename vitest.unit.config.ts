import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'unit',
    environment: 'node',
    include: ['test/core/**/*.test.ts', 'test/service/**/*.test.ts', 'test/lint/**/*.test.ts'],
  },
});
