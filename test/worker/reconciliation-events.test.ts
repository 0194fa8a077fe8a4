// Reconciliation and webhooks: reconciliation.completed through the outbox in the run's final batch
// (once per generation, rolled back with it), and the anomalies reconciliation raises reaching the
// merchant as order.anomaly, verified with the Standard Webhooks library through the queue consumer.
import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { INJECTED_FAULT_TAG } from '../support/injected-fault';
import { AUTH, api, freshNo, orderRow } from '../support/orders-helpers';
import { dayBack, drive, payOnDay, plantPaid, reconciler, report, runRow, start } from '../support/reconciliation-helpers';
import { deliverVerified } from '../support/webhooks-helpers';

async function completedEvents(day: string) {
  return (
    await env.DB.prepare(`SELECT * FROM events WHERE type = 'reconciliation.completed' AND dedupe_key LIKE ?1 ORDER BY seq`)
      .bind(`reconciliation.completed:${day}:%`)
      .all<Record<string, any>>()
  ).results;
}

async function anomalyEvents(outTradeNo: string) {
  return (
    await env.DB.prepare(`SELECT * FROM events WHERE type = 'order.anomaly' AND out_trade_no = ?1 ORDER BY seq`).bind(outTradeNo).all<Record<string, any>>()
  ).results.map((e): Record<string, any> => ({ ...e, data: JSON.parse(e.data as string) as Record<string, any> }));
}

/** Runs the day's next step by hand (the runtime may be retrying it on its own too): true once one threw. */
async function finalStepFails(day: string): Promise<boolean> {
  for (let i = 0; i < 5; i++) {
    await reconciler(day).kick(day);
    try {
      await runDurableObjectAlarm(reconciler(day));
    } catch {
      return true;
    }
  }
  return false;
}

/** The GET report without its items: what data.reconciliation carries. */
/** The GET view without its page of items (items, next_cursor): what the event carries. */
async function reportWithoutItems(day: string) {
  const { body } = await report(day);
  const { items: _items, next_cursor: _next, ...rest } = body;
  return rest;
}

