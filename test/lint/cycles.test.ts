// `npm run lint` refuses import cycles, type-only ones included (madge --circular, the lint:cycles
// script): proven on a planted cycle. That the tree has none is the lint step of `npm test` itself
// (the same command), not repeated here: madge over the whole tree is the slowest check there is.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const MADGE = join(ROOT, 'node_modules/.bin/madge');
const ARGS = ['--circular', '--no-spinner', '--no-color', '--extensions', 'ts'];
const dirs: string[] = [];

function madge(cwd: string, tsconfig: string, target: string) {
  const run = spawnSync(MADGE, [...ARGS, '--ts-config', tsconfig, target], { cwd, encoding: 'utf8' });
  if (run.error) throw run.error;
  return run;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('import cycles (lint:cycles)', () => {
  // Spawning madge takes seconds on a busy machine: the timeout bounds a hang, it is not a speed target.
  it('fails on a cycle made of type-only imports', { timeout: 60_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxpay-edge-cycles-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'ES2022', moduleResolution: 'Bundler' } }));
    writeFileSync(join(dir, 'repo.ts'), "import type { Event } from './events';\nexport interface Row { e: Event }\n");
    writeFileSync(join(dir, 'events.ts'), "import type { Row } from './repo';\nexport interface Event { r: Row }\n");
    const run = madge(dir, 'tsconfig.json', '.');
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/1\) (events\.ts > repo\.ts|repo\.ts > events\.ts)/);
  });
});
