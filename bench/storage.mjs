#!/usr/bin/env node
/**
 * `npm run bench:storage`: how many bytes of D1 a paid order costs, measured on the real app (figures,
 * not a test; the instrument behind docs/scaling.md). Steps: fresh persisted state + migrations;
 * `wrangler dev` on a free 127.0.0.1 port with WEBHOOK_URL = the simulator's own test receiver (so every
 * event is delivered and its attempt recorded, as in production) and --test-scheduled (the lifecycle
 * cron on demand); a realistic mix seeded through the HTTP API against the embedded sandbox, in
 * phases, each measured with SQLite's dbstat on the local D1 file (the sqlite3 CLI, read-only: D1
 * itself answers "no such table: dbstat"). wrangler is always killed.
 *
 *   0 empty      the migrated schema, nothing else
 *   1 unpaid     BENCH_CLOSED orders created, most with a payment attempt (prepay), expiring in 6 min
 *   2 paid       BENCH_ORDERS orders, each created, given a payment attempt (JSAPI 55 %, MINIPROGRAM 15 %,
 *                NATIVE 15 %, MWEB 10 %, APP 5 %), paid by a buyer in the simulator (/sandbox/sim/pay),
 *                its signed notify applied, order.paid delivered to the receiver
 *   3 refunds    BENCH_REFUND_PCT % of the paid orders partly refunded (about 30 %), the refund notify
 *                flushed and applied, refund.succeeded delivered
 *   4 anomalies  BENCH_ANOMALIES authentic but inapplicable messages, in turn: a notify with a wrong
 *                amount and a notify for an unknown order (both signed by src/sandbox/notify.ts, bundled
 *                with esbuild), and a duplicate payment (a second attempt of a paid order paid: anomaly,
 *                automatic refund, its refund notify)
 *   5 closed     once they have expired (the bench waits if it must; WeChat's time_expire and close rules
 *                want 5 minutes): half of phase 1 closed by the merchant (POST /v1/orders/:no/close), the
 *                rest closed as expired by lifecycle cron ticks
 *   6 history    after the report: the nightly archive job at a time HISTORY_DAYS + 1 days on moves the
 *                history of every paid, final order to R2 (its order row stays); read back and one refunded
 *   7 evidence   the job at a time 8 days on: its evidence step moves every raw notify body still in D1
 *                past EVIDENCE_DAYS to R2
 *   8 archive    the job at a time HOT_DAYS + 1 days on archives whole orders; read back, one refunded;
 *                measured live and as a vacuumed copy
 *
 * Printed: bytes per table and per index (dbstat pgsize: whole pages, as the database file grows) and
 * their payload; bytes per paid order three ways (the paid phase alone; the whole mix, i.e. every
 * phase's growth over the empty schema divided by the paid orders; the whole file); bytes per partial
 * refund, per closed order and per anomaly (phase differences); where each table's bytes go (average
 * stored bytes per column); the R2 archive estimate (the same rows as gzip'd NDJSON, measured with
 * node:zlib); the projection at BENCH_DAILY paid orders a day (D1 per day, hot size at HOT_DAYS, days
 * until 10 GB, R2 per year) and at 10k / 100k / 1M a day; then the same with the window as built (each
 * phase 6–8 reading for the days it lasts). The whole mix before anything moves is printed against the
 * goal for reference; PASS/FAIL is the window as built against the goal (≤ 1,000 B of D1 per paid order
 * hot on the window's average; 90 days hot at 100,000 paid orders a day within 9 GB; one D1 lasting at
 * least 90 days); exit code 1 on FAIL, 2 on the hard time limit.
 *
 * Knobs: BENCH_ORDERS (paid orders, default 1000, 10..3000), BENCH_REFUND_PCT (default 10),
 * BENCH_CLOSED (default 50; 0 skips phases 1 and 5 and the wait for their expiry), BENCH_ANOMALIES (default 6),
 * BENCH_CONCURRENCY (HTTP requests in flight, default 6), BENCH_DAILY (paid orders a day for the
 * projection, default 100000), HOT_DAYS (default 90), HISTORY_DAYS (default 3), BENCH_API_VERSION (v2, the default, or v3: the
 * gateway's WECHAT_API_VERSION, so the simulator sends v3 notifies; the anomalies' crafted notifies stay v2,
 * on the v2 route), BENCH_KEEP=1 keeps the persisted state (its path is printed). Hard time limit: 25
 * minutes. Needs Debian's sqlite3 CLI (with dbstat, as Debian builds it). Takes about 7 minutes at the
 * defaults on 2 shared cores, half of it waiting for phase 1's orders to expire.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadSigner, localD1File, pool, ROOT, sandboxVars, wranglerDevState } from './wrangler-dev.mjs';

const knob = (name, dflt, lo, hi) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${name} must be an integer from ${lo} to ${hi}`);
  return v;
};
const ORDERS = knob('BENCH_ORDERS', 1000, 10, 3_000);
const REFUND_PCT = knob('BENCH_REFUND_PCT', 10, 0, 100);
const CLOSED = knob('BENCH_CLOSED', 50, 0, 2_000);
const ANOMALIES = knob('BENCH_ANOMALIES', 6, 0, 300);
const CONCURRENCY = knob('BENCH_CONCURRENCY', 6, 1, 32);
const DAILY = knob('BENCH_DAILY', 100_000, 1, 100_000_000);
const HOT_DAYS = knob('HOT_DAYS', 90, 1, 3650);
const HISTORY_DAYS = knob('HISTORY_DAYS', 3, 1, 3650);
/** Bodies move after this many days (the gateway's default; the projection assumes HISTORY_DAYS ≤ it). */
const EVIDENCE_DAYS = 7;
const API_VERSION = process.env.BENCH_API_VERSION ?? 'v2';
if (API_VERSION !== 'v2' && API_VERSION !== 'v3') throw new Error('BENCH_API_VERSION must be v2 or v3');

/** The goal (the issue): at most this many bytes of D1 per paid order, and this many days of orders in one D1 at 100,000 a day. */
const GOAL = { bytesPerPaidOrder: 1000, days: 90, daily: 100_000 };
/** D1's maximum database size (developers.cloudflare.com/d1/platform/limits/), in bytes: "10 GB", decimal. */
const D1_MAX_BYTES = 10e9;
/**
 * The unpaid cohort's expiry: WeChat wants time_expire more than 5 minutes after unifiedorder (the simulator
 * answers PARAM_ERROR otherwise), and refuses closeorder within 5 minutes of creation (the gateway too:
 * CLOSE_TOO_EARLY). Phase 5 starts once these orders have expired.
 */
