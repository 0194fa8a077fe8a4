#!/usr/bin/env node
/**
 * `npm run bench:reconcile`: T+1 reconciliation figures for N = 10,000 and 100,000 payments (not a test).
 *
 * Part 1, memory (Node): a generated N-row gzip bill (the simulator's column set, built line by line
 * through zlib, never whole) goes through the gateway's own path: DecompressionStream →
 * TextDecoderStream → core readBillLines → billEntry/addToTotals → 2,000-row chunks → comparePayment
 * against a per-chunk lookup (the batched D1 read). Peak heap and RSS are sampled per chunk. workerd
 * exposes no per-invocation heap figure, so this is the measurable stand-in for one invocation's
 * parse; the whole-text parseBill is measured beside it for contrast.
 *
 * Part 2, wall time (wrangler dev): fresh local state, N synthetic paid trades in the simulator
 * (POST /sandbox/sim/bulk-trades) and the same N PAID orders in D1 (wrangler d1 execute), then
 * POST /v1/reconciliations and GET until final. The workerd process's peak RSS is sampled from
 * /proc (the whole runtime, simulator included: an upper bound, not one invocation).
 *
 * Knobs: BENCH_SIZES (default "10000,100000"), BENCH_PART ("1", "2" or both by default).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { build } from 'esbuild';
import { ROOT, runWrangler, sandboxVars, wranglerDevState } from './wrangler-dev.mjs';

const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const PART = process.env.BENCH_PART ?? 'both';
const CHUNK = 2000;
const MB = (n) => (n / 1048576).toFixed(1);

const dev = wranglerDevState({ prefix: 'wxpay-recon-bench-', hardLimitMs: 20 * 60_000 });

async function bundle(entry) {
  const out = await build({ entryPoints: [path.join(ROOT, entry)], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'silent' });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
}

const dayBack = (core, n) => core.formatWechatTime(new Date(Date.now() - n * 86_400_000)).slice(0, 8);

// ---- part 1 ----

function gzipBill(core, bulk, day, n, vars) {
  const gz = zlib.createGzip();
  const parts = [];
  gz.on('data', (b) => parts.push(b));
  const done = new Promise((r) => gz.on('end', r));
  gz.write('\ufeff' + bulk.ALL_COLUMNS.join(',') + '\r\n');
  let paid = 0;
  let fee = 0;
  for (let i = 0; i < n; i++) {
    const t = bulk.bulkTrade(day, i, n);
    const f = Math.round((t.total_fee * 6) / 1000);
    paid += t.total_fee;
    fee += f * 1000;
    const row = [
      `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)} 10:00:00`,
      vars.appId,
      vars.mchId,
      '0',
      '',
      t.transaction_id,
      t.out_trade_no,
      'oBenchOpenid',
      'JSAPI',
      'SUCCESS',
      'OTHERS',
      'CNY',
      core.formatYuan(t.total_fee),
      '0.00',
      '0',
      '0',
      '0.00',
      '0.00',
      '',
      '',
      'bench',
      '',
      core.formatYuanMilli(f * 1000),
      '0.60%',
      core.formatYuan(t.total_fee),
      '0.00',
      '',
    ];
    gz.write('`' + row.join(',`') + '\r\n');
  }
  gz.write(
    bulk.SUMMARY_COLUMNS.join(',') +
      '\r\n`' +
      [String(n), core.formatYuan(paid), '0.00', '0.00', core.formatYuanMilli(fee), core.formatYuan(paid), '0.00'].join(',`') +
      '\r\n',
  );
  gz.end();
  return done.then(() => Buffer.concat(parts));
}

async function memoryRun(core, bulk, n, vars) {
  const day = dayBack(core, 2);
  const gz = await gzipBill(core, bulk, day, n, vars);
  global.gc?.();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  let peakRss = base.rss;
  const sample = () => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  };
  const t0 = performance.now();
  const text = new Blob([gz])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'))
    .pipeThrough(new TextDecoderStream('utf-8', { fatal: true }));
  const totals = core.emptyBillTotals();
  let chunk = [];
  let matched = 0;
  const match = () => {
    // The batched D1 read stands in as a per-chunk Map of our rows for these out_trade_nos.
    const ours = new Map(
      chunk.map((e) => {
        const t = bulk.bulkTrade(day, Number(e.outTradeNo.slice(-7)), n);
        return [t.out_trade_no, { status: 'PAID', totalFee: t.total_fee, transactionId: t.transaction_id }];
      }),
    );
    for (const e of chunk) if (core.comparePayment(e, ours.get(e.outTradeNo) ?? null).kind === 'MATCHED') matched++;
    JSON.stringify(chunk); // the staging write's serialisation
    chunk = [];
    sample();
  };
  for await (const line of core.readBillLines(text)) {
    if (line.kind === 'error') throw new Error(line.reason);
    if (line.kind === 'record') {
      const e = core.billEntry(line.record);
      core.addToTotals(totals, e);
      chunk.push(e);
      if (chunk.length === CHUNK) match();
    } else if (line.kind === 'summary' && core.summaryDifference(totals, line.summary)) throw new Error('summary differs');
  }
  if (chunk.length) match();
  const ms = performance.now() - t0;
  if (matched !== n) throw new Error(`matched ${matched} of ${n}`);

  // Contrast: the whole-text parse.
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  const whole = core.parseBill(zlib.gunzipSync(gz).toString('utf8'));
  const wholeHeap = process.memoryUsage().heapUsed - before;
  if (!whole.ok) throw new Error(whole.reason);
  return {
    rows: n,
    'gzip MB': MB(gz.length),
    'stream ms': Math.round(ms),
    'stream peak heap Δ MB': MB(peakHeap - base.heapUsed),
    'stream peak RSS Δ MB': MB(peakRss - base.rss),
    'whole-text parseBill heap Δ MB': MB(wholeHeap),
  };
}

// ---- part 2 ----

/** Peak RSS of the workerd processes under wrangler's process group, sampled every 200 ms. */
function rssSampler() {
  let peak = 0;
  const pids = () => {
    const r = spawnSync('pgrep', ['-g', String(dev.pid())], { encoding: 'utf8' });
    return (r.stdout ?? '').split('\n').filter(Boolean);
  };
  const timer = setInterval(() => {
    for (const pid of pids()) {
      try {
        const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        if (comm !== 'workerd') continue;
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
        peak = Math.max(peak, kb * 1024);
      } catch {}
    }
  }, 200);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/**
 * Our side: the same N trades as PAID orders, written before wrangler dev starts, by one SQL statement
 * that mirrors bulkTrade (src/sandbox/bulk.ts); the run's BALANCED status proves they agree.
 */
function seedD1(n, day) {
  const now = Date.now(); // an order's times are epoch ms since migration 0016
  const sql = `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < ${n}),
    t(i, s) AS (SELECT i, (i * 86400) / ${n} FROM k)
    INSERT INTO orders (out_trade_no, description, total_fee, fee_type, status, sign_type, request_hash, transaction_id, time_end, paid_at, expires_at, created_at, updated_at)
    SELECT 'BULK${day}' || printf('%07d', i), 'bench', 1 + (i % 99999), 'CNY', 'PAID', 'HMAC-SHA256', 'bench', '4200009999${day}' || printf('%07d', i) || '0',
      '${day}' || printf('%02d%02d%02d', s / 3600, (s % 3600) / 60, s % 60), ${now}, ${now}, ${now}, ${now} FROM t`;
  const t0 = performance.now();
  runWrangler(['d1', 'execute', 'DB', '--local', '--persist-to', dev.persistDir, '--command', sql.replace(/\s+/g, ' ')], 'seed D1');
  return performance.now() - t0;
}

async function endToEnd(n, day, vars, base, seedMs) {
  const auth = { Authorization: `Bearer ${vars.token}`, 'Content-Type': 'application/json' };
  const t0 = performance.now();
  for (let start = 0; start < n; start += 10_000) {
    const res = await fetch(`${base}/sandbox/sim/bulk-trades`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ bill_date: day, count: n, start, n: Math.min(10_000, n - start) }),
    });
    if (!res.ok) throw new Error(`bulk-trades: ${res.status} ${await res.text()}`);
  }
  const seeded = performance.now();
  const rss = rssSampler();
  const r0 = performance.now();
  const post = await fetch(`${base}/v1/reconciliations`, { method: 'POST', headers: auth, body: JSON.stringify({ bill_date: day }) });
  if (post.status !== 202) throw new Error(`POST: ${post.status} ${await post.text()}`);
  let report;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    report = await (await fetch(`${base}/v1/reconciliations/${day}`, { headers: auth })).json();
    if (!['PENDING', 'RUNNING'].includes(report.status)) break;
    if (report.status === 'PENDING' && report.next_attempt_at && Date.parse(report.next_attempt_at) > Date.now() + 60_000)
      throw new Error(`bill fetch failed: ${JSON.stringify(report)}`);
  }
  const ms = performance.now() - r0;
  const peak = rss.stop();
  return {
    rows: n,
    status: report.status,
    items: report.item_counts.total,
    'bill payments': report.totals.bill?.payment_count,
    'our payments': report.totals.ours?.payment_count,
    'seed D1 s': (seedMs / 1000).toFixed(1),
    'seed simulator s': ((seeded - t0) / 1000).toFixed(1),
    'reconcile s': (ms / 1000).toFixed(1),
    'workerd peak RSS MB': MB(peak),
  };
}

async function main() {
  const core = await bundle('src/core/index.ts');
  const bulk = await bundle('src/sandbox/bulk.ts');
  const vars = sandboxVars();
  if (PART !== '2') {
    const rows = [];
    for (const n of SIZES) rows.push(await memoryRun(core, bulk, n, vars));
    console.log("part 1: streaming parse + match in Node (one invocation's work on the bill)");
    console.table(rows);
  }
  if (PART !== '1') {
    dev.migrate();
    const days = SIZES.map((n, k) => ({ n, day: dayBack(core, 2 + k) }));
    for (const d of days) d.seedMs = seedD1(d.n, d.day);
    const base = await dev.start();
    const rows = [];
    for (const d of days) rows.push(await endToEnd(d.n, d.day, vars, base, d.seedMs));
    console.log('part 2: end to end against wrangler dev (POST → final report)');
    console.table(rows);
  }
  dev.cleanup();
}

main().catch((e) => {
  console.error(e);
  if (dev.tail()) console.error('wrangler tail:\n' + dev.tail());
  dev.cleanup();
  process.exit(1);
});
