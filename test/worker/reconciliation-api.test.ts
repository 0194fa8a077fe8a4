// The reconciliation API's edges: dates refused with 400, auth, unknown days, listing, a bill not
// ready before T+1 09:00 Beijing (no call made), the cron's dispatch, and a report's items by page
// (limit, cursor: every item once, in order; bad input 400; an indexed page query).
import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { base64urlEncode } from '../../src/core';
import { getConfig } from '../../src/worker/platform/config';
import { getReport, requestReconciliation } from '../../src/worker/reconciliation/request';
import { reconcileStep } from '../../src/worker/reconciliation/step';
import type { BillStage } from '../../src/worker/reconciliation/stage';
import { gatewayDeps } from '../../src/worker/compose/wiring';
import { api, AUTH, freshNo, postJson } from '../support/orders-helpers';
import { dayBack, drive, plantPaid, runRow, start } from '../support/reconciliation-helpers';

describe('POST /v1/reconciliations refuses what it cannot reconcile', () => {
  it.each([
    ['a month 13 written with dashes', '2026-13-01'],
    ['a month 13', '20261301'],
    ['30 February', '20260230'],
    ['seven digits', '2026011'],
    ['a number', 20260101],
    ['today (Beijing)', dayBack(0)],
    ['tomorrow', dayBack(-1)],
    ['four months back', dayBack(125)],
  ])('%s → 400', async (_name, billDate) => {
    const { status, body } = await start(billDate);
    expect(status).toBe(400);
    expect(body.error.code).toBe(typeof billDate === 'number' ? 'VALIDATION_FAILED' : 'INVALID_BILL_DATE');
  });

  it('an unknown field is refused; no token is 401', async () => {
    expect((await postJson('/v1/reconciliations', { bill_date: dayBack(2), extra: 1 })).status).toBe(400);
    const res = await postJson('/v1/reconciliations', { bill_date: dayBack(2) }, {});
    expect(res.status).toBe(401);
    expect((await api('/v1/reconciliations/20260101')).status).toBe(401);
  });

  it('a day never reconciled is 404; the list covers requested days', async () => {
    const res = await api('/v1/reconciliations/20000101', { headers: AUTH });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe('RECONCILIATION_NOT_FOUND');
    const day = dayBack(50);
    await start(day);
    await drive(day);
    const list = await api(`/v1/reconciliations?from=${dayBack(60)}&to=${dayBack(1)}`, { headers: AUTH });
    expect(list.status).toBe(200);
    const body = (await list.json()) as any;
    expect(body.reconciliations.map((r: any) => r.bill_date)).toContain(day);
    expect(body.reconciliations[0]).not.toHaveProperty('items');
    expect((await api('/v1/reconciliations?from=2026-01-01', { headers: AUTH })).status).toBe(400);
  });
});

const noStage: BillStage = {
  reset: () => {
    throw new Error('no fetch expected');
  },
  put: () => undefined,
  chunk: () => [],
  paymentsPresent: () => new Set(),
  refundsPresent: () => new Set(),
};

describe('a bill not ready yet', () => {
  it('before 09:00 Beijing on T+1 the run waits, PENDING until 09:00, without calling WeChat', async () => {
    const config = getConfig(env);
    if (!config.ok) throw new Error('config');
    const day = dayBack(7);
    // 08:00 Beijing on T+1 = 00:00 UTC on T+1.
    const t1 = Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8)) + 1, 0, 0, 0);
    const deps = { ...gatewayDeps(env, { exports, waitUntil: () => undefined } as { waitUntil(w: Promise<unknown>): void }, config.config), now: () => t1 };
    const kicked: string[] = [];
    const { started, run } = await requestReconciliation(deps, async (d) => void kicked.push(d), day);
    expect(started).toBe(true);
    expect(kicked).toEqual([day]);
    const ready = t1 + 3600_000;
    expect(run.next_attempt_at).toBe(new Date(ready).toISOString());
    expect(await reconcileStep(deps, noStage, day)).toBe(ready);
    expect(await runRow(day)).toMatchObject({ status: 'PENDING', phase: 'FETCH', attempts: 0, next_attempt_at: new Date(ready).toISOString() });
  });
});

describe('the daily cron', () => {
  it('0 2 * * * starts yesterday (Beijing)', async () => {
    const yesterday = dayBack(1);
    const before = await runRow(yesterday);
    await (exports.default as unknown as { scheduled(c: ScheduledController): Promise<void> }).scheduled({
      cron: '0 2 * * *',
      scheduledTime: Date.now(),
      noRetry() {},
    } as unknown as ScheduledController);
    const after = await runRow(yesterday);
    expect(after).not.toBeNull();
    expect(after!.generation).toBe(before?.generation ?? 1);
    // Yesterday is PENDING before 09:00 Beijing, else it runs to its end (a day without trades here: NO_BILL).
    expect(['PENDING', 'NO_BILL']).toContain((await drive(yesterday, (r) => r.status === 'PENDING' || r.status === 'NO_BILL')).status);
  });
});