const UNPAID_EXPIRES_MIN = 6;
const CLOSE_AFTER_MS = UNPAID_EXPIRES_MIN * 60_000 + 10_000;
/** The order-linked tables an R2 archive by day would hold; the rest (counters, sessions, reconciliation) stays hot. */
const ARCHIVE_TABLES = ['orders', 'payment_attempts', 'refunds', 'ledger', 'notifications', 'anomalies', 'events', 'event_attempts'];
const BUYERS = 24;
const DESCRIPTIONS = [
  '会员月卡',
  '年度会员 · 自动续费',
  '精品咖啡豆 500g ×2',
  '电影票 2张 · 7号厅',
  '外卖订单',
  '课程：Python 入门（第3期）',
  'Wireless earbuds, black',
  '充值 100 元',
];

const started = Date.now();
const dev = wranglerDevState({ prefix: 'wxpay-storage-bench-', hardLimitMs: 25 * 60_000, keepState: process.env.BENCH_KEEP === '1' });
const vars = sandboxVars();
const protocol = readFileSync(path.join(ROOT, 'src/core/sandbox-protocol.ts'), 'utf8');
const constant = (name) => new RegExp(`export const ${name} = '([^']+)'`).exec(protocol)?.[1];
const APPIDS = { mp: vars.appId, mini: constant('SANDBOX_MINI_PROGRAM_APPID'), app: constant('SANDBOX_APP_APPID') };
const MERCHANT = { appId: vars.appId, mchId: vars.mchId, key: vars.key, signType: vars.signType };
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the local D1 file, read-only ----