describe('reconciliation.completed', () => {
  it('is written once per generation with the final status, and delivered (verified) with the report view without items', async () => {
    const day = dayBack(8);
    await payOnDay(8, { totalFee: 123 });
    const notOurs = await payOnDay(8, { totalFee: 600, scenario: { notify: 'never' } });
    await env.DB.prepare('UPDATE orders SET total_fee = 601 WHERE out_trade_no = ?1').bind(notOurs.outTradeNo).run();
    const planted = freshNo('PLANT');
    await plantPaid(planted, day);

    expect((await start(day)).status).toBe(202);
    await drive(day);
    const run1 = (await runRow(day))!;
    expect(run1.status).toBe('DISCREPANCIES');

    const [ev1, ...more] = await completedEvents(day);
    expect(more).toEqual([]);
    expect(ev1).toMatchObject({ dedupe_key: `reconciliation.completed:${day}:1`, out_trade_no: null, order_status: null, status: 'pending' });

    const payload = await deliverVerified(ev1!.id);
    expect(payload).toMatchObject({ id: ev1!.id, type: 'reconciliation.completed', created_at: ev1!.created_at });
    expect(Object.keys(payload.data)).toEqual(['reconciliation']);
    const view = await reportWithoutItems(day);
    expect(payload.data.reconciliation).toEqual(view);
    expect(payload.data.reconciliation).toMatchObject({
      bill_date: day,
      status: 'DISCREPANCIES',
      generation: 1,
      finished_at: run1.finished_at,
      totals: { bill: { payment_count: 2, paid_fee: 723 }, ours: { payment_count: 2, paid_fee: 623 } },
      item_counts: {
        total: 2,
        open: 2,
        applied: 0,
        by_kind: expect.objectContaining({
          MISSING_LOCALLY: { open: 1, applied: 0 },
          MISSING_AT_WECHAT: { open: 1, applied: 0 },
          AMOUNT_MISMATCH: { open: 0, applied: 0 },
        }),
      },
    });
    expect(payload.data.reconciliation.items).toBeUndefined();
    // The events API shows the same body.
    const shown = (await (await api(`/v1/events/${ev1!.id}`, { headers: AUTH })).json()) as Record<string, any>;
    expect(shown.data).toEqual(payload.data);

    // Asked again without rerun: nothing runs, no second event. A re-run is a new generation, with its own event.
    expect((await start(day)).status).toBe(200);
    expect(await completedEvents(day)).toHaveLength(1);
    expect((await start(day, true)).status).toBe(202);
    await drive(day);
    const evs = await completedEvents(day);
    expect(evs.map((e) => e.dedupe_key)).toEqual([`reconciliation.completed:${day}:1`, `reconciliation.completed:${day}:2`]);
    const second = await deliverVerified(evs[1]!.id);
    expect(second.data.reconciliation).toMatchObject({ status: 'DISCREPANCIES', generation: 2 });
    expect(second.data.reconciliation).toEqual(await reportWithoutItems(day));
    // Stepping a finished run again (a duplicated alarm) changes nothing and writes no event.
    await reconciler(day).kick(day);
    await drive(day);
    expect(await completedEvents(day)).toHaveLength(2);
  });

  it('NO_BILL is final and reported', async () => {
    const day = dayBack(41);
    await start(day);
    await drive(day);
    const [ev] = await completedEvents(day);
    const payload = await deliverVerified(ev!.id);
    expect(payload.data.reconciliation).toMatchObject({ bill_date: day, status: 'NO_BILL', item_counts: { total: 0, open: 0, applied: 0 } });
  });

  it('a failing event insert rolls back the final status; the next step commits both', async () => {
    const day = dayBack(9);
    await payOnDay(9, { totalFee: 321 });
    // Installed before the run starts: the day's own alarms cannot finish it meanwhile.
    await env.DB.exec(
      `CREATE TRIGGER fail_recon_events BEFORE INSERT ON events WHEN NEW.type = 'reconciliation.completed' BEGIN SELECT RAISE(ABORT, '${INJECTED_FAULT_TAG} reconciliation event insert failure'); END`,
    );
    try {
      await start(day);
      await drive(day, (r) => r.phase === 'REFUNDS');
      expect(await finalStepFails(day)).toBe(true);
      expect(await runRow(day)).toMatchObject({ status: 'RUNNING', phase: 'REFUNDS', finished_at: null, local_payment_count: null });
      expect(await completedEvents(day)).toEqual([]);
    } finally {
      await env.DB.exec('DROP TRIGGER fail_recon_events');
    }
    await drive(day);
    expect(await runRow(day)).toMatchObject({ status: 'BALANCED', phase: 'DONE' });
    const evs = await completedEvents(day);
    expect(evs).toHaveLength(1);
    expect(JSON.parse(evs[0]!.data as string).reconciliation.run).toMatchObject({ status: 'BALANCED', generation: 1, local_payment_count: 1 });
  });
});

