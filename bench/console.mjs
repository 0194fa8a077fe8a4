#!/usr/bin/env node
/**
 * `npm run bench:console`: each console page's server time on `wrangler dev` against 1,000,000
 * orders over 90 days (figures, not a test). Steps: fresh persisted state + migrations; the seed
 * (bench/console-seed.sql) written straight into the local D1 SQLite file with the sqlite3 CLI (no
 * seed endpoint exists, so there is no public write path); EXPLAIN QUERY PLAN of the page queries;
 * `wrangler dev` on a free 127.0.0.1 port; login; each page fetched RUNS times, reporting the
 * worker's own Server-Timing (app;dur) and the client's wall time. wrangler is always killed.
 *
 * Target (issue 13): every page under 300 ms. Knobs: BENCH_RUNS (default 7), BENCH_KEEP=1 keeps
 * the persisted state directory (its path is printed).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { localD1File, ROOT, WRANGLER_ENV, wranglerDevState } from './wrangler-dev.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const ADMIN_TOKEN = 'sandbox-admin-token-not-for-live-use'; // wrangler.toml [vars] sandbox default
const TARGET_MS = 300;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, env: WRANGLER_ENV, encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const sqlite = (db, sql) => run('sqlite3', [db], { input: sql });

const dev = wranglerDevState({ prefix: 'wxpay-console-bench-', hardLimitMs: 30 * 60_000, keepState: process.env.BENCH_KEEP === '1', killSignal: 'SIGKILL' });
const persist = dev.persistDir;
console.log(`persisted state: ${persist}`);
dev.migrate();
const db = localD1File(persist);
if (!db) throw new Error('local D1 file not found');

const now = new Date().toISOString();
const t = Date.now();
sqlite(db, readFileSync(path.join(ROOT, 'bench/console-seed.sql'), 'utf8').replaceAll(':now', `'${now}'`));
console.log(
  `seeded in ${((Date.now() - t) / 1000).toFixed(1)} s: ${sqlite(db, 'SELECT COUNT(*) FROM orders;').trim()} orders, ${sqlite(db, 'SELECT COUNT(*) FROM refunds;').trim()} refunds, ${sqlite(db, 'SELECT COUNT(*) FROM notifications;').trim()} notifications, ${sqlite(db, 'SELECT COUNT(*) FROM anomalies;').trim()} anomalies; ${(statSync(db).size / 1e6).toFixed(0)} MB`,
);

const sample = sqlite(
  db,
  "SELECT out_trade_no, transaction_id, prepay_openid FROM orders WHERE status = 'PARTIALLY_REFUNDED' ORDER BY created_at DESC LIMIT 1;",
)
  .trim()
  .split('|');
const [no, txn, openid] = sample;
const bjDay = (ms) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
const today = bjDay(Date.now());
const weekAgo = bjDay(Date.now() - 6 * 86_400_000);

console.log('\nEXPLAIN QUERY PLAN (every page query reads through an index; no SCAN of orders):');
const plans = {
  overview: `SELECT * FROM console_daily WHERE day >= '${weekAgo}' AND day <= '${today}' ORDER BY day`,
  'open anomalies': 'SELECT COUNT(*) AS n FROM anomalies WHERE acknowledged_at IS NULL',
  'orders, newest': 'SELECT * FROM orders ORDER BY created_at DESC, out_trade_no DESC LIMIT 51',
  'orders, status': "SELECT * FROM orders WHERE status = 'PAID' ORDER BY created_at DESC, out_trade_no DESC LIMIT 51",
  'orders, search': `SELECT * FROM orders WHERE out_trade_no IN (SELECT out_trade_no FROM orders WHERE out_trade_no = '${txn}' UNION ALL SELECT out_trade_no FROM orders WHERE transaction_id = '${txn}' UNION ALL SELECT out_trade_no FROM orders WHERE COALESCE(prepay_openid, openid) = '${txn}') ORDER BY created_at DESC, out_trade_no DESC LIMIT 51`,
  'orders, masked openid': `SELECT * FROM orders WHERE COALESCE(prepay_openid, openid) >= '${openid.slice(0, 4)}' AND COALESCE(prepay_openid, openid) < '${openid.slice(0, 4)}z' ORDER BY created_at DESC, out_trade_no DESC LIMIT 51`,
  refunds: 'SELECT * FROM refunds ORDER BY created_at DESC, out_refund_no DESC LIMIT 51',
  'order timeline': `SELECT id FROM notifications WHERE out_trade_no = '${no}' ORDER BY received_at, id LIMIT 200`,
  'timeline webhooks': `SELECT a.* FROM events e JOIN event_attempts a ON a.event_id = e.id WHERE e.out_trade_no = '${no}' ORDER BY a.id LIMIT 500`,
  'last reconciliation': "SELECT * FROM reconciliation_runs WHERE bill_date >= '20260101' AND bill_date <= '20261231' ORDER BY bill_date DESC LIMIT 1",
  'webhook health (7 d)': `WITH RECURSIVE b(lo, hi) AS (SELECT COALESCE((SELECT MIN(seq) FROM events), 1), COALESCE((SELECT MAX(seq) FROM events), 0) + 1 UNION ALL SELECT CASE WHEN (SELECT created_at FROM events WHERE seq >= (lo + hi) / 2 ORDER BY seq LIMIT 1) < '2026-01-01' THEN (lo + hi) / 2 + 1 ELSE lo END, CASE WHEN (SELECT created_at FROM events WHERE seq >= (lo + hi) / 2 ORDER BY seq LIMIT 1) < '2026-01-01' THEN hi ELSE (lo + hi) / 2 END FROM b WHERE lo < hi) SELECT status, COUNT(*) AS n FROM events WHERE seq >= (SELECT hi FROM b WHERE lo >= hi LIMIT 1) GROUP BY status`,
  'events, newest': 'SELECT * FROM events ORDER BY seq DESC LIMIT 51',
  'events, by type': "SELECT * FROM events WHERE type = 'order.paid' ORDER BY seq DESC LIMIT 51",
};
for (const [name, sql] of Object.entries(plans)) {
  const plan = sqlite(db, `EXPLAIN QUERY PLAN ${sql};`)
    .trim()
    .split('\n')
    .filter((l) => /SCAN|SEARCH|USE TEMP/.test(l))
    .map((l) => l.replace(/^[|`\- ]+/, ''))
    .join('; ');
  console.log(`  ${name.padEnd(22)} ${plan}`);
}

const origin = await dev.start({ args: ['--log-level', 'warn'], readyTimeoutMs: 120_000 });

const login = await fetch(`${origin}/admin/login`, {
  method: 'POST',
  redirect: 'manual',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
  body: new URLSearchParams({ operator: 'bench', token: ADMIN_TOKEN }),
});
const cookie = login.headers
  .getSetCookie()
  .find((c) => c.startsWith('wxpay_admin='))
  ?.split(';')[0];
if (!cookie) throw new Error(`login failed: ${login.status}`);

const firstPage = await (await fetch(`${origin}/admin/orders`, { headers: { Cookie: cookie } })).text();
const nextHref = /id="next-page" href="([^"]+)"/.exec(firstPage)?.[1]?.replaceAll('&amp;', '&');

const pages = [
  ['概览 /admin', '/admin'],
  ['订单 (newest)', '/admin/orders'],
  ['订单 page 2', nextHref],
  ['订单 status=PAID', '/admin/orders?status=PAID'],
  ['订单 7 days + status', `/admin/orders?status=REFUNDED&from=${weekAgo}&to=${today}`],
  ['订单 search txn', `/admin/orders?q=${txn}`],
  ['订单 search openid', `/admin/orders?q=${openid}`],
  ['订单 search masked', `/admin/orders?q=${encodeURIComponent(`${openid.slice(0, 4)}…`)}`],
  ['订单详情', `/admin/orders/${no}`],
  ['退款', '/admin/refunds'],
  ['异常', '/admin/anomalies'],
  ['异常 (all)', '/admin/anomalies?all=1'],
  ['CSV today (full body)', `/admin/orders.csv?from=${today}&to=${today}`],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\npage server time on wrangler dev (${RUNS} runs after one warm-up; app = the worker's Server-Timing, wall = client)`);
console.log(`  ${'page'.padEnd(24)} ${'app p50'.padStart(8)} ${'app max'.padStart(8)} ${'wall p50'.padStart(9)} ${'wall max'.padStart(9)}  status`);
let worst = 0;
for (const [name, p] of pages) {
  if (!p) continue;
  const app = [];
  const wall = [];
  let status = 0;
  let bytes = 0;
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    const res = await fetch(origin + p, { headers: { Cookie: cookie } });
    const body = await res.arrayBuffer();
    const t1 = performance.now();
    status = res.status;
    bytes = body.byteLength;
    if (i === 0) continue;
    wall.push(t1 - t0);
    app.push(Number(/dur=([\d.]+)/.exec(res.headers.get('Server-Timing') ?? '')?.[1] ?? NaN));
  }
  worst = Math.max(worst, median(wall));
  const extra = p.includes('.csv') ? ` ${(bytes / 1e6).toFixed(1)} MB` : '';
  console.log(
    `  ${name.padEnd(24)} ${median(app).toFixed(1).padStart(8)} ${Math.max(...app)
      .toFixed(1)
      .padStart(8)} ${median(wall).toFixed(1).padStart(9)} ${Math.max(...wall)
      .toFixed(1)
      .padStart(9)}  ${status}${extra}`,
  );
}
console.log(`\nworst page median wall time: ${worst.toFixed(1)} ms (target < ${TARGET_MS} ms: ${worst < TARGET_MS ? 'met' : 'NOT met'})`);
process.exit(0);
