// Every hot query reads through an index (docs/scaling.md §5: an index only where a query needs it, and
// every query still finds one): the statements the repos really prepare, captured while they run, then
// their EXPLAIN QUERY PLAN on the migrated schema. A full SCAN of a table that grows with orders fails.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { START_CURSOR, sweep } from '../../src/worker/archive/archive-repo';
import { orderTimelineRows, recentEvents, recentRefunds } from '../../src/worker/console/console-repo';
import { dueOrders } from '../../src/worker/lifecycle/lifecycle-repo';
import { attemptsToClose, listAttempts, getOrder, listOrders } from '../../src/worker/orders';
import { paidOrdersPage, paidTotals, paymentsByNo } from '../../src/worker/reconciliation/reconciliation-repo';
import { refundsOfDayPage } from '../../src/worker/refunds/refunds-read-repo';
import { claimAttempt, overdueEvents } from '../../src/worker/webhooks/delivery-repo';
import { getEvent, listEvents } from '../../src/worker/webhooks/events-repo';

/** The tables that grow with paid orders: none may be read whole. */
const BIG = ['orders', 'payment_attempts', 'refunds', 'ledger', 'notifications', 'anomalies', 'events', 'event_attempts'];

/** A D1Database that records each statement (SQL and bound values) it prepares, and runs it on the real one. */
function recordingDb(seen: { sql: string; params: unknown[] }[]): D1Database {
  return {
    prepare(sql: string) {
      const entry = { sql, params: [] as unknown[] };
      seen.push(entry);
      const stmt = env.DB.prepare(sql);
      return new Proxy(stmt, {
        get(target, key) {
          if (key === 'bind') {
            return (...params: unknown[]) => {
              entry.params = params;
              return target.bind(...params);
            };
          }
          const v = Reflect.get(target, key) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    },
    batch: (stmts: D1PreparedStatement[]) => env.DB.batch(stmts),
  } as unknown as D1Database;
}

async function plan(sql: string, params: unknown[]): Promise<string[]> {
  const res = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return res.results.map((r) => r.detail);
}

/** `SCAN <big table>` without an index (a CTE, a json_each or a constant row is not a table). */
function fullScans(details: string[]): string[] {
  return details.filter((d) => {
    const m = /^SCAN (\w+)(?: AS (\w+))?/.exec(d);
    return m && BIG.includes(m[1]!) && !/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(d);
  });
}

const now = new Date().toISOString();
const HOT: [string, (db: D1Database) => Promise<unknown>][] = [
  ['orders list, newest first', (db) => listOrders(db, { limit: 20 })],
  ['orders list by status', (db) => listOrders(db, { status: 'PAID', limit: 20 })],
  ['orders list by day, next page', (db) => listOrders(db, { createdFrom: now, createdTo: now, after: { createdAt: now, outTradeNo: 'X' }, limit: 20 })],
  ['orders search (number, transaction, payer)', (db) => listOrders(db, { q: 'oUser', limit: 20 })],
  ['orders search (masked payer)', (db) => listOrders(db, { q: 'oUse…', limit: 20 })],
  ['one order', (db) => getOrder(db, 'X')],
  ['its attempts', (db) => listAttempts(db, 'X')],
  ['console order timeline', (db) => orderTimelineRows(db, 'X')],
  [
    'console events, by type and by order',
    async (db) => [await recentEvents(db, { type: 'order.paid', limit: 20 }), await recentEvents(db, { outTradeNo: 'X', limit: 20 })],
  ],
  ['console refunds', (db) => recentRefunds(db, 20)],
  ['lifecycle: orders due', (db) => dueOrders(db, now, now, 50)],
  ['lifecycle: attempts to close', (db) => attemptsToClose(db, Date.now(), 300_000, 50)],
  [
    'reconciliation: local paid orders of a day, totals, payments by number',
    async (db) => [await paidOrdersPage(db, '20261207', '', 500), await paidTotals(db, '20261207'), await paymentsByNo(db, ['X'])],
  ],
  ['reconciliation: refunds of a day', (db) => refundsOfDayPage(db, now, now, '', 500)],
  [
    'outbox: overdue events, claim, read, feed',
    async (db) => [
      await overdueEvents(db, now, 50),
      await claimAttempt(db, 'evt_x', 'token', now),
      await getEvent(db, 'evt_x'),
      await listEvents(db, { type: 'order.paid', afterSeq: 0, limit: 20 }),
    ],
  ],
  [
    'archive: the sweeps of whole orders and of histories',
    async (db) => [await sweep(db, 'archive', true, START_CURSOR, Date.now(), 1000), await sweep(db, 'history', true, START_CURSOR, Date.now(), 1000)],
  ],
];

describe('hot queries read through an index (EXPLAIN QUERY PLAN)', () => {
  it('the check sees a full scan when there is one', async () => {
    expect(fullScans(await plan('SELECT * FROM orders WHERE description = ?1', ['x']))).toEqual(['SCAN orders']);
    expect(fullScans(await plan('SELECT * FROM orders WHERE out_trade_no = ?1', ['x']))).toEqual([]);
  });

  it('the history sweep reads only orders whose history is still in D1 (orders_history_hot)', async () => {
    const seen: { sql: string; params: unknown[] }[] = [];
    await sweep(recordingDb(seen), 'history', true, START_CURSOR, Date.now(), 1000);
    expect((await plan(seen[0]!.sql, seen[0]!.params)).join('\n')).toMatch(/SEARCH o USING INDEX orders_history_hot/);
  });

  for (const [name, run] of HOT) {
    it(name, async () => {
      const seen: { sql: string; params: unknown[] }[] = [];
      await run(recordingDb(seen));
      expect(seen.length).toBeGreaterThan(0);
      for (const s of seen) {
        if (!/^\s*(SELECT|WITH|UPDATE|DELETE)/i.test(s.sql)) continue;
        const details = await plan(s.sql, s.params);
        expect(fullScans(details), `${s.sql}\n${details.join('\n')}`).toEqual([]);
      }
    });
  }
});
