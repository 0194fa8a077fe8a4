// The feature boundaries of src/worker (docs/ARCHITECTURE.md §1), checked on the resolved import graph.
// Biome's path globs cannot tell which feature a relative import lands in, nor which module a name
// re-exported by an index.ts comes from; this check can. Run by `npm run lint` and by `npm test`.
//
//   1. Features reach each other only through their index.ts (platform/ is a toolkit, reached module by module).
//   2. Imports go one way, down this table: a folder imports only folders of a lower rank.
//   3. A repository (*-repo.ts) imports no use case: every name it imports, followed through an
//      index.ts, comes from a repository, model/, platform/, src/core or the outbox's builders.
// Exceptions, both entry points of the runtime: compose/ (the composition root) mounts the features'
// route modules directly, and a Durable Object's class (durable-object.ts) takes its dependencies
// from compose/wiring.ts; only src/index.ts imports a durable-object.ts.
//
// Usage: node scripts/check-boundaries.mjs [root]   (root defaults to the repository; tests pass a copy)
import fs from 'node:fs';
import path from 'node:path';

/** Lower ranks are imported by higher ones, never the other way. Every folder of src/worker is listed. */
export const RANKS = {
  model: 0,
  channel: 1,
  platform: 2,
  wechat: 3,
  'wechat-v3': 3,
  outbox: 3,
  anomalies: 4,
  archive: 4,
  evidence: 4,
  orders: 5,
  refunds: 6,
  checkout: 6,
  'order-gate': 7,
  notify: 7,
  reconciliation: 7,
  webhooks: 8,
  lifecycle: 9,
  console: 10,
  compose: 11,
};

const REPO_SOURCES = [/^src\/worker\/.*-repo\.ts$/, /^src\/worker\/model\//, /^src\/worker\/platform\//, /^src\/core\//, /^src\/worker\/outbox\/events\.ts$/];
const ROUTE_MODULE = /^(routes|http\/routes)\.ts$/;

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g;
const DYNAMIC = /import\(\s*['"]([^'"]+)['"]\s*\)/g;

function resolve(root, fromFile, spec) {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(path.join(root, fromFile)), spec);
  for (const c of [base + '.ts', path.join(base, 'index.ts'), base]) {
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return path.relative(root, c).split(path.sep).join('/');
  }
  return null;
}

/** The names a clause brings in: `{ a, type b as c }` → ['a', 'b']; `* as x` or `*` → ['*']. */
function names(clause) {
  const braces = clause.match(/\{([^}]*)\}/);
  if (!braces) return ['*'];
  return braces[1]
    .split(',')
    .map((s) => s.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0])
    .filter(Boolean);
}

function importsOf(root, file) {
  const src = fs.readFileSync(path.join(root, file), 'utf8');
  const out = [];
  for (const m of src.matchAll(IMPORT)) out.push({ spec: m[4], names: names(m[3]), target: resolve(root, file, m[4]) });
  for (const m of src.matchAll(DYNAMIC)) out.push({ spec: m[1], names: ['*'], target: resolve(root, file, m[1]) });
  return out;
}

function walk(root, dir) {
  const out = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...walk(root, rel));
    else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** The module an index.ts takes `name` from (`*` re-exports followed), or null. */
function sourceOf(root, indexFile, name, seen = new Set()) {
  if (seen.has(indexFile)) return null;
  seen.add(indexFile);
  for (const imp of importsOf(root, indexFile)) {
    if (!imp.target) continue;
    if (imp.names.includes(name)) return imp.target.endsWith('/index.ts') ? sourceOf(root, imp.target, name, seen) : imp.target;
  }
  for (const imp of importsOf(root, indexFile)) {
    if (imp.target && imp.names.includes('*')) {
      const found = imp.target.endsWith('/index.ts') ? sourceOf(root, imp.target, name, seen) : imp.target;
      if (found) return found;
    }
  }
  return null;
}

export function checkBoundaries(root) {
  const problems = [];
  const worker = 'src/worker';
  const folderOf = (f) => (f.startsWith(`${worker}/`) ? f.slice(worker.length + 1).split('/')[0] : null);
  for (const d of fs.readdirSync(path.join(root, worker), { withFileTypes: true })) {
    if (d.isDirectory() && !(d.name in RANKS)) problems.push(`${worker}/${d.name}/ is not in RANKS of scripts/check-boundaries.mjs: give it a rank`);
    if (d.isFile()) problems.push(`${worker}/${d.name}: every module of src/worker belongs to a folder`);
  }
  for (const file of walk(root, worker)) {
    const a = folderOf(file);
    const inA = file.slice(worker.length + a.length + 2);
    const isDo = inA.endsWith('durable-object.ts');
    for (const imp of importsOf(root, file)) {
      const t = imp.target;
      if (!t) continue;
      const b = folderOf(t);
      const where = `${file}: import '${imp.spec}'`;
      if (t.startsWith(`${worker}/`) && b !== a && b in RANKS) {
        const inB = t.slice(worker.length + b.length + 2);
        const rootEntry = (a === 'compose' && ROUTE_MODULE.test(inB)) || (isDo && t === `${worker}/compose/wiring.ts`);
        if (inB.endsWith('durable-object.ts')) problems.push(`${where}: only src/index.ts imports a Durable Object class`);
        else if (!rootEntry && b !== 'platform' && inB !== 'index.ts') problems.push(`${where}: reach ${b}/ through its index.ts`);
        if (!rootEntry && RANKS[b] >= RANKS[a]) problems.push(`${where}: ${a}/ (rank ${RANKS[a]}) may not import ${b}/ (rank ${RANKS[b]})`);
      }
      if (/-repo\.ts$/.test(file)) {
        for (const name of imp.names) {
          const source = t.endsWith('/index.ts') && name !== '*' ? (sourceOf(root, t, name) ?? t) : t;
          if (!REPO_SOURCES.some((r) => r.test(source))) problems.push(`${where}: a repository imports no use case (${name} is from ${source})`);
        }
      }
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '..'));
  const problems = checkBoundaries(root);
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`\n${problems.length} boundary problem(s): see docs/ARCHITECTURE.md §1`);
    process.exit(1);
  }
}
