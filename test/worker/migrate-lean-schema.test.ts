// Migration 0011 (the lean hot schema) on a database filled by the code before it: test/fixtures/
// d1-0010-bench.sql holds every D1 row (INSERTs only) of a `npm run bench:storage` run on migrations
// 0001–0010 (36 paid orders in every trade type, partial and full refunds, a duplicate payment with its
// automatic refund, an amount mismatch, an unknown order, merchant and cron closes, webhook events
// delivered, retried and still pending). The test loads it at 0010, reads every row, applies 0011 and
// later migrations, and checks every order, attempt, refund, ledger, notification, anomaly, event and
// attempt row against what it read: same amounts, states, numbers and times, hashes as their bytes,
// and the order and event views the app builds from the new rows equal to those of the old ones.
// Later migrations are checked the same way: times as epoch ms (0011 ledger and notifications, 0015
// attempts and refunds, 0018 orders and the archive's sweep cursor), read back as the ISO text they were.
//
// Regenerating the fixture (only with code before 0011): BENCH_ORDERS=36 BENCH_REFUND_PCT=30
// BENCH_CLOSED=8 BENCH_ANOMALIES=3 BENCH_KEEP=1 npm run bench:storage, then
//   sqlite3 <state>/v3/d1/miniflare-D1DatabaseObject/*.sqlite .dump | grep '^INSERT INTO' \
//     | grep -v -e '^INSERT INTO d1_migrations' -e '^INSERT INTO sqlite_sequence' -e '^INSERT INTO _cf_'
import { applyD1Migrations, reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import fixture from '../fixtures/d1-0010-bench.sql?raw';
import { getAttempt, getOrder, ORDER_TIMES, orderView, type OrderRow } from '../../src/worker/orders';
import { storedHex } from '../../src/worker/platform/stored-hash';
import { getRefund } from '../../src/worker/refunds';
import { api, AUTH } from '../support/orders-helpers';

type Row = Record<string, any>;

const PAID = ['PAID', 'PAID_AFTER_CLOSE', 'REFUNDING', 'PARTIALLY_REFUNDED', 'REFUNDED'];

async function all(sql: string): Promise<Row[]> {
  return (await env.DB.prepare(sql).all<Row>()).results;
}

/** Every row of the order-linked tables, in a fixed order. */
async function snapshot() {
  return {
    orders: await all('SELECT * FROM orders ORDER BY out_trade_no'),
    attempts: await all('SELECT * FROM payment_attempts ORDER BY payment_no'),
    refunds: await all('SELECT * FROM refunds ORDER BY out_refund_no'),
    ledger: await all('SELECT * FROM ledger ORDER BY id'),
    notifications: await all('SELECT * FROM notifications ORDER BY id'),
    anomalies: await all('SELECT * FROM anomalies ORDER BY id'),
    events: await all('SELECT * FROM events ORDER BY seq'),
    eventAttempts: await all('SELECT * FROM event_attempts ORDER BY id'),
    daily: await all('SELECT * FROM console_daily ORDER BY day'),
  };
}

/** A row with its hash columns as hex (text before 0011, bytes after). */
function withHex(row: Row, ...cols: string[]): Row {
  const out = { ...row };
  for (const c of cols) out[c] = out[c] === null ? null : storedHex(out[c]);
  return out;
}

/** The order view without its checkout link (a signed URL of this config, not a stored fact). */
function view(row: OrderRow) {
  const { checkout_url: _, ...rest } = orderView(row, '');
  return rest;
}

let before: Awaited<ReturnType<typeof snapshot>>;
let after: Awaited<ReturnType<typeof snapshot>>;

beforeAll(async () => {
  await reset();
  await applyD1Migrations(
    env.DB,
    env.TEST_MIGRATIONS.filter((m) => m.name < '0011'),
  );
  const inserts = fixture.split('\n').filter((l) => l.startsWith('INSERT INTO'));
  for (let i = 0; i < inserts.length; i += 50) await env.DB.batch(inserts.slice(i, i + 50).map((sql) => env.DB.prepare(sql)));
  before = await snapshot();
  // The archive's sweep cursor as a run before 0018 left it (an order's created_at, ISO text).
  await applyD1Migrations(
    env.DB,
    env.TEST_MIGRATIONS.filter((m) => m.name < '0018'),
  );
  const last = before.orders[before.orders.length - 1]!;
  await env.DB.prepare('UPDATE archive_state SET cursor_at = ?1, cursor_no = ?2, history_at = ?1, history_no = ?2 WHERE id = 1')
    .bind(last.created_at, last.out_trade_no)
    .run();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  after = await snapshot();
});

describe('migration 0011 on a database filled by the code before it', () => {
  it('the fixture covers the mix: every trade type, partial and full refunds, a duplicate, anomalies, closes, retried and pending events', () => {
    expect(new Set(before.attempts.map((a) => a.trade_type))).toEqual(new Set(['JSAPI', 'MINIPROGRAM', 'NATIVE', 'MWEB', 'APP']));
    const statuses = new Set(before.orders.map((o) => o.status));
    for (const s of ['PAID', 'PARTIALLY_REFUNDED', 'REFUNDED', 'CLOSED', 'NOTPAY']) expect(statuses).toContain(s);
    expect(before.refunds.some((r) => r.duplicate === 1 && r.automatic === 1)).toBe(true);
    expect(new Set(before.anomalies.map((a) => a.kind))).toEqual(new Set(['AMOUNT_MISMATCH', 'UNKNOWN_ORDER', 'DUPLICATE_PAYMENT']));
    expect(new Set(before.events.map((e) => e.status))).toEqual(new Set(['delivered', 'pending']));
    expect(before.eventAttempts.some((a) => a.error === 'NOT_2XX')).toBe(true);
    expect(before.orders.length).toBeGreaterThanOrEqual(40);
  });

  it('keeps every order, payment attempt, refund and ledger row: same amounts, states, numbers and times; hashes as 32 bytes', async () => {
    expect(after.orders).toHaveLength(before.orders.length);
    // 0017 adds the history mark, empty on every existing order (its history is in D1).
    expect(after.orders.map(({ history_part, history_trade_type }) => [history_part, history_trade_type])).toEqual(before.orders.map(() => [null, null]));
    // An order's times are epoch ms since 0018: the same instants, every column else as it was.
    const ms = (v: string | null) => (v === null ? null : Date.parse(v));
    expect(after.orders.map(({ history_part: _p, history_trade_type: _t, ...o }) => withHex(o, 'request_hash'))).toEqual(
      before.orders.map((o) => ({ ...o, ...Object.fromEntries(ORDER_TIMES.map((c) => [c, ms(o[c])])) })),
    );
    for (const o of after.orders) expect(new Uint8Array(o.request_hash as ArrayBuffer).byteLength).toBe(32);
    for (const o of after.orders) for (const c of ORDER_TIMES) expect(o[c] === null || typeof o[c] === 'number').toBe(true);
    expect(after.orders.every((o) => typeof o.created_at === 'number' && typeof o.updated_at === 'number')).toBe(true);
    // The repo reads each back as the ISO text it was (with the paying attempt's trade type, as getOrder joins it).
    for (const o of before.orders) {
      const tradeType = before.attempts.find((a) => a.payment_no === o.payment_no)?.trade_type ?? null;
      expect(withHex((await getOrder(env.DB, o.out_trade_no)) as Row, 'request_hash')).toEqual({
        ...o,
        history_part: null,
        history_trade_type: null,
        trade_type: tradeType,
      });
    }
    // An attempt's times are epoch ms since 0015: the same instants (time_end stays WeChat's text).
    expect(after.attempts).toEqual(
      before.attempts.map((a) => ({
        ...a,
        expires_at: ms(a.expires_at),
        paid_at: ms(a.paid_at),
        closed_at: ms(a.closed_at),
        created_at: ms(a.created_at),
        updated_at: ms(a.updated_at),
      })),
    );
    for (const a of after.attempts) expect(typeof a.created_at).toBe('number');
    // The repos read them back as the ISO text they were.
    for (const a of before.attempts) expect(await getAttempt(env.DB, a.payment_no)).toEqual(a);
    // A refund's times too (0015).
    expect(after.refunds.map((r) => withHex(r, 'request_hash'))).toEqual(
      before.refunds.map((r) => ({
        ...r,
        last_attempt_at: ms(r.last_attempt_at),
        last_synced_at: ms(r.last_synced_at),
        created_at: ms(r.created_at),
        updated_at: ms(r.updated_at),
        succeeded_at: ms(r.succeeded_at),
      })),
    );
    for (const r of before.refunds) expect(withHex((await getRefund(env.DB, r.out_refund_no)) as Row, 'request_hash')).toEqual(r);
    // A merchant's refund hash is bytes now; an automatic refund's marker stays text.
    for (const r of after.refunds) expect(typeof r.request_hash === 'string').toBe(r.automatic === 1);
    // The ledger's time is epoch ms now: the same instant.
    expect(after.ledger).toEqual(before.ledger.map((l) => ({ ...l, created_at: Date.parse(l.created_at) })));
    expect(after.daily).toEqual(before.daily);
  });

  it("keeps every notification and anomaly, their hashes as bytes, a notification's time in epoch ms", () => {
    // 0014 adds where a body moved to once it leaves D1 (none has yet: all NULL).
    expect(after.notifications.map((n) => withHex(n, 'body_sha256'))).toEqual(
      before.notifications.map((n) => ({ ...n, received_at: Date.parse(n.received_at), body_part: null, body_pos: null, body_len: null })),
    );
    expect(after.anomalies.map((a) => withHex(a, 'body_sha256'))).toEqual(before.anomalies);
    for (const n of after.notifications) expect(typeof n.body_sha256).not.toBe('string');
  });

  it('keeps every event and attempt; a successful attempt drops its answer, a failed one keeps it', () => {
    const strip = ({
      order_snapshot: _,
      order_status: _s,
      order_updated_at: _u,
      order_refunded_fee: _r,
      order_reserved_fee: _v,
      order_payer: _p,
      ...rest
    }: Row) => rest;
    expect(after.events.map(strip)).toEqual(before.events.map(strip));
    expect(after.events.every((e) => !('order_snapshot' in e))).toBe(true);
    // Attempts name their event by seq and keep their time in epoch ms (the signed timestamp is its seconds).
    const seqOf = new Map(before.events.map((e) => [e.id as string, e.seq as number]));
    expect(after.eventAttempts).toEqual(
      before.eventAttempts.map(({ event_id, attempted_at, webhook_timestamp, ...a }) => {
        expect(Math.floor(Date.parse(attempted_at) / 1000)).toBe(webhook_timestamp);
        return { ...a, event_seq: seqOf.get(event_id), attempted_at: Date.parse(attempted_at), response_excerpt: a.error === null ? '' : a.response_excerpt };
      }),
    );
    expect(after.eventAttempts.some((a) => a.error !== null && a.response_excerpt.length > 0)).toBe(true);
  });

  it("the archive's sweep cursors keep their place: the same instant, as the decimal text of its epoch ms (0018)", async () => {
    const last = before.orders[before.orders.length - 1]!;
    const state = await env.DB.prepare('SELECT cursor_at, cursor_no, history_at, history_no FROM archive_state WHERE id = 1').first<Row>();
    const at = String(Date.parse(last.created_at));
    expect(state).toEqual({ cursor_at: at, cursor_no: last.out_trade_no, history_at: at, history_no: last.out_trade_no });
  });

  it('the app reads every migrated order as it read it before', async () => {
    for (const old of before.orders) {
      const tradeType = before.attempts.find((a) => a.payment_no === old.payment_no)?.trade_type ?? null;
      const row = await getOrder(env.DB, old.out_trade_no);
      expect(view(row!)).toEqual(view({ ...old, trade_type: tradeType } as OrderRow));
    }
  });

  it('GET /v1/orders/:no shows every migrated order with the ISO times it had (0018)', async () => {
    // Unpaid orders aside: a GET may ask WeChat about those first (the sandbox never saw the fixture's).
    const settled = before.orders.filter((o) => !['CREATED', 'NOTPAY', 'CLOSING'].includes(o.status));
    expect(settled.length).toBeGreaterThanOrEqual(40);
    for (const old of settled) {
      const res = await api(`/v1/orders/${old.out_trade_no}`, { headers: AUTH });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Row;
      expect(body).toMatchObject({
        out_trade_no: old.out_trade_no,
        status: old.status,
        created_at: old.created_at,
        updated_at: old.updated_at,
        expires_at: old.expires_at,
        paid_at: old.paid_at,
        closed_at: old.closed_at,
      });
    }
  });

  it("every event's data.order (API and webhook body) is the order its old snapshot held", async () => {
    let withOrder = 0;
    for (const old of before.events) {
      const res = await api(`/v1/events/${old.id}`, { headers: AUTH });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Row;
      expect(body).toMatchObject({ id: old.id, type: old.type, created_at: old.created_at, delivery: { status: old.status, attempts: old.attempts } });
      const attempts = before.eventAttempts.filter((a) => a.event_id === old.id);
      expect(body.attempts).toEqual(
        attempts.map((a) => ({
          attempted_at: a.attempted_at,
          webhook_timestamp: a.webhook_timestamp,
          trigger: a.trigger,
          http_status: a.http_status,
          error: a.error,
          latency_ms: a.latency_ms,
          response_excerpt: a.error === null ? '' : a.response_excerpt,
        })),
      );
      if (!old.order_snapshot) {
        if (old.type !== 'reconciliation.completed') expect(body.data.order).toBeNull();
        continue;
      }
      withOrder += 1;
      const { checkout_url, ...order } = body.data.order;
      expect(checkout_url).toContain(old.out_trade_no);
      expect(order).toEqual(view(JSON.parse(old.order_snapshot) as OrderRow));
    }
    // Events before payment (a close, an amount mismatch on an unpaid order) and after it (paid, refunds) alike.
    const states = before.events.filter((e) => e.order_snapshot).map((e) => JSON.parse(e.order_snapshot).status as string);
    expect(states.some((s) => PAID.includes(s))).toBe(true);
    expect(states.some((s) => !PAID.includes(s))).toBe(true);
    expect(withOrder).toBeGreaterThan(40);
  });
});