describe('OpenAPI', () => {
  it('documents the reconciliation endpoints and their schemas', async () => {
    const doc = (await (await api('/openapi.json')).json()) as any;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/reconciliations', '/v1/reconciliations/{bill_date}']));
    expect(Object.keys(doc.paths['/v1/reconciliations'].post.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '401']));
    expect(doc.components.schemas.Reconciliation.properties.status.enum).toEqual(['PENDING', 'RUNNING', 'BALANCED', 'DISCREPANCIES', 'NO_BILL', 'ERROR']);
    expect(doc.components.schemas.ReconciliationRequest.required).toEqual(['bill_date']);
    const day = doc.paths['/v1/reconciliations/{bill_date}'].get;
    expect(day.parameters.map((p: any) => [p.name, p.in])).toEqual([
      ['bill_date', 'path'],
      ['limit', 'query'],
      ['cursor', 'query'],
    ]);
    expect(day.parameters[1].schema.pattern).toBe('^(?:[1-9]|[1-9][0-9]|100)$');
    expect(Object.keys(day.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '404']));
    expect(doc.components.schemas.Reconciliation.properties.next_cursor.type).toEqual(['string', 'null']);
  });
});

describe('GET /v1/reconciliations/:bill_date pages its items', () => {
  const day = dayBack(11);
  /** The report's items as (kind, ref), in the order the pages must give them (SQLite's BINARY order = JS's for ASCII). */
  let expected: string[];

  const key = (i: { kind: string; out_trade_no: string | null; out_refund_no: string | null }) =>
    `${i.kind}|${i.kind.startsWith('REFUND_') ? i.out_refund_no : i.out_trade_no}`;
  const get = async (query: string) => {
    const res = await api(`/v1/reconciliations/${day}${query}`, { headers: AUTH });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const insertItem = (kind: string, ref: string, resolution: 'OPEN' | 'APPLIED', generation: number) =>
    env.DB.prepare(
      `INSERT INTO reconciliation_items (bill_date, kind, ref, out_trade_no, out_refund_no, resolution, generation, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)`,
    )
      .bind(day, kind, ref, kind.startsWith('REFUND_') ? null : ref, kind.startsWith('REFUND_') ? ref : null, resolution, generation, new Date().toISOString())
      .run();

  // The day, built once for this describe: 24 items of three kinds and both resolutions.
  beforeAll(async () => {
    // 21 PAID orders WeChat never saw (MISSING_AT_WECHAT), found by a real run.
    const planted = Array.from({ length: 21 }, () => freshNo('P')); // one letter: plantPaid's transaction_id keeps the first 13 characters
    for (const no of planted) await plantPaid(no, day);
    await start(day);
    expect((await drive(day)).status).toBe('DISCREPANCIES');
    // Two more kinds of this run, a fix APPLIED by an earlier run (in the report), and a stale OPEN row of
    // an earlier run (not in it: finishFetch would have deleted it).
    await insertItem('REFUND_MISSING_LOCALLY', 'RF-B', 'OPEN', 1);
    await insertItem('REFUND_MISSING_LOCALLY', 'RF-A', 'OPEN', 1);
    await insertItem('MISSING_LOCALLY', 'APPLIED-EARLIER', 'APPLIED', 0);
    await insertItem('MISSING_LOCALLY', 'STALE-EARLIER', 'OPEN', 0);
    expected = [
      ...planted.map((no) => `MISSING_AT_WECHAT|${no}`),
      'MISSING_LOCALLY|APPLIED-EARLIER',
      'REFUND_MISSING_LOCALLY|RF-A',
      'REFUND_MISSING_LOCALLY|RF-B',
    ].sort();
    expect(expected).toHaveLength(24);
  });

  it('24 items: every item exactly once, in one stable order, whatever the page size; item_counts counts them all', async () => {
    for (const limit of [1, 4, 5, 24, 100]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const { status, body } = await get(`?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(status).toBe(200);
        expect(body.items.length).toBe(Math.min(limit, 24 - seen.length));
        expect(body.item_counts).toMatchObject({ total: 24, open: 23, applied: 1 });
        expect(body.item_counts.by_kind).toMatchObject({
          MISSING_AT_WECHAT: { open: 21, applied: 0 },
          MISSING_LOCALLY: { open: 0, applied: 1 },
          REFUND_MISSING_LOCALLY: { open: 2, applied: 0 },
        });
        expect(body).toMatchObject({ bill_date: day, status: 'DISCREPANCIES', generation: 1, totals: { ours: { payment_count: 21 } } });
        seen.push(...body.items.map(key));
        cursor = body.next_cursor;
        pages += 1;
        if (seen.length < 24) expect(typeof cursor, `limit ${limit}, page ${pages}`).toBe('string');
      } while (cursor && pages < 30);
      expect(cursor, `limit ${limit}`).toBeNull(); // the last page, full or not, says so
      expect(pages).toBe(Math.ceil(24 / limit));
      expect(seen, `limit ${limit}`).toEqual(expected);
    }
  });

  it('no limit: 20 items (as /v1/orders and /v1/events), and POST answering 200 gives the same first page', async () => {
    const first = await get('');
    expect(first.status).toBe(200);
    expect(first.body.items.map(key)).toEqual(expected.slice(0, 20));
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const rest = await get(`?cursor=${first.body.next_cursor}`);
    expect(rest.body.items.map(key)).toEqual(expected.slice(20));
    expect(rest.body.next_cursor).toBeNull();

    const again = await start(day);
    expect(again.status).toBe(200);
    expect(again.body.items.map(key)).toEqual(expected.slice(0, 20));
    expect(again.body.next_cursor).toBe(first.body.next_cursor);
    expect(again.body.item_counts.total).toBe(24);
  });

  const cursorOf = (v: unknown) => base64urlEncode(JSON.stringify(v));
  it.each([
    ['limit=0', 'limit: must be an integer from 1 to 100'],
    ['limit=101', 'limit: must be an integer from 1 to 100'],
    ['limit=x', 'limit: must be an integer from 1 to 100'],
    ['limit=2.5', 'limit: must be an integer from 1 to 100'],
    ['limit=', 'limit: must be an integer from 1 to 100'],
    ['cursor=x', 'cursor: not a cursor from this API'],
    ['cursor=%21%21', 'cursor: '],
    [`cursor=${'A'.repeat(201)}`, 'cursor: '],
    [`cursor=${cursorOf(['NOT_A_KIND', 'PG1'])}`, 'cursor: not a cursor from this API'],
    [`cursor=${cursorOf(['MISSING_AT_WECHAT', 5])}`, 'cursor: not a cursor from this API'],
    [`cursor=${cursorOf(['MISSING_AT_WECHAT', ''])}`, 'cursor: not a cursor from this API'],
    [`cursor=${cursorOf(['2026-01-01T00:00:00.000Z', 'T123456'])}`, 'cursor: not a cursor from this API'],
    ['foo=1', 'query: unrecognized parameter "foo"'],
  ])('?%s → 400 VALIDATION_FAILED naming the parameter; the day is untouched', async (query, message) => {
    const before = await runRow(day);
    const { status, body } = await get(`?${query}`);
    expect(status).toBe(400);
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.message.startsWith(message)).toBe(true);
    expect(await runRow(day)).toEqual(before);
  });

  it('the page query is a range on the (bill_date, kind, ref) index: no table scan, no sort of the day', async () => {
    const statements: { sql: string; params: unknown[] }[] = [];
    const recording = {
      prepare(sql: string) {
        return {
          bind(...params: unknown[]) {
            statements.push({ sql, params });
            return env.DB.prepare(sql).bind(...params);
          },
        };
      },
    } as unknown as D1Database;
    const config = getConfig(env);
    if (!config.ok) throw new Error('config');
    const deps = { ...gatewayDeps(env, { exports, waitUntil: () => undefined } as { waitUntil(w: Promise<unknown>): void }, config.config), db: recording };
    const page = await getReport(deps, day, { limit: 3, after: { kind: 'MISSING_AT_WECHAT', ref: expected[5]!.split('|')[1]! } });
    expect(page.items!.map(key)).toEqual(expected.slice(6, 9));
    const planOf = async (sql: string, params: unknown[]) =>
      (
        await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .bind(...params)
          .all<{ detail: string }>()
      ).results.map((r) => r.detail);
    const pageSql = statements.find((s) => /ORDER BY kind, ref LIMIT/.test(s.sql));
    expect(pageSql).toBeDefined();
    const plan = await planOf(pageSql!.sql, pageSql!.params);
    expect(plan).toEqual(['SEARCH reconciliation_items USING INDEX sqlite_autoindex_reconciliation_items_1 (bill_date=? AND (kind,ref)>(?,?))']);
    for (const s of statements) {
      const details = await planOf(s.sql, s.params);
      expect(
        details.filter((d) => d.startsWith('SCAN') && !/USING (COVERING )?INDEX/.test(d)),
        `${s.sql}\n${details.join('\n')}`,
      ).toEqual([]);
    }
    // The check has teeth: the same page in insertion order would sort the whole day first.
    expect(await planOf(`SELECT * FROM reconciliation_items WHERE bill_date = ?1 AND id > ?2 ORDER BY id LIMIT 3`, [day, 0])).toContain(
      'USE TEMP B-TREE FOR ORDER BY',
    );
  });
});
