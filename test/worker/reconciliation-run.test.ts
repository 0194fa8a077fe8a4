// T+1 reconciliation end to end: the simulator's bill against D1 through the Reconciler DO, the
// OrderGate and the merchant API (issue 12's Done-when, in workerd with real D1 and DOs).
import { env } from 'cloudflare:workers';
import { injectedFault } from '../support/injected-fault';
import { describe, expect, it } from 'vitest';
import { dayBack, drive, ledger, payOnDay, plantPaid, report, runRow, setHooks, start } from '../support/reconciliation-helpers';
import { freshNo, orderRow } from '../support/orders-helpers';

const byKind = (items: any[], kind: string) => items.filter((i) => i.kind === kind);

describe('a day with a lost notify and a payment WeChat never made', () => {
  it('finds both, applies the missed payment once through the OrderGate, and a re-run applies nothing twice', async () => {
    const day = dayBack(2);
    const normal1 = await payOnDay(2);
    const normal2 = await payOnDay(2, { totalFee: 1 });
    const silent = await payOnDay(2, { totalFee: 250, scenario: { notify: 'never' } });
    expect((await orderRow(silent.outTradeNo))!.status).toBe('NOTPAY');
    const planted = freshNo('PLANT');
    await plantPaid(planted, day);

    const first = await start(day);
    expect(first.status).toBe(202);
    expect(['PENDING', 'RUNNING']).toContain(first.body.status);
    await drive(day);

    const { status, body } = await report(day);
    expect(status).toBe(200);
    expect(body.status).toBe('DISCREPANCIES');
    expect(body.items).toHaveLength(2);
    expect(byKind(body.items, 'MISSING_LOCALLY')).toEqual([
      expect.objectContaining({
        resolution: 'APPLIED',
        out_trade_no: silent.outTradeNo,
        transaction_id: silent.transactionId,
        bill: expect.objectContaining({ total_fee: 250 }),
      }),
    ]);
    expect(byKind(body.items, 'MISSING_AT_WECHAT')).toEqual([
      expect.objectContaining({ resolution: 'OPEN', out_trade_no: planted, bill: null, ours: expect.objectContaining({ total_fee: 500, status: 'PAID' }) }),
    ]);
    expect(body.items.map((i: any) => i.out_trade_no)).not.toContain(normal1.outTradeNo);
    expect(body.items.map((i: any) => i.out_trade_no)).not.toContain(normal2.outTradeNo);
    // 19.99 + 0.01 + 2.50 at 0.60%, each fee rounded to the fen: 0.12 + 0.00 + 0.02.
    expect(body.totals.bill).toEqual({
      payment_count: 3,
      paid_fee: 2250,
      refund_count: 0,
      refund_fee: 0,
      service_charge: { millifen: 14000, yuan: '0.14000' },
      net_settlement: { millifen: 2236000, yuan: '22.36000' },
    });
    expect(body.totals.ours).toMatchObject({ payment_count: 4, paid_fee: 2750, service_charge: null });

    const row = (await orderRow(silent.outTradeNo))!;
    expect(row).toMatchObject({ status: 'PAID', transaction_id: silent.transactionId, total_fee: 250 });
    expect(await ledger(silent.outTradeNo)).toEqual([{ amount_fen: 250, transaction_id: silent.transactionId }]);
    const anomalies = await env.DB.prepare('SELECT kind, out_trade_no FROM anomalies WHERE out_trade_no IN (?1, ?2)').bind(planted, silent.outTradeNo).all();
    expect(anomalies.results).toEqual([{ kind: 'RECON_MISSING_AT_WECHAT', out_trade_no: planted }]);

    // Asked again without rerun: the finished report, 200.
    const again = await start(day);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'DISCREPANCIES', generation: 1 });

    // A re-run replaces the report; the fix stays reported as history and is not applied again.
    const rerun = await start(day, true);
    expect(rerun.status).toBe(202);
    await drive(day);
    const second = await report(day);
    expect(second.body).toMatchObject({ status: 'DISCREPANCIES', generation: 2 });
    expect(second.body.items.map((i: any) => [i.kind, i.resolution, i.out_trade_no])).toEqual([
      ['MISSING_AT_WECHAT', 'OPEN', planted],
      ['MISSING_LOCALLY', 'APPLIED', silent.outTradeNo],
    ]);
    expect(second.body.totals.ours).toMatchObject({ payment_count: 4, paid_fee: 2750 });
    expect(await ledger(silent.outTradeNo)).toHaveLength(1);
    const anomalyCount = await env.DB.prepare('SELECT count(*) AS n FROM anomalies WHERE out_trade_no = ?1').bind(planted).first<{ n: number }>();
    expect(anomalyCount!.n).toBe(1);
  });
});

