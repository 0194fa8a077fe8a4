// The reconciliation API's edges: dates refused with 400, auth, unknown days, listing, a bill not
// ready before T+1 09:00 Beijing (no call made), and the cron's dispatch.
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../../src/worker/config';
import { requestReconciliation } from '../../src/worker/reconciliation/request';
import { reconcileStep } from '../../src/worker/reconciliation/step';
import type { BillStage } from '../../src/worker/reconciliation/stage';
import { gatewayDeps } from '../../src/worker/wiring';
import { api, AUTH, postJson } from '../support/orders-helpers';
import { dayBack, drive, runRow, start } from '../support/reconciliation-helpers';

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
  });
});