let dbFile = null;
function sql(query) {
  const r = spawnSync('sqlite3', ['-readonly', '-json', dbFile, query], { encoding: 'utf8', maxBuffer: 512 << 20 });
  if (r.status !== 0) throw new Error(`sqlite3 failed (${r.status ?? r.error}): ${r.stderr}\n${query.slice(0, 300)}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}
const one = (query) => Object.values(sql(query)[0] ?? { v: null })[0];
const isPlatform = (name) => name.startsWith('sqlite_') || name.startsWith('_cf_') || name === 'd1_migrations';

/** Every b-tree's pages (dbstat pgsize) and payload, by name, with its table; row counts; the file's pages. */
function snapshot(label) {
  const owner = new Map([['sqlite_schema', { table: 'sqlite_schema', type: 'table' }]]);
  for (const o of sql("SELECT name, type, tbl_name AS tbl FROM sqlite_schema WHERE type IN ('table', 'index')"))
    owner.set(o.name, { table: o.tbl, type: o.type });
  const objects = new Map();
  for (const r of sql('SELECT name, SUM(pgsize) AS bytes, SUM(payload) AS payload FROM dbstat GROUP BY name')) {
    const o = owner.get(r.name) ?? { table: r.name, type: 'table' };
    objects.set(r.name, { ...o, bytes: r.bytes, payload: r.payload });
  }
  const tables = [...owner.entries()].filter(([n, o]) => o.type === 'table' && n !== 'sqlite_schema').map(([n]) => n);
  const counts = sql(tables.map((t) => `SELECT '${t}' AS t, COUNT(*) AS n FROM "${t}"`).join(' UNION ALL '));
  const rows = new Map(counts.map((c) => [c.t, c.n]));
  const file = sql('SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size) AS bytes')[0];
  const total = [...objects.values()].reduce((s, o) => s + o.bytes, 0);
  console.log(`bench: [${elapsed()}] ${label}: ${fmt(total)} B in b-trees, file ${fmt(file.bytes)} B`);
  return { label, objects, rows, total, file };
}

/** Bytes of `s` minus `base` per b-tree name (table or index), or per table with its indexes. */
const delta = (s, base, name) => (s.objects.get(name)?.bytes ?? 0) - (base.objects.get(name)?.bytes ?? 0);
const tableGroup = (s, table) => [...s.objects.entries()].filter(([, o]) => o.table === table).map(([n]) => n);
const groupDelta = (s, base, table) => [...new Set([...tableGroup(s, table), ...tableGroup(base, table)])].reduce((a, n) => a + delta(s, base, n), 0);

// ---- the app, over HTTP ----

let base = '';
/**
 * One request; JSON (or text) back. `retry`: only for requests that are idempotent (a payment attempt, a
 * refund with its out_refund_no, a close, the simulator's controls), sent again after a 502/503 under load.
 */
async function http(method, p, body, { auth = true, expect = [200, 201], retry = false } = {}) {
  const headers = {};
  if (auth) headers.Authorization = `Bearer ${vars.token}`;
  if (body !== undefined) headers['Content-Type'] = typeof body === 'string' ? 'text/xml' : 'application/json';
  let lastError = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const res = await fetch(base + p, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let json = text;
    try {
      json = JSON.parse(text);
    } catch {}
    if (expect.includes(res.status)) return json;
    lastError = new Error(`${method} ${p}: HTTP ${res.status} ${text.slice(0, 400)}`);
    if (!retry || (res.status !== 503 && res.status !== 502)) break; // RETRY_LATER / UPSTREAM_UNAVAILABLE: the same request again
    await sleep(500 * (attempt + 1));
  }
  throw lastError;
}

/** Waits until every event is delivered (none pending); the events outbox is the app's own record of it. */
async function webhooksDelivered(what) {
  const deadline = Date.now() + 120_000 + ORDERS * 200;
  for (;;) {
    const pending = one("SELECT COUNT(*) FROM events WHERE status <> 'delivered'");
    if (pending === 0) return;
    if (Date.now() > deadline) throw new Error(`${what}: ${pending} events still not delivered`);
    await sleep(1000);
  }
}

async function waitFor(what, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = await check();
    if (missing === 0) return;
    if (Date.now() > deadline) throw new Error(`${what}: ${missing} not there after ${timeoutMs / 1000} s`);
    await sleep(1000);
  }
}

const buyers = { mp: [], mini: [], app: [] };
async function registerBuyers() {
  for (const [kind, appid] of Object.entries(APPIDS)) {
    buyers[kind] = await pool(
      Array.from({ length: BUYERS }, (_, i) => `buyer${String(i).padStart(2, '0')}`),
      CONCURRENCY,
      async (name) => (await http('POST', '/sandbox/sim/users', { name, appid }, { auth: false })).openid,
    );
  }
}

/** The mix of trade types, by order index (out of 20): JSAPI 11, MINIPROGRAM 3, NATIVE 3, MWEB 2, APP 1. */
const tradeTypeOf = (i) => {
  const k = i % 20;
  return k < 11 ? 'JSAPI' : k < 14 ? 'MINIPROGRAM' : k < 17 ? 'NATIVE' : k < 19 ? 'MWEB' : 'APP';
};
const buyerAppOf = { JSAPI: 'mp', MINIPROGRAM: 'mini', NATIVE: 'mp', MWEB: 'mp', APP: 'app' };
const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10).replaceAll('-', '');

/** An order as a merchant's server creates it: own number or the gateway's, sometimes attach and metadata. */
async function createOrder(tag, i, { expiresInMinutes, openid } = {}) {
  const body = {
    description: DESCRIPTIONS[i % DESCRIPTIONS.length],
    total_fee: 100 + ((i * 7919) % 49_900),
    ...(i % 2 === 0 ? { out_trade_no: `${tag}${today}${String(i).padStart(8, '0')}` } : {}),
    ...(i % 3 === 0 ? { attach: `store=SH-${String(i % 40).padStart(3, '0')}` } : {}),
    ...(i % 2 === 1 ? { metadata: { user_id: `u${1_000_000 + ((i * 31) % 900_000)}`, sku: `SKU-${(i * 13) % 500}` } } : {}),
    ...(openid ? { openid } : {}),
    ...(expiresInMinutes ? { expires_in_minutes: expiresInMinutes } : {}),
  };
  const order = await http('POST', '/v1/orders', body);
  return { no: order.out_trade_no, totalFee: order.total_fee };
}

/** A payment attempt of `tradeType` for a buyer; returns the attempt, the handle the buyer pays with, and the buyer. */
async function startPayment(no, tradeType, i) {
  const buyer = buyers[buyerAppOf[tradeType]][i % BUYERS];
  const body = { trade_type: tradeType };
  if (tradeType === 'JSAPI' || tradeType === 'MINIPROGRAM') body.openid = buyer;
  if (tradeType === 'MWEB') body.client_ip = `203.0.113.${1 + (i % 250)}`;
  const a = await http('POST', `/v1/orders/${no}/payments`, body, { retry: true });
  const pay = a.pay ?? {};
  const handle =
    tradeType === 'NATIVE'
      ? { code_url: pay.code_url }
      : tradeType === 'MWEB'
        ? { mweb_url: pay.mweb_url }
        : tradeType === 'APP'
          ? { prepay_id: pay.prepayid }
          : { prepay_id: String(pay.package).replace(/^prepay_id=/, '') };
  if (!Object.values(handle)[0]) throw new Error(`${no}: no pay handle in ${JSON.stringify(a).slice(0, 300)}`);
  return { paymentNo: a.payment_no, handle, buyer };
}

/** The buyer pays in the simulator, which sends the signed notify (first attempt done when this returns). */
async function simPay({ handle, buyer }) {
  const r = await http('POST', '/sandbox/sim/pay', { ...handle, openid: buyer }, { auth: false });
  if (r.ok !== true) throw new Error(`sim pay: ${JSON.stringify(r).slice(0, 300)}`);
  return r;
}

/** Flushes a notify delivery that has not been acknowledged yet (a 503 under load is retried by the simulator later). */
const flush = (key) => http('POST', '/sandbox/sim/deliveries/flush', key, { auth: false, retry: true });

// ---- the phases ----

async function phaseUnpaid() {
  const cohort = await pool(
    Array.from({ length: CLOSED }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const { no } = await createOrder('CL', i, { expiresInMinutes: UNPAID_EXPIRES_MIN });
      if (i % 4 !== 3) await startPayment(no, i % 2 ? 'NATIVE' : 'JSAPI', i); // one in four never reaches a payment attempt
      return no;
    },
  );
  return { cohort, createdAt: Date.now() };
}

async function phasePaid() {
  const paid = await pool(
    Array.from({ length: ORDERS }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const tradeType = tradeTypeOf(i);
      const knownBuyer = tradeType === 'JSAPI' && i % 4 === 0 ? buyers.mp[i % BUYERS] : undefined; // the merchant already knows the buyer
      const order = await createOrder('SH', i, { openid: knownBuyer });
      const attempt = await startPayment(order.no, tradeType, i);
      const r = await simPay(attempt);
      if ((i + 1) % 250 === 0) console.log(`bench: [${elapsed()}] ${i + 1}/${ORDERS} paid`);
      return { ...order, paymentNo: attempt.paymentNo, acknowledged: r.notify?.state === 'acknowledged' };
    },
  );
  const late = paid.filter((p) => !p.acknowledged);
  for (const p of late) await flush({ out_trade_no: p.paymentNo });
  await waitFor('paid orders', () => ORDERS - one('SELECT COUNT(*) FROM orders WHERE paid_at IS NOT NULL'));
  await webhooksDelivered('order.paid');
  return { paid, late: late.length };
}

async function phaseRefunds(paid) {
  const count = Math.round((ORDERS * REFUND_PCT) / 100);
  const step = count ? ORDERS / count : 1;
  const targets = Array.from({ length: count }, (_, k) => paid[Math.floor(k * step)]);
  const refunds = await pool(targets, CONCURRENCY, async (o, k) => {
    const fee = Math.max(1, Math.floor(o.totalFee * 0.3));
    const body = { refund_fee: fee, out_refund_no: `${o.no}-R1`, reason: k % 2 ? '尺码不合适' : undefined };
    const r = await http('POST', `/v1/orders/${o.no}/refunds`, body, { retry: true });
    await flush({ out_refund_no: r.out_refund_no });
    return r.out_refund_no;
  });
  await waitFor('refunds SUCCESS', () => count - one("SELECT COUNT(*) FROM refunds WHERE status = 'SUCCESS'"), 90_000);
  await webhooksDelivered('refund.succeeded');
  return refunds;
}

async function phaseAnomalies(signer) {
  const kinds = { AMOUNT_MISMATCH: 0, UNKNOWN_ORDER: 0, DUPLICATE_PAYMENT: 0 };
  const dupRefunds = [];
  await pool(
    Array.from({ length: ANOMALIES }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const kind = Object.keys(kinds)[i % 3];
      kinds[kind]++;
      if (kind === 'UNKNOWN_ORDER') {
        const { xml } = await signer.buildSignedPayNotify({ out_trade_no: `NOSUCH${today}${String(i).padStart(8, '0')}`, total_fee: 1999 }, MERCHANT);
        const reply = await http('POST', '/wechat/notify', xml, { auth: false });
        if (!String(reply).includes('SUCCESS')) throw new Error(`unknown-order notify: ${reply}`);
        return;
      }
      const order = await createOrder('AN', i);
      const first = await startPayment(order.no, 'JSAPI', i);
      if (kind === 'AMOUNT_MISMATCH') {
        // Authentic (signed with the merchant key by the project's own signer), for this attempt and buyer, but 1 fen more.
        const { xml } = await signer.buildSignedPayNotify(
          { out_trade_no: first.paymentNo, total_fee: order.totalFee + 1, openid: first.buyer, trade_type: 'JSAPI' },
          MERCHANT,
        );
        const reply = await http('POST', '/wechat/notify', xml, { auth: false });
        if (!String(reply).includes('SUCCESS')) throw new Error(`amount-mismatch notify: ${reply}`);
        return;
      }
      // DUPLICATE_PAYMENT: the buyer pays the JSAPI attempt, then a second (NATIVE) attempt is paid too.
      const second = await startPayment(order.no, 'NATIVE', i + 1);
      await simPay(first);
      await simPay(second);
      dupRefunds.push(`dup_${second.paymentNo}`);
    },
  );
  await waitFor(
    'duplicate refunds filed',
    () => dupRefunds.length - one(`SELECT COUNT(*) FROM refunds WHERE out_refund_no LIKE 'dup\\_%' ESCAPE '\\'`),
    60_000,
  );
  for (const no of dupRefunds) await flush({ out_refund_no: no }).catch(() => null);
  await waitFor('duplicate refunds SUCCESS', async () => {
    const open = one(`SELECT COUNT(*) FROM refunds WHERE out_refund_no LIKE 'dup\\_%' ESCAPE '\\' AND status <> 'SUCCESS'`);
    if (open) for (const no of dupRefunds) await flush({ out_refund_no: no }).catch(() => null);
    return open;
  });
  await waitFor('anomalies', () => ANOMALIES - one('SELECT COUNT(*) FROM anomalies'));
  await webhooksDelivered('order.anomaly');
  return kinds;
}

async function phaseClosed({ cohort, createdAt }) {
  const wait = createdAt + CLOSE_AFTER_MS - Date.now();
  if (wait > 0) {
    console.log(`bench: [${elapsed()}] waiting ${(wait / 1000).toFixed(0)} s for phase 1's orders to expire`);
    await sleep(wait);
  }
  const byMerchant = cohort.filter((_, i) => i % 2 === 0);
  await pool(byMerchant, CONCURRENCY, (no) => http('POST', `/v1/orders/${no}/close`, undefined, { retry: true }));
  // The rest have expired: the lifecycle cron closes them (at most 50 WeChat calls a tick).
  const open = () => one(`SELECT COUNT(*) FROM orders WHERE out_trade_no IN (${cohort.map((n) => `'${n}'`).join(', ')}) AND status <> 'CLOSED'`);
  for (let tick = 0; tick < 40 && open() > 0; tick++) {
    await http('GET', '/__scheduled?cron=*+*+*+*+*', undefined, { auth: false });
    await sleep(500);
  }
  await waitFor('closed orders', open);
  await webhooksDelivered('order.closed');
  return { byMerchant: byMerchant.length, byCron: cohort.length - byMerchant.length };
}