describe('reconciliation anomalies reach the merchant as order.anomaly', () => {
  it('RECON_MISSING_AT_WECHAT and RECON_MISSING_LOCALLY: one event per anomaly row, none added by a re-run, delivered and verified', async () => {
    const day = dayBack(10);
    const notOurs = await payOnDay(10, { totalFee: 900, scenario: { notify: 'never' } });
    await env.DB.prepare('UPDATE orders SET total_fee = 901 WHERE out_trade_no = ?1').bind(notOurs.outTradeNo).run();
    const planted = freshNo('PLANT');
    await plantPaid(planted, day, 777);
    const warnings: string[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation((line: unknown) => void warnings.push(String(line)));
    const reconAlerts = () => warnings.filter((w) => /"event":"ANOMALY","kind":"RECON_/.test(w)).length;
    await start(day);
    await drive(day);
    expect(reconAlerts()).toBe(2); // one operator alert per new anomaly row

    const [atWechat, ...rest1] = await anomalyEvents(planted);
    expect(rest1).toEqual([]);
    expect(atWechat!.data.anomaly).toMatchObject({ kind: 'RECON_MISSING_AT_WECHAT', detail: { billDate: day, bill: null, local: { total_fee: 777 } } });
    // The verified orderquery that tried to confirm it went through the OrderGate, which records the
    // amount difference itself (AMOUNT_MISMATCH); the reconciliation's own item is RECON_MISSING_LOCALLY.
    const notOursEvents = await anomalyEvents(notOurs.outTradeNo);
    expect(notOursEvents.map((e) => e.data.anomaly.kind).sort()).toEqual(['AMOUNT_MISMATCH', 'RECON_MISSING_LOCALLY']);
    const locally = notOursEvents.find((e) => e.data.anomaly.kind === 'RECON_MISSING_LOCALLY');
    expect(locally!.data.anomaly).toMatchObject({ kind: 'RECON_MISSING_LOCALLY', detail: { billDate: day, bill: { total_fee: 900 } } });

    const p = await deliverVerified(atWechat!.id);
    expect(p).toMatchObject({
      type: 'order.anomaly',
      data: { order: { out_trade_no: planted, status: 'PAID', total_fee: 777 }, anomaly: { kind: 'RECON_MISSING_AT_WECHAT' } },
    });
    const q = await deliverVerified(locally!.id);
    expect(q).toMatchObject({
      type: 'order.anomaly',
      data: { order: { out_trade_no: notOurs.outTradeNo, status: 'NOTPAY' }, anomaly: { kind: 'RECON_MISSING_LOCALLY' } },
    });

    await start(day, true);
    await drive(day);
    expect(await anomalyEvents(planted)).toHaveLength(1);
    expect(await anomalyEvents(notOurs.outTradeNo)).toHaveLength(2);
    expect(reconAlerts()).toBe(2); // the re-run found the same rows: no second alert
    warn.mockRestore();
  });

  it('a failing order.anomaly insert rolls back the step (no anomaly row, no item, no progress); the retry writes each once', async () => {
    const day = dayBack(11);
    await payOnDay(11, { totalFee: 50 });
    const planted = freshNo('PLANT');
    await plantPaid(planted, day, 55);
    await env.DB.exec(
      `CREATE TRIGGER fail_anomaly_events BEFORE INSERT ON events WHEN NEW.type = 'order.anomaly' BEGIN SELECT RAISE(ABORT, '${INJECTED_FAULT_TAG} anomaly event insert failure'); END`,
    );
    try {
      await start(day);
      await drive(day, (r) => r.phase === 'LOCAL');
      expect(await finalStepFails(day)).toBe(true);
      expect(await runRow(day)).toMatchObject({ status: 'RUNNING', phase: 'LOCAL', local_cursor: '' });
      const rows = await env.DB.prepare('SELECT count(*) AS n FROM anomalies WHERE out_trade_no = ?1').bind(planted).first<{ n: number }>();
      expect(rows!.n).toBe(0);
      const items = await env.DB.prepare('SELECT count(*) AS n FROM reconciliation_items WHERE bill_date = ?1').bind(day).first<{ n: number }>();
      expect(items!.n).toBe(0);
    } finally {
      await env.DB.exec('DROP TRIGGER fail_anomaly_events');
    }
    await drive(day);
    expect((await report(day)).body).toMatchObject({ status: 'DISCREPANCIES', item_counts: { total: 1, by_kind: { MISSING_AT_WECHAT: { open: 1 } } } });
    expect(await anomalyEvents(planted)).toHaveLength(1);
    expect((await orderRow(planted))!.status).toBe('PAID');
  });
});