describe('the other payment differences stay OPEN with both sides', () => {
  it('AMOUNT_MISMATCH, STATUS_MISMATCH, and a missed payment whose amount is not ours (not applied, an anomaly)', async () => {
    const day = dayBack(3);
    const amount = await payOnDay(3, { totalFee: 300 });
    const txn = await payOnDay(3, { totalFee: 400 });
    const notOurs = await payOnDay(3, { totalFee: 600, scenario: { notify: 'never' } });
    await env.DB.prepare('UPDATE orders SET total_fee = 301 WHERE out_trade_no = ?1').bind(amount.outTradeNo).run();
    await env.DB.prepare(`UPDATE orders SET transaction_id = '4200000000OTHER' || substr(out_trade_no, 1, 10) WHERE out_trade_no = ?1`)
      .bind(txn.outTradeNo)
      .run();
    await env.DB.prepare('UPDATE orders SET total_fee = 601 WHERE out_trade_no = ?1').bind(notOurs.outTradeNo).run();

    expect((await start(day)).status).toBe(202);
    await drive(day);
    const { body } = await report(day);
    expect(body.status).toBe('DISCREPANCIES');
    expect(byKind(body.items, 'AMOUNT_MISMATCH')).toEqual([
      expect.objectContaining({
        resolution: 'OPEN',
        out_trade_no: amount.outTradeNo,
        bill: expect.objectContaining({ total_fee: 300 }),
        ours: expect.objectContaining({ total_fee: 301 }),
      }),
    ]);
    expect(byKind(body.items, 'STATUS_MISMATCH')).toEqual([
      expect.objectContaining({
        resolution: 'OPEN',
        out_trade_no: txn.outTradeNo,
        note: 'transaction_id differs',
        bill: expect.objectContaining({ transaction_id: txn.transactionId }),
      }),
    ]);
    expect(byKind(body.items, 'MISSING_LOCALLY')).toEqual([expect.objectContaining({ resolution: 'OPEN', out_trade_no: notOurs.outTradeNo })]);
    expect((await orderRow(notOurs.outTradeNo))!.status).toBe('NOTPAY');
    expect(await ledger(notOurs.outTradeNo)).toHaveLength(0);
    const a = await env.DB.prepare('SELECT kind FROM anomalies WHERE out_trade_no = ?1').bind(notOurs.outTradeNo).all();
    expect(a.results.map((r) => r.kind)).toContain('RECON_MISSING_LOCALLY');
  });

  it('a day whose books agree with the bill is BALANCED', async () => {
    const day = dayBack(4);
    await payOnDay(4, { totalFee: 700 });
    await start(day);
    await drive(day);
    const { body } = await report(day);
    expect(body).toMatchObject({
      status: 'BALANCED',
      items: [],
      totals: { bill: { payment_count: 1, paid_fee: 700 }, ours: { payment_count: 1, paid_fee: 700 } },
    });
  });
});

describe('days without a bill, and bills not ready yet', () => {
  it('a day with no trades is a final NO_BILL', async () => {
    const day = dayBack(40);
    expect((await start(day)).status).toBe(202);
    await drive(day);
    const { body } = await report(day);
    expect(body).toMatchObject({ status: 'NO_BILL', items: [], totals: { bill: { payment_count: 0, paid_fee: 0 }, ours: { payment_count: 0 } } });
    expect((await start(day)).status).toBe(200);
  });

  it('WeChat not answering with the bill leaves the run PENDING with a next attempt; the retry completes it', async () => {
    const day = dayBack(5);
    await payOnDay(5, { totalFee: 800 });
    const fault = await (await import('../support/orders-helpers')).postJson(
      '/sandbox/sim/scenario',
      { out_trade_no: '*', faults: [{ endpoint: 'downloadbill', error: 'SYSTEMERROR' }] },
      {},
    );
    expect(fault.status).toBe(200);
    await start(day);
    const pending = await drive(day, (r) => r.attempts === 1);
    expect(pending).toMatchObject({ status: 'PENDING', phase: 'FETCH', attempts: 1 });
    expect(Date.parse(pending.next_attempt_at)).toBeGreaterThan(Date.now());
    expect((await report(day)).body).toMatchObject({ status: 'PENDING', next_attempt_at: pending.next_attempt_at });
    // Time passes (the alarm or the cron comes back at next_attempt_at).
    await env.DB.prepare('UPDATE reconciliation_runs SET next_attempt_at = ?2 WHERE bill_date = ?1')
      .bind(day, new Date(Date.now() - 1000).toISOString())
      .run();
    await drive(day);
    expect((await report(day)).body).toMatchObject({ status: 'BALANCED', totals: { bill: { payment_count: 1, paid_fee: 800 } } });
  });
});

describe('crashes', () => {
  it('a crash after applying (before the chunk commits) and one between chunks resume without applying twice', async () => {
    const day = dayBack(6);
    const silent = [];
    for (const fee of [11, 12, 13]) silent.push(await payOnDay(6, { totalFee: fee, scenario: { notify: 'never' } }));
    await payOnDay(6, { totalFee: 14 });
    await payOnDay(6, { totalFee: 15 });
    let crashAfterApply = true;
    let crashBetween = true;
    await setHooks(day, {
      rows: 2,
      afterApply: async (k) => {
        if (k === 0 && crashAfterApply) {
          crashAfterApply = false;
          throw injectedFault('crash after apply');
        }
      },
      afterChunk: async (k) => {
        if (k === 1 && crashBetween) {
          crashBetween = false;
          throw injectedFault('crash between chunks');
        }
      },
    });
    await start(day);
    await drive(day);
    await setHooks(day, undefined);
    expect(crashAfterApply || crashBetween).toBe(false);
    const run = await runRow(day);
    expect(run).toMatchObject({ status: 'DISCREPANCIES', chunk_count: 3, next_chunk: 3 });
    const { body } = await report(day);
    expect(body.items.map((i: any) => [i.kind, i.resolution]).sort()).toEqual([
      ['MISSING_LOCALLY', 'APPLIED'],
      ['MISSING_LOCALLY', 'APPLIED'],
      ['MISSING_LOCALLY', 'APPLIED'],
    ]);
    for (const s of silent) {
      expect((await orderRow(s.outTradeNo))!.status).toBe('PAID');
      expect(await ledger(s.outTradeNo)).toHaveLength(1);
    }
    expect(body.totals.ours).toMatchObject({ payment_count: 5, paid_fee: 65 });
  });
});
