// docs/reliability.md §7.4 D: infrastructure faults mid-notify. Each reply is RETRY (503) with nothing
// partial in D1, and a redelivery then succeeds with exactly one credit.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { commitPayment } from '../../src/worker/d1/payments-repo';
import { OK, RETRY, installGateHooks, ledgerRows, notificationRows, orderRow, postNotify, replyOf, seedOrder, signedNotify, snap } from './notify-helpers';

const XML = 'text/xml; charset=utf-8';

async function expectRetryThenRecovery(no: string, xml: string, before: string, clear: () => Promise<void>) {
  expect(await replyOf(await postNotify(xml))).toEqual({ status: 503, body: RETRY, type: XML });
  expect(await snap()).toBe(before); // nothing partial: never PAID without its credit, no record
  await clear();
  expect(await replyOf(await postNotify(xml))).toEqual({ status: 200, body: OK, type: XML });
  expect((await orderRow(no))!.status).toBe('PAID');
  expect(await ledgerRows(no)).toHaveLength(1);
  expect((await notificationRows(no)).map((r) => r.verdict)).toEqual(['APPLIED']);
}

describe('D1 faults inside the payment batch', { timeout: 60_000 }, () => {
  it('T53: the batch fails at its ledger statement (SQLite trigger) → RETRY, the order stays NOTPAY; redelivery credits once', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    await env.DB.exec(`CREATE TRIGGER fail_ledger BEFORE INSERT ON ledger BEGIN SELECT RAISE(ABORT, 'injected ledger failure'); END`);
    const before = await snap();
    await expectRetryThenRecovery(no, n.xml, before, async () => {
      await env.DB.exec('DROP TRIGGER fail_ledger');
    });
  });

  it('T54/T57: D1 throws before executing (Network connection lost) → RETRY, no change; redelivery credits once', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    await installGateHooks(no, () => ({
      beforeCommit: async () => {
        throw new Error('D1_ERROR: Network connection lost.');
      },
    }));
    const before = await snap();
    await expectRetryThenRecovery(no, n.xml, before, () => installGateHooks(no, () => ({})));
  });

  it('T56: D1 overloaded → RETRY at once, exactly one attempt inside the request', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    let attempts = 0;
    await installGateHooks(no, () => ({
      beforeCommit: async () => {
        attempts += 1;
        throw new Error('D1 DB is overloaded. Requests queued for too long.');
      },
    }));
    const before = await snap();
    await expectRetryThenRecovery(no, n.xml, before, () => installGateHooks(no, () => ({})));
    expect(attempts).toBe(1);
  });

  it('T55: commit with unknown outcome (committed, then the call fails) → RETRY; redelivery is OK with still ONE credit', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    await installGateHooks(no, () => ({
      afterCommit: async () => {
        throw new Error('D1_ERROR: Network connection lost.');
      },
    }));
    expect(await replyOf(await postNotify(n.xml))).toEqual({ status: 503, body: RETRY, type: XML });
    expect((await orderRow(no))!.status).toBe('PAID'); // it did commit, atomically
    await installGateHooks(no, () => ({}));
    expect(await replyOf(await postNotify(n.xml))).toEqual({ status: 200, body: OK, type: XML });
    expect(await ledgerRows(no)).toHaveLength(1);
    expect(await notificationRows(no)).toHaveLength(1);
  });

  it('T60: the DO is reset between the D1 commit and the reply → RETRY; redelivery OK, one credit, cache rebuilt', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    await installGateHooks(no, (state) => ({
      afterCommit: async () => {
        state.abort('injected reset after commit');
      },
    }));
    expect((await replyOf(await postNotify(n.xml))).body).toBe(RETRY);
    expect(await replyOf(await postNotify(n.xml))).toEqual({ status: 200, body: OK, type: XML });
    expect((await orderRow(no))!.status).toBe('PAID');
    expect(await ledgerRows(no)).toHaveLength(1);
  });

  it('T61: D1 slower than the internal deadline → RETRY before 5 s; the late commit is harmless; redelivery OK, one credit', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    await installGateHooks(no, () => ({ beforeCommit: () => new Promise((r) => setTimeout(r, 4_500)) }));
    expect(await replyOf(await postNotify(n.xml))).toEqual({ status: 503, body: RETRY, type: XML });
    await installGateHooks(no, () => ({}));
    // Queued behind the slow commit by the DO lock, then answered from its result.
    expect(await replyOf(await postNotify(n.xml))).toEqual({ status: 200, body: OK, type: XML });
    expect(await ledgerRows(no)).toHaveLength(1);
  }, 20_000);
});

describe('the payment batch itself', { timeout: 60_000 }, () => {
  it('a lost compare-and-set writes nothing: no credit, no record, no anomaly', async () => {
    const no = await seedOrder({ status: 'NOTPAY' });
    const before = await snap();
    const now = new Date().toISOString();
    const applied = await commitPayment(env.DB, {
      facts: { outTradeNo: no, transactionId: '4200000000202611280000009999', totalFee: 1999, feeType: 'CNY', source: 'NOTIFY' },
      from: 'CLOSED', // stale: the order is NOTPAY
      to: 'PAID_AFTER_CLOSE',
      now,
      evidence: { rawBody: '<xml/>', bodySha256: 'a'.repeat(64), receivedAt: now },
      anomaly: { kind: 'PAID_AFTER_CLOSE', outTradeNo: no, bodySha256: 'a'.repeat(64), detail: {}, now },
    });
    expect(applied).toBe(false);
    expect(await snap()).toBe(before);
  });

  it('an amount that differs from the order is never written, even when the caller skipped its check', async () => {
    const no = await seedOrder();
    const now = new Date().toISOString();
    const applied = await commitPayment(env.DB, {
      facts: { outTradeNo: no, transactionId: '4200000000202611280000008888', totalFee: 1, feeType: 'CNY', source: 'ORDERQUERY' },
      from: 'NOTPAY',
      to: 'PAID',
      now,
    });
    expect(applied).toBe(false);
    expect((await orderRow(no))!.status).toBe('NOTPAY');
    expect(await ledgerRows(no)).toHaveLength(0);
  });
});
