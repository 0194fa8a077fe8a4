#!/usr/bin/env node
/**
 * `npm run bench:evidence`: what an R2 put per notify would add to the notify path (docs/scaling.md §5
 * lever 1), the alternative to keeping bodies in D1 for EVIDENCE_DAYS and moving them in parts. Figures,
 * not a test. In one local workerd (Miniflare: D1 and R2 on local disk), BENCH_N notifies of a signed
 * notify's size, each as the path would do it: (a) today's, one D1 batch (the notification with its
 * ~1 KB body, plus a small row as the effect); (b) the alternative, the body put to R2 under its SHA-256
 * first (the reply must follow a durable record), then the same batch without the body. Prints each
 * one's latency (p50, p99, mean) seen from outside, and the Class A cost of (b) at 10k/100k/1M a day.
 * Local R2 is a file write: the difference printed is a floor, not production's (not measured here).
 */
import { Miniflare } from 'miniflare';

const N = Math.max(20, Math.min(5000, Number(process.env.BENCH_N ?? 500)));
const CLASS_A_PER_MILLION = 4.5; // USD, R2 Standard, docs/scaling.md §1

const script = `
const body = '<xml>' + '<field><![CDATA[' + 'x'.repeat(900) + ']]></field>' + '</xml>';
async function sha(text) {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    if (url.pathname === '/setup') {
      await env.DB.batch([
        env.DB.prepare('CREATE TABLE IF NOT EXISTS notifications (id INTEGER PRIMARY KEY, body_sha256 TEXT NOT NULL, raw_body TEXT, received_at INTEGER NOT NULL)'),
        env.DB.prepare('CREATE TABLE IF NOT EXISTS effects (id INTEGER PRIMARY KEY, n TEXT NOT NULL)'),
      ]);
      return new Response('ok');
    }
    const text = body + url.searchParams.get('i');
    const h = await sha(text);
    const toR2 = url.pathname === '/r2';
    if (toR2) await env.R2.put('evidence/' + h, text, { sha256: h });
    await env.DB.batch([
      env.DB.prepare('INSERT INTO notifications (body_sha256, raw_body, received_at) VALUES (?1, ?2, ?3)').bind(h, toR2 ? null : text, Date.now()),
      env.DB.prepare('INSERT INTO effects (n) VALUES (?1)').bind(h),
    ]);
    return new Response('ok');
  },
};`;

const mf = new Miniflare({ modules: true, script, d1Databases: ['DB'], r2Buckets: ['R2'], compatibilityDate: '2025-01-01' });
const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function run(path) {
  const ms = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    const res = await mf.dispatchFetch(`http://bench${path}?i=${path}${i}`);
    await res.text();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { p50: q(ms, 50), p99: q(ms, 99), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

try {
  await (await mf.dispatchFetch('http://bench/setup')).text();
  await run('/d1'); // warm-up
  const d1 = await run('/d1');
  const r2 = await run('/r2');
  const f = (x) => x.toFixed(2).padStart(6);
  console.log(`bench: ${N} notifies each way, sequential, local workerd (Miniflare; D1 and R2 on local disk)`);
  console.log(`  body in D1 (one batch)         p50 ${f(d1.p50)} ms  p99 ${f(d1.p99)} ms  mean ${f(d1.mean)} ms`);
  console.log(`  R2 put, then the batch         p50 ${f(r2.p50)} ms  p99 ${f(r2.p99)} ms  mean ${f(r2.mean)} ms`);
  console.log(`  added by the put (local)       p50 ${f(r2.p50 - d1.p50)} ms  mean ${f(r2.mean - d1.mean)} ms`);
  for (const daily of [10_000, 100_000, 1_000_000]) {
    const month = daily * 30;
    console.log(
      `  at ${daily.toLocaleString('en-US')} notifies a day: ${(month / 1e6).toFixed(1)} M Class A puts a month = $${((month / 1e6) * CLASS_A_PER_MILLION).toFixed(2)}; moved in parts of 1,000: $${((month / 1000 / 1e6) * CLASS_A_PER_MILLION).toFixed(4)}`,
    );
  }
} finally {
  await mf.dispose();
}