/**
 * 6 (after the report's phases): the nightly archive job at a time HISTORY_DAYS + 1 days on, so the history
 * of every paid, final order (its attempt, ledger, notifies with their bodies, events and their attempts)
 * moves to R2 while its order row stays. Then a sample reads as before through the API (trade type and
 * payments) and the console (the order.paid event and the transaction from the member), and one order is
 * refunded (its history comes back through its OrderGate first).
 */
async function phaseHistory(paid) {
  const cron = encodeURIComponent('*/10 17-20 * * *');
  const at = Date.now() + (HISTORY_DAYS + 1) * 86_400_000;
  const moved = () => one('SELECT COUNT(*) FROM orders WHERE history_part IS NOT NULL');
  let last = -1;
  for (let run = 0; run < 100 && moved() !== last; run++) {
    last = moved();
    await http('GET', `/cdn-cgi/handler/scheduled?cron=${cron}&time=${at}`, undefined, { auth: false });
  }
  const sample = [paid[1], paid[Math.floor(paid.length / 2) + 1], paid.at(-2)];
  const cookie = await consoleCookie();
  for (const o of sample) {
    if (one(`SELECT COUNT(*) FROM orders WHERE out_trade_no = '${o.no}' AND history_part IS NOT NULL`) !== 1) continue;
    const view = await http('GET', `/v1/orders/${o.no}`);
    const payments = await http('GET', `/v1/orders/${o.no}/payments`);
    if (view.archived || !view.trade_type || payments.data?.[0]?.transaction_id !== view.transaction_id)
      throw new Error(`GET /v1/orders/${o.no} after its history moved: ${JSON.stringify({ view, payments }).slice(0, 300)}`);
    const html = await (await fetch(`${base}/admin/orders/${o.no}`, { headers: { Cookie: cookie } })).text();
    if (!html.includes('order.paid') || !html.includes(view.transaction_id)) throw new Error(`console 订单详情 of ${o.no}: no history`);
  }
  const target = sample.find((o) => one(`SELECT COUNT(*) FROM orders WHERE out_trade_no = '${o.no}' AND history_part IS NOT NULL`) === 1);
  if (!target) throw new Error('no sampled order had its history moved');
  await refundOne(`${target.no}-RH`, target.no, 'the refund SUCCESS of an order whose history moved');
  return { moved: moved(), refunded: target.no, readBack: sample.length };
}

