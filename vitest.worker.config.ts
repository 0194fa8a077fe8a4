import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { configDefaults, defineConfig } from 'vitest/config';

const SPECIFIER = /(?:\bfrom|^import|\bimport\()\s*'([@a-z0-9][\w./@-]*)'/gm;
/** Not pre-bundled: the runner itself, and a CommonJS test dependency that needs workerd's `node:crypto` at run time. */
const NOT_BUNDLED = /^(?:vitest|wechatpay-axios-plugin)(?:\/|$)|^(?:node|cloudflare|workerd):/;

/** The packages (with subpaths) that the .ts files under `dirs` import. */
function bareImports(dirs: string[]): string[] {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(SPECIFIER)) if (!NOT_BUNDLED.test(m[1]!)) found.add(m[1]!);
    }
  };
  for (const dir of dirs) walk(path.join(import.meta.dirname, dir));
  return [...found].sort();
}

/** Matches one path against a glob whose only wildcard is `*` (within a file name). */
const globRe = (glob: string) => new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);

/**
 * The test files that a suite file (test/workerd/*.test.ts) runs, as paths from the root: they are
 * not also run on their own. Every other file under test/core, test/worker and test/sandbox is.
 */
function filesInSuites(): string[] {
  const suites = path.join(import.meta.dirname, 'test/workerd');
  const claimed = new Set<string>();
  for (const name of readdirSync(suites).filter((n) => n.endsWith('.test.ts'))) {
    const globs = [...readFileSync(path.join(suites, name), 'utf8').matchAll(/'(!?\.\.\/[^']+)'/g)].map((m) => m[1]!);
    const take = globs.filter((g) => !g.startsWith('!')).map((g) => globRe(`test/${g.slice(3)}`));
    const skip = globs.filter((g) => g.startsWith('!')).map((g) => globRe(`test/${g.slice(4)}`));
    for (const dir of ['test/core', 'test/worker', 'test/sandbox']) {
      for (const file of readdirSync(path.join(import.meta.dirname, dir))) {
        const rel = `${dir}/${file}`;
        if (!take.some((r) => r.test(rel)) || skip.some((r) => r.test(rel))) continue;
        if (claimed.has(rel)) throw new Error(`${rel} is in two suite files`);
        claimed.add(rel);
      }
    }
  }
  return [...claimed];
}

/** A workerd project: the app's bindings from wrangler.toml, plus `vars` over its [vars]. */
export async function workerdProject(name: string, include: string[], exclude: string[], vars: Record<string, string> = {}) {
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            ...vars,
            TEST_MIGRATIONS: await readD1Migrations(path.join(import.meta.dirname, 'migrations')),
          },
        },
      }),
    ],
    test: {
      name,
      include,
      exclude: [...configDefaults.exclude, ...exclude],
      setupFiles: ['./test/setup/one-prototype-proxy.ts', './test/setup/apply-migrations.ts'],
      // A bound on a hung test, not a speed requirement: with two suites sharing two cores, a test that
      // makes hundreds of requests (200 console logins) can take longer than vitest's default 5 s, and a
      // test cut off by its timeout leaves its requests running into the next file's tests.
      testTimeout: 60_000,
      hookTimeout: 60_000,
      // Known-benign workerd lines only; see the file.
      globalSetup: ['./test/setup/quiet-runtime.ts'],
      // The packages the app and its tests import, pre-bundled: one module each instead of hundreds (zod
      // alone is ~95) to load into every runtime. Every entry point of a package must be listed, or it
      // would load twice (two `HTTPException` classes); reading them from the sources keeps the list whole.
      deps: { optimizer: { ssr: { enabled: true, include: bareImports(['src', 'test/core', 'test/worker', 'test/sandbox', 'test/support']) } } },
    },
  };
}

// One runtime per file. A suite file (test/workerd) runs a feature's test files in one runtime, each
// from empty storage (test/support/suite.ts): a runtime costs more CPU to start than most files take to
// run. Every file is in a suite today; one no suite names would still run, in a runtime of its own.
export default defineConfig(() =>
  workerdProject('worker', ['test/workerd/*.test.ts', 'test/core/**/*.test.ts', 'test/worker/**/*.test.ts', 'test/sandbox/**/*.test.ts'], filesInSuites()),
);
