import { defineConfig } from 'vitest/config';

// `npm run bench`: figures, not tests. Runs in Node only; never picked up by `npm test`
// (the test projects include *.test.ts only).
export default defineConfig({
  test: {
    name: 'bench',
    environment: 'node',
    include: [],
    benchmark: { include: ['bench/**/*.bench.ts'] },
  },
});
