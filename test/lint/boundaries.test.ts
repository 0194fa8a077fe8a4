// The feature boundaries (scripts/check-boundaries.mjs, run by `npm run lint`): each rule fails on a
// probe planted in a copy of the tree, the allowed shapes pass, and the tree itself is clean.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, typed by its use here
import { checkBoundaries } from '../../scripts/check-boundaries.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const check = checkBoundaries as (root: string) => string[];

/** probe path → [its source, the problem it must raise]. */
const FORBIDDEN: Record<string, [string, RegExp]> = {
  'src/worker/refunds/probe-deep.ts': ["export { getOrder } from '../orders/orders-repo';", /reach orders\/ through its index\.ts/],
  'src/worker/orders/probe-upward.ts': ["export { createRefund } from '../refunds';", /orders\/ \(rank 5\) may not import refunds\/ \(rank 6\)/],
  'src/worker/anomalies/probe-peer.ts': ["export { orderView } from '../orders';", /anomalies\/ \(rank 4\) may not import orders\//],
  'src/worker/refunds/probe-root.ts': ["export { DEPS_FACTORY } from '../compose/wiring';", /refunds\/ \(rank 6\) may not import compose\//],
  'src/worker/platform/probe-feature.ts': ["export { getOrder } from '../orders';", /platform\/ \(rank 2\) may not import orders\//],
  'src/worker/console/probe-do.ts': ["export { OrderGate } from '../order-gate/durable-object';", /only src\/index\.ts imports a Durable Object class/],
  'src/worker/refunds/probe-usecase-repo.ts': [
    "import { syncOrder } from '../orders';\nexport const s = syncOrder;",
    /a repository imports no use case \(syncOrder is from src\/worker\/orders\/sync\.ts\)/,
  ],
  'src/worker/orders/probe-sibling-repo.ts': ["export { createOrder } from './create';", /a repository imports no use case/],
  'src/worker/payouts/probe.ts': ['export const x = 1;', /src\/worker\/payouts\/ is not in RANKS/],
  'src/worker/probe-loose.ts': ['export const x = 1;', /every module of src\/worker belongs to a folder/],
};

const ALLOWED: Record<string, string> = {
  'src/worker/refunds/probe-ok.ts': "export { getOrder, orderView } from '../orders';",
  'src/worker/refunds/probe-ok-repo.ts':
    "export { getOrder } from '../orders';\nexport { outboxStatement } from '../outbox';\nexport { log } from '../platform/log';",
  'src/worker/console/probe-ok.ts': "export { readCapped } from '../notify';\nexport { getOrder } from '../orders';",
  'src/worker/compose/probe-ok.ts': "export { orders } from '../orders/routes';\nexport { admin } from '../console/http/routes';",
  'src/worker/orders/probe-ok.ts': "export { log } from '../platform/log';\nexport { CLOSE_MIN_AGE_MS } from '../channel';",
};

const dirs: string[] = [];

function plant(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-edge-boundaries-'));
  dirs.push(dir);
  cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source + '\n');
  }
  return dir;
}

/** A problem names its file first, or (an unranked folder) the probe's folder. */
const raisedBy = (problem: string, path: string) => problem.startsWith(`${path}:`) || problem.startsWith(`${dirname(path)}/ `);

let forbidden: string[];
let allowed: string[];

beforeAll(() => {
  forbidden = check(plant(Object.fromEntries(Object.entries(FORBIDDEN).map(([p, [src]]) => [p, src]))));
  allowed = check(plant(ALLOWED));
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('feature boundaries (lint:boundaries)', () => {
  it.each(Object.entries(FORBIDDEN))('refuses %s', (path, [, problem]) => {
    expect(forbidden.filter((p) => raisedBy(p, path)).join('\n')).toMatch(problem);
  });

  it('raises nothing but the probes', () => {
    const probes = Object.keys(FORBIDDEN);
    expect(forbidden.filter((p) => !probes.some((path) => raisedBy(p, path)))).toEqual([]);
  });

  it('passes the allowed shapes: a feature through a lower index, a repository to a repository through an index, the root to route modules', () => {
    expect(allowed).toEqual([]);
  });

  it('passes the tree, and the npm script exits 0 on it', { timeout: 30_000 }, () => {
    expect(check(ROOT)).toEqual([]);
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts/check-boundaries.mjs')], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('the npm script exits 1 and names the problem on a planted one', { timeout: 30_000 }, () => {
    const dir = plant({ 'src/worker/refunds/probe-deep.ts': FORBIDDEN['src/worker/refunds/probe-deep.ts']![0] });
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts/check-boundaries.mjs'), dir], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/probe-deep\.ts: import '\.\.\/orders\/orders-repo': reach orders\/ through its index\.ts/);
  });
});
