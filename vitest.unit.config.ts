import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'unit',
    environment: 'node',
    include: ['test/core/**/*.test.ts', 'test/service/**/*.test.ts', 'test/lint/**/*.test.ts', 'test/peer/**/*.test.ts'],
    // npm test runs this beside the workerd tests and the browser: a bound on a hang, not a speed target.
    testTimeout: 30_000,
    // One module graph for all the Node files: they are pure or take their fakes as parameters, and a
    // fresh graph per file (vitest's default) costs more than most of these files take to run.
    isolate: false,
  },
});
