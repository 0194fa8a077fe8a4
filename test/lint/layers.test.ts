// The layer rules in biome.json (the feature boundaries are scripts/check-boundaries.mjs, proven in
// boundaries.test.ts), proven against the real Biome binary: each forbidden import is an
// error with the rule's message, and the allowed imports lint clean. Probe files live in a temporary
// copy of the tree's layout with the repository's own biome.json (stdin mode reports no diagnostics).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIOME = join(ROOT, 'node_modules/.bin/biome');
const RULE = 'lint/style/noRestrictedImports';

/** path → import specifier; each probe imports one name and re-exports it, so nothing is unused. */
const FORBIDDEN: Record<string, string> = {
  'src/core/probe-worker.ts': '../worker/platform/config',
  'src/core/probe-package.ts': 'zod',
  'src/sandbox/probe-worker.ts': '../worker/platform/config',
  'src/sandbox/routes/probe-transport.ts': '../../worker/wechat/transport',
  'src/worker/orders/probe-hono.ts': 'hono',
  'src/worker/orders/probe-hono-factory.ts': 'hono/factory',
  'src/worker/notify/probe-routes.ts': './routes',
  'src/worker/notify/probe-middleware.ts': '../platform/middleware/request-log',
  'src/worker/orders/probe-http-answers.ts': '../platform/http-answers',
  'src/worker/refunds/probe-wiring.ts': '../compose/wiring',
  'src/worker/console/probe-http.ts': './http/session',
};

const ALLOWED: Record<string, string> = {
  'src/core/probe-ok.ts': './sign',
  'src/sandbox/probe-ok.ts': '../core',
  'src/sandbox/probe-hono-ok.ts': 'hono',
  'src/worker/orders/probe-ok.ts': './orders-repo',
  'src/worker/orders/routes.ts': 'hono',
  'src/worker/console/http/probe-ok.ts': 'hono',
  'src/worker/platform/probe-ok.ts': './http-answers',
  'src/worker/reconciliation/durable-object.ts': '../compose/wiring',
  'src/worker/compose/probe-ok.ts': 'hono',
};

const MESSAGES: [prefix: string, message: RegExp][] = [
  ['src/core/', /src\/core is pure/],
  ['src/sandbox/', /simulator imports only src\/core/],
  ['src/worker/', /Only route modules/],
];

interface Diagnostic {
  category: string;
  message: string;
  location: { path: string };
}

let dir: string;

function biome(paths: string[]): { status: number | null; diagnostics: Diagnostic[] } {
  const run = spawnSync(BIOME, ['lint', '--reporter=json', '--max-diagnostics=none', ...paths], { cwd: dir, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, diagnostics: (JSON.parse(run.stdout) as { diagnostics: Diagnostic[] }).diagnostics };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wxpay-edge-layers-'));
  const config = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8')) as Record<string, unknown>;
  // The copy is not a git checkout, and its schema path would not resolve.
  const { $schema: _schema, ...rest } = config;
  writeFileSync(join(dir, 'biome.json'), JSON.stringify({ ...rest, vcs: { enabled: false } }));
  for (const [path, specifier] of Object.entries({ ...FORBIDDEN, ...ALLOWED })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), `import { probe } from '${specifier}';\n\nexport const probed = probe;\n`);
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('layer rules (biome.json noRestrictedImports)', () => {
  it('fails on every forbidden import, with the layer rule and its message', { timeout: 60_000 }, () => {
    const { status, diagnostics } = biome(Object.keys(FORBIDDEN));
    expect(status).not.toBe(0);
    for (const path of Object.keys(FORBIDDEN)) {
      const found = diagnostics.filter((d) => d.location.path.endsWith(path) && d.category === RULE);
      expect(found, path).toHaveLength(1);
      const [, message] = MESSAGES.find(([marker]) => path.startsWith(marker) || path.endsWith(marker))!;
      expect(found[0]!.message, path).toMatch(message);
    }
  });

  it('passes the allowed imports: core to core, sandbox to core and hono, use case to its repository, route modules and platform to hono and HTTP, a Durable Object to wiring', {
    timeout: 60_000,
  }, () => {
    const { status, diagnostics } = biome(Object.keys(ALLOWED));
    expect(diagnostics).toEqual([]);
    expect(status).toBe(0);
  });
});