/**
 * 7: the nightly archive job at a time 8 days on, so its evidence step moves every notify body past
 * EVIDENCE_DAYS (7) still in D1 to R2 (those of orders whose history stayed; HOT_DAYS archives nothing yet).
 */
async function phaseEvidence() {
  const hot = () => one('SELECT COUNT(*) FROM notifications WHERE raw_body IS NOT NULL AND body_part IS NULL');
  const cron = encodeURIComponent('*/10 17-20 * * *');
  for (let run = 0; run < 10 && hot() > 0; run++) {
    await http('GET', `/cdn-cgi/handler/scheduled?cron=${cron}&time=${Date.now() + 8 * 86_400_000}`, undefined, { auth: false });
  }
  await waitFor('bodies moved', hot);
  return one('SELECT COUNT(*) FROM notifications WHERE raw_body IS NULL');
}

/**
 * 7 (after the evidence move): the hot window. The nightly archive job at a time HOT_DAYS + 1 days on,
 * run until D1 holds no more final orders: each leaves for R2 and a lookup row stays. Then the archived
 * orders are read back through `GET /v1/orders/:no` and the console's 订单详情, and one is refunded (the
 * refund restores it through its OrderGate first), its refund notify applied.
 */
async function phaseArchive(paid) {
  const cron = encodeURIComponent('*/10 17-20 * * *');
  const at = Date.now() + (HOT_DAYS + 1) * 86_400_000;
  const hot = () => one('SELECT COUNT(*) FROM orders');
  const startedWith = hot();
  let last = -1;
  for (let run = 0; run < 200 && hot() !== last; run++) {
    last = hot();
    await http('GET', `/cdn-cgi/handler/scheduled?cron=${cron}&time=${at}`, undefined, { auth: false });
  }
  const archived = one('SELECT COUNT(*) FROM archive_lookup WHERE kind = 0');
  // Read back: a sample through the API and the console, as a merchant would.
  const sample = [paid[0], paid[Math.floor(paid.length / 2)], paid.at(-1)];
  for (const o of sample) {
    const view = await http('GET', `/v1/orders/${o.no}`);
    if (view.archived !== true || view.total_fee !== o.totalFee)
      throw new Error(`GET /v1/orders/${o.no}: not the archived order (${JSON.stringify(view).slice(0, 200)})`);
  }
  const page = await fetch(`${base}/admin/orders/${sample[1].no}`, { headers: { Cookie: await consoleCookie() } });
  const html = await page.text();
  if (page.status !== 200 || !html.includes('已归档') || !html.includes(sample[1].no))
    throw new Error(`console 订单详情 of an archived order: HTTP ${page.status}`);
  // A refund after archiving (WeChat allows a year): the order comes back into D1, the refund runs as any.
  const target = paid.find((o) => one(`SELECT COUNT(*) FROM refunds WHERE out_refund_no = '${o.no}-R1'`) === 0) ?? paid[0];
  await refundOne(`${target.no}-RA`, target.no, "the archived order's refund SUCCESS");
  return { startedWith, archived, stillHot: hot(), refunded: target.no, readBack: sample.length };
}

/** Refunds 1 fen of an order through the API, applies its refund notify and waits for SUCCESS. */
async function refundOne(outRefundNo, outTradeNo, what) {
  const r = await http('POST', `/v1/orders/${outTradeNo}/refunds`, { refund_fee: 1, out_refund_no: outRefundNo }, { retry: true });
  await flush({ out_refund_no: r.out_refund_no });
  const done = () => one(`SELECT COUNT(*) FROM refunds WHERE out_refund_no = '${outRefundNo}' AND status = 'SUCCESS'`);
  await waitFor(what, () => (done() === 1 ? 0 : 1), 90_000);
}

