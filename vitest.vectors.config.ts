import { defineConfig } from 'vitest/config';

// `npm run test:vectors`: the official SDKs' API v3 vectors, whose key files are not in this repository
// (test/vectors/v3/README.md). Not a project of `npm test`.
export default defineConfig({
  test: { name: 'vectors', environment: 'node', include: ['test/vectors/**/*.test.ts'] },
});
