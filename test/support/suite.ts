// Several test files in one workerd runtime. Starting a runtime and loading the app into it costs
// seconds of CPU per test file, most of `npm test`; a suite file (test/workerd/*.test.ts) pays it once
// for a feature's files. Each file becomes a describe block named by its path: its hooks stay its
// own, and (unless `sharedStorage`) it starts from empty storage, every D1 table and Durable Object
// deleted and the migrations applied again, as it did when it ran alone.
import { applyD1Migrations, reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe } from 'vitest';

/** What `import.meta.glob` returns: a loader per matched path. */
export type TestFiles = Record<string, () => Promise<unknown>>;

export function suite(files: TestFiles, opts: { sharedStorage?: boolean } = {}): void {
  const paths = Object.keys(files).sort();
  if (paths.length === 0) throw new Error('a suite with no test files: check its glob');
  for (const path of paths) {
    describe(path.replace(/^\.\.\//, 'test/'), async () => {
      if (!opts.sharedStorage) {
        beforeAll(async () => {
          await reset();
          await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
        });
      }
      await files[path]!();
    });
  }
}