/** A console session (the sandbox's sign-in token). */
async function consoleCookie() {
  const login = await fetch(`${base}/admin/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'CF-Connecting-IP': '10.9.9.9' },
    body: new URLSearchParams({ operator: 'bench', token: adminToken() }),
    redirect: 'manual',
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  if (login.status !== 303 || !cookie) throw new Error(`console login: HTTP ${login.status}`);
  return cookie;
}

/** The console's sign-in token (wrangler.toml [vars], the sandbox's: refused in live). */
function adminToken() {
  const toml = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8');
  return /^ADMIN_TOKEN\s*=\s*"([^"]*)"/m.exec(toml)?.[1] ?? '';
}

// ---- figures ----

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const pad = (s, w, right = true) => (right ? String(s).padStart(w) : String(s).padEnd(w));
const per = (bytes, n) => (n > 0 ? bytes / n : 0);
const gb = (bytes) => `${(bytes / 1e9).toFixed(bytes < 1e10 ? 2 : 1)} GB`;

/** Average stored bytes per row of each column (values only: SQLite's record encoding of integers, text/blob lengths). */
function columnBytes(table) {
  const cols = sql(`SELECT name, type, pk FROM pragma_table_info('${table}')`);
  const size = (c) =>
    `CASE typeof("${c}") WHEN 'null' THEN 0 WHEN 'real' THEN 8 WHEN 'integer' THEN (CASE WHEN "${c}" IN (0, 1) THEN 0 WHEN "${c}" BETWEEN -128 AND 127 THEN 1 WHEN "${c}" BETWEEN -32768 AND 32767 THEN 2 WHEN "${c}" BETWEEN -8388608 AND 8388607 THEN 3 WHEN "${c}" BETWEEN -2147483648 AND 2147483647 THEN 4 WHEN "${c}" BETWEEN -140737488355328 AND 140737488355327 THEN 6 ELSE 8 END) ELSE length(CAST("${c}" AS BLOB)) END`;
  const rowidAlias = cols.find((c) => c.pk === 1 && /^INTEGER$/i.test(c.type) && cols.filter((x) => x.pk > 0).length === 1)?.name;
  const measured = cols.filter((c) => c.name !== rowidAlias);
  const avg = sql(`SELECT ${measured.map((c) => `AVG(${size(c.name)}) AS "${c.name}"`).join(', ')} FROM "${table}"`)[0];
  return measured.map((c) => ({ column: c.name, bytes: avg[c.name] ?? 0 })).sort((a, b) => b.bytes - a.bytes);
}

/** The archive estimate: each archived table's rows as NDJSON, gzip'd (level 9) in one piece per table. */
function archiveEstimate() {
  const out = [];
  for (const t of ARCHIVE_TABLES) {
    const rows = sql(`SELECT * FROM "${t}"`);
    const ndjson = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
    out.push({ table: t, rows: rows.length, ndjson: ndjson.length, gzip: rows.length ? gzipSync(ndjson, { level: 9 }).length : 0 });
  }
  return out;
}

function report(s, { paidCount, refunds, closed, anomalies, late }) {
  const [s0, s1, s2, s3, s4, s5] = s;
  const last = s5 ?? s4;
  const tables = [...new Set([...last.objects.values()].map((o) => o.table))].sort((a, b) => {
    const size = (t) => tableGroup(last, t).reduce((x, n) => x + last.objects.get(n).bytes, 0);
    return size(b) - size(a);
  });

  console.log(
    `\nbytes per table (dbstat pgsize: whole ${fmt(one('SELECT page_size FROM pragma_page_size'))}-byte pages; payload: the records themselves), at the end`,
  );
  console.log(
    `  ${pad('table', 24, false)} ${pad('rows', 7)} ${pad('table B', 10)} ${pad('indexes B', 10)} ${pad('payload B', 10)} ${pad('B/paid ord', 11)} ${pad('B/refund', 9)} ${pad('B/closed', 9)}`,
  );
  for (const t of tables) {
    const names = tableGroup(last, t);
    const tb = names.filter((n) => last.objects.get(n).type === 'table').reduce((x, n) => x + last.objects.get(n).bytes, 0);
    const ib = names.filter((n) => last.objects.get(n).type === 'index').reduce((x, n) => x + last.objects.get(n).bytes, 0);
    const pl = names.reduce((x, n) => x + last.objects.get(n).payload, 0);
    const paidPer = per(groupDelta(s2, s1, t), ORDERS);
    const refundPer = s3 && refunds ? per(groupDelta(s3, s2, t), refunds) : 0;
    const closedPer = s5 && closed ? per(groupDelta(s1, s0, t) + groupDelta(s5, s4, t), closed) : 0;
    const platform = isPlatform(t) ? ' (platform)' : '';
    console.log(
      `  ${pad(t + platform, 24, false)} ${pad(fmt(last.rows.get(t) ?? 0), 7)} ${pad(fmt(tb), 10)} ${pad(fmt(ib), 10)} ${pad(fmt(pl), 10)} ${pad(fmt(paidPer), 11)} ${pad(fmt(refundPer), 9)} ${pad(fmt(closedPer), 9)}`,
    );
  }

  console.log('\nbytes per index, at the end (and per paid order in the paid phase)');
  const indexes = [...last.objects.entries()].filter(([, o]) => o.type === 'index').sort((a, b) => b[1].bytes - a[1].bytes);
  for (const [name, o] of indexes) {
    if (o.bytes <= 4096 && delta(s2, s1, name) === 0) continue;
    console.log(
      `  ${pad(name, 40, false)} on ${pad(o.table, 18, false)} ${pad(fmt(o.bytes), 10)} B  payload ${pad(fmt(o.payload), 9)}  ${pad(fmt(per(delta(s2, s1, name), ORDERS)), 5)} B/paid order`,
    );
  }
  const single = indexes.filter(([, o]) => o.bytes <= 4096).length;
  console.log(`  (${single} more indexes of one page each, most of them empty)`);

  const paidPhase = per(s2.total - s1.total, ORDERS);
  const mix = per(last.total - s0.total, paidCount);
  const file = per(last.file.bytes, paidCount);
  const refundBytes = s3 && refunds ? per(s3.total - s2.total, refunds) : null;
  const closedBytes = s5 && closed ? per(s1.total - s0.total + (s5.total - s4.total), closed) : null;
  const anomalyBytes = anomalies ? per(s4.total - s3.total, anomalies) : null;
  console.log('\nper unit (phase differences of all b-trees)');
  console.log(`  paid order, the paid phase alone (order, attempt, notify, ledger, order.paid + its attempt): ${fmt(paidPhase)} B`);
  if (refundBytes !== null) console.log(`  partial refund (refund, notify, ledger, refund.succeeded + its attempt, the order's update): ${fmt(refundBytes)} B`);
  if (closedBytes !== null)
    console.log(`  closed or expired order (created, most with an attempt, then closed; order.closed + its attempt): ${fmt(closedBytes)} B`);
  if (anomalyBytes !== null) console.log(`  anomaly (the mix of phase 4: its orders, notifies, refunds and events included): ${fmt(anomalyBytes)} B`);
  console.log(`  paid order, the whole mix (every phase's growth over the empty schema / ${fmt(paidCount)} paid orders): ${fmt(mix)} B`);
  console.log(`  paid order, the whole file (${fmt(last.file.bytes)} B, the empty schema's ${fmt(s0.file.bytes)} B included / paid orders): ${fmt(file)} B`);

  console.log(
    '\nwhere the bytes go: average stored bytes per row of the largest columns (values only; each row also pays a record header, a cell pointer, its keys and page slack)',
  );
  for (const t of ['notifications', 'events', 'orders', 'payment_attempts', 'event_attempts', 'ledger', 'refunds']) {
    if (!last.rows.get(t)) continue;
    const cols = columnBytes(t);
    const sum = cols.reduce((x, c) => x + c.bytes, 0);
    const top = cols.filter((c) => c.bytes >= 8).slice(0, 8);
    console.log(`  ${pad(t, 17, false)} ${pad(fmt(sum), 5)} B/row: ${top.map((c) => `${c.column} ${fmt(c.bytes)}`).join(', ')}`);
  }

  const archive = archiveEstimate();
  const nd = archive.reduce((x, a) => x + a.ndjson, 0);
  const gz = archive.reduce((x, a) => x + a.gzip, 0);
  console.log(`\nR2 archive estimate: the same rows of ${ARCHIVE_TABLES.join(', ')} as NDJSON, gzip -9 (node:zlib), one piece per table`);
  for (const a of archive)
    if (a.rows)
      console.log(
        `  ${pad(a.table, 17, false)} ${pad(fmt(a.rows), 6)} rows  NDJSON ${pad(fmt(a.ndjson), 10)} B  gzip ${pad(fmt(a.gzip), 9)} B  (${((a.gzip / a.ndjson) * 100).toFixed(0)} %)`,
      );
  const r2PerPaid = per(gz, paidCount);
  console.log(`  total NDJSON ${fmt(nd)} B, gzip ${fmt(gz)} B = ${fmt(r2PerPaid)} B per paid order`);

  const days = (bytes, daily) => D1_MAX_BYTES / (bytes * daily);
  console.log(`\nprojection (the whole-mix figure; D1's limit ${gb(D1_MAX_BYTES)}; a year = 365 days)`);
  console.log(
    `  ${pad('paid orders/day', 19, false)} ${pad('B/order', 8)} ${pad('D1 per day', 11)} ${pad(`hot at ${HOT_DAYS} d`, 12)} ${pad('days to 10 GB', 14)} ${pad('R2 per year', 12)}`,
  );
  const scales = [...new Set([10_000, 100_000, 1_000_000, DAILY])].sort((a, b) => a - b);
  for (const [label, bytes] of [
    ['today', mix],
    ['goal', GOAL.bytesPerPaidOrder],
  ]) {
    for (const daily of scales) {
      console.log(
        `  ${pad(`${fmt(daily)} (${label})`, 19, false)} ${pad(fmt(bytes), 8)} ${pad(gb(bytes * daily), 11)} ${pad(gb(bytes * daily * HOT_DAYS), 12)} ${pad(days(bytes, daily).toFixed(1), 14)} ${pad(gb(r2PerPaid * daily * 365), 12)}`,
      );
    }
  }

  const daysAtGoalRate = days(mix, GOAL.daily);
  const verdicts = [
    [
      mix <= GOAL.bytesPerPaidOrder,
      'D1 bytes per paid order (whole mix)',
      `${fmt(mix)} B (paid phase alone ${fmt(paidPhase)} B)`,
      `≤ ${fmt(GOAL.bytesPerPaidOrder)} B`,
    ],
    [
      daysAtGoalRate >= GOAL.days,
      `days of orders in one D1 at ${fmt(GOAL.daily)} paid/day`,
      `${daysAtGoalRate.toFixed(1)} days (hot at ${HOT_DAYS} d: ${gb(mix * GOAL.daily * HOT_DAYS)})`,
      `≥ ${GOAL.days} days (≤ ${gb(D1_MAX_BYTES)} at ${GOAL.days} d)`,
    ],
  ];
  console.log(
    `\nseeded: ${fmt(paidCount)} paid orders (${fmt(ORDERS)} + ${fmt(paidCount - ORDERS)} from duplicate payments), ${fmt(refunds)} partial refunds, ${fmt(closed)} closed/expired, ${fmt(anomalies)} anomalies; ${late} notifies needed a flush; ${elapsed()} in all`,
  );
  // Every row as written, before anything moves: what an order costs in its first HISTORY_DAYS, and what
  // the database would hold if nothing ever moved. The goal is judged on the window as built, below.
  for (const [ok, name, figure, target] of verdicts) console.log(`${ok ? 'meets' : 'above'}  ${name}, before anything moves: ${figure} (goal ${target})`);
}

async function main() {
  if (spawnSync('sqlite3', ['-version']).status !== 0) throw new Error('the sqlite3 CLI is needed (apt-get install sqlite3)');
  const signer = await loadSigner();
  console.log(
    `bench: ${ORDERS} paid orders, ${REFUND_PCT} % refunded, ${CLOSED} closed, ${ANOMALIES} anomalies, API ${API_VERSION}, concurrency ${CONCURRENCY}; state in ${dev.persistDir}`,
  );
  dev.migrate();
  dbFile = localD1File(dev.persistDir);
  if (!dbFile) throw new Error('local D1 file not found');
  base = await dev.start({
    vars: (origin) => ({
      WEBHOOK_URL: `${origin}/sandbox/sim/receiver/bench`,
      WECHAT_API_VERSION: API_VERSION,
      HOT_DAYS: String(HOT_DAYS),
      HISTORY_DAYS: String(HISTORY_DAYS),
    }),
    args: ['--test-scheduled', '--log-level', 'warn'],
  });
  await registerBuyers();

  const snaps = [snapshot('0 empty')];
  const unpaid = CLOSED ? await phaseUnpaid() : null;
  snaps.push(snapshot(`1 unpaid (${CLOSED} orders)`));
  const { paid, late } = await phasePaid();
  snaps.push(snapshot(`2 paid (${ORDERS} orders)`));
  const refunds = await phaseRefunds(paid);
  snaps.push(snapshot(`3 refunds (${refunds.length})`));
  const kinds = await phaseAnomalies(signer);
  snaps.push(
    snapshot(
      `4 anomalies (${Object.entries(kinds)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ')})`,
    ),
  );
  const closed = unpaid ? await phaseClosed(unpaid) : null;
  if (closed) snaps.push(snapshot(`5 closed (${closed.byMerchant} by the merchant, ${closed.byCron} expired by the cron)`));
  const paidCount = one('SELECT COUNT(*) FROM orders WHERE paid_at IS NOT NULL');
  report(closed ? snaps : [...snaps, null], { paidCount, refunds: refunds.length, closed: CLOSED, anomalies: ANOMALIES, late });
  // The window as built: histories leave after HISTORY_DAYS, remaining bodies after EVIDENCE_DAYS, whole
  // orders after HOT_DAYS (live readings: freed pages go to the freelist and later inserts reuse them).
  const before = snaps.at(-1);
  const mixOf = (s) => per(s.total - snaps[0].total, paidCount);
  const hist = await phaseHistory(paid);
  const afterHistory = snapshot(`6 histories moved past HISTORY_DAYS (${hist.moved} orders)`);
  const byTable = (s) =>
    ARCHIVE_TABLES.map((t) => `${t} ${fmt(per(groupDelta(s, snaps[0], t), paidCount))}`)
      .concat(
        `archive bookkeeping ${fmt(
          per(
            ['archive_lookup', 'archive_parts', 'archive_pending'].reduce((x, t) => x + groupDelta(s, snaps[0], t), 0),
            paidCount,
          ),
        )}`,
      )
      .join(', ');
  console.log(
    `\nhistories moved to R2 (HISTORY_DAYS ${HISTORY_DAYS}): ${fmt(hist.moved)} orders; paid order, the whole mix ${fmt(mixOf(before))} B → ${fmt(mixOf(afterHistory))} B live`,
  );
  console.log(`  by table, B per paid order (indexes included): ${byTable(afterHistory)}`);
  console.log(
    `  read back as before through GET /v1/orders/:no, its payments and the console (${hist.readBack} sampled); ${hist.refunded} refunded after its history moved: SUCCESS`,
  );
  const moved = await phaseEvidence();
  const afterMove = snapshot(`7 bodies moved (${moved} notifications)`);
  console.log(`\nthe remaining notify bodies moved to R2 (EVIDENCE_DAYS ${EVIDENCE_DAYS}): paid order, the whole mix ${fmt(mixOf(afterMove))} B live`);
  const arch = await phaseArchive(paid);
  const afterArchive = snapshot(`8 archived past HOT_DAYS (${arch.archived} orders)`);
  const lookupObjects = ['archive_lookup', 'archive_days', 'archive_pending', 'archive_parts', 'evidence_parts'];
  const lookupBytes = lookupObjects.reduce((x, t) => x + groupDelta(afterArchive, snaps[0], t), 0);
  const fresh = mixOf(before);
  const early = mixOf(afterHistory);
  const steady = mixOf(afterMove);
  const lookupPer = per(lookupBytes, arch.archived);
  console.log(
    `\nthe hot window (HOT_DAYS ${HOT_DAYS}): ${fmt(arch.archived)} of ${fmt(arch.startedWith)} orders archived to R2, ${fmt(arch.stillHot)} still in D1 (not final, or restored by the refund); archived orders read back through GET /v1/orders/:no (${arch.readBack}) and the console; ${arch.refunded} refunded after archiving: SUCCESS`,
  );
  console.log(`  D1 left per archived order (lookup rows, the parts' bookkeeping): ${fmt(lookupPer)} B`);
  // Steady state: a paid order costs `fresh` for HISTORY_DAYS, `early` until EVIDENCE_DAYS, `steady` until
  // HOT_DAYS, then its lookup rows. Hot bytes per paid order = the window's average.
  const h = Math.min(HISTORY_DAYS, EVIDENCE_DAYS, HOT_DAYS);
  const e = Math.min(EVIDENCE_DAYS, HOT_DAYS);
  const perDayOfAge = (d) => (d <= h ? fresh : d <= e ? early : d <= HOT_DAYS ? steady : lookupPer);
  const windowBytes = h * fresh + (e - h) * early + (HOT_DAYS - e) * steady;
  const hotPer = windowBytes / HOT_DAYS;
  const hotAt = (daily) => daily * windowBytes;
  const lookupsPerYear = (daily) => daily * 365 * lookupPer;
  const daysTo10GB = (daily) => {
    let total = 0;
    for (let d = 1; d <= 36500; d++) {
      total += perDayOfAge(d) * daily;
      if (total > D1_MAX_BYTES) return d - 1;
    }
    return Infinity;
  };
  console.log(
    `  projection with the window (${fmt(fresh)} B per paid order for ${h} days, ${fmt(early)} B to day ${e}, ${fmt(steady)} B to day ${HOT_DAYS}, then ${fmt(lookupPer)} B): ${fmt(hotPer)} B per paid order hot on average`,
  );
  for (const daily of [10_000, 100_000, 1_000_000]) {
    const d = daysTo10GB(daily);
    console.log(
      `    ${pad(fmt(daily), 10)} a day: hot at ${HOT_DAYS} d ${pad(gb(hotAt(daily)), 9)}, lookup rows ${gb(lookupsPerYear(daily))} a year, one D1 full after ${d === Infinity ? 'never (100 years)' : `${fmt(d)} days`}`,
    );
  }
  const fullAfter = daysTo10GB(GOAL.daily);
  const windowOk = hotPer <= GOAL.bytesPerPaidOrder && hotAt(GOAL.daily) <= D1_MAX_BYTES * 0.9 && fullAfter >= GOAL.days;
  console.log(
    `${hotPer <= GOAL.bytesPerPaidOrder ? 'PASS' : 'FAIL'}  D1 bytes per paid order hot, the ${HOT_DAYS}-day window's average: ${fmt(hotPer)} B (target ≤ ${fmt(GOAL.bytesPerPaidOrder)} B)`,
  );
  console.log(
    `${hotAt(GOAL.daily) <= D1_MAX_BYTES * 0.9 ? 'PASS' : 'FAIL'}  ${HOT_DAYS} days hot at ${fmt(GOAL.daily)} paid/day: ${gb(hotAt(GOAL.daily))} (target ≤ 9 GB)`,
  );
  console.log(
    `${fullAfter >= GOAL.days ? 'PASS' : 'FAIL'}  days until one D1 is full at ${fmt(GOAL.daily)} paid/day: ${fullAfter === Infinity ? 'never' : fmt(fullAfter)} (target ≥ ${GOAL.days})`,
  );
  await dev.stop();
  const live = dbFile;
  dbFile = `${live}.vacuumed`;
  spawnSync('sqlite3', [live, `VACUUM INTO '${dbFile}'`]);
  const vacuumed = snapshot('8 archived, vacuumed copy');
  console.log(
    `archived, vacuumed (the pages the archive freed, returned): ${fmt(vacuumed.total)} B against ${fmt(snaps[0].total)} B for the empty schema: ${fmt(per(vacuumed.total - snaps[0].total, arch.archived))} B per archived order`,
  );
  dbFile = live;
  // The phases were read while wrangler ran (SQLite WAL readers see committed transactions); once it has stopped, the same again.
  const after = snapshot('after wrangler stopped');
  const lastLive = afterArchive;
  console.log(
    after.total === lastLive.total
      ? 'bench: the stopped database reads the same as the last live reading'
      : `bench: WARNING: the stopped database reads ${fmt(after.total)} B, the last live reading ${fmt(lastLive.total)} B`,
  );
  dev.cleanup();
  process.exitCode = windowOk ? 0 : 1;
}

main().catch((e) => {
  console.error('bench failed:', e instanceof Error ? e.message : e);
  console.error(dev.tail().slice(-3000));
  dev.cleanup();
  process.exit(1);
});
