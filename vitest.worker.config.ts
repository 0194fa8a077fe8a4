import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(path.join(import.meta.dirname, 'migrations')),
        },
      },
    }),
  ],
  test: {
    name: 'worker',
    include: ['test/core/**/*.test.ts', 'test/worker/**/*.test.ts', 'test/sandbox/**/*.test.ts'],
    setupFiles: ['./test/setup/apply-migrations.ts'],
    // Known-benign workerd lines only; see the file.
    globalSetup: ['./test/setup/quiet-runtime.ts'],
  },
}));
