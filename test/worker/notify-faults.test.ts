// docs/reliability.md §7.4 D: infrastructure faults mid-notify. Each reply is RETRY (503) with nothing
// partial in D1, and a redelivery then succeeds with exactly one credit. Each test asserts on the
// error the route's DO call saw: the fault it injected, and no other.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { createApp, type AppOptions } from '../../src/worker/compose/app';
import { commitPayment } from '../../src/worker/orders/payments-repo';
import { INJECTED_FAULT_TAG, injectedFault } from '../support/injected-fault';
import {
  NOTIFY_URL,
  OK,
  RETRY,
  installGateHooks,
  ledgerRows,
  notificationRows,
  orderRow,
  postNotify,
  replyOf,
  seedOrder,
  signedNotify,
  snap,
} from '../support/notify-helpers';

const XML = 'text/xml; charset=utf-8';

/**
 * One notify through the whole app, whose OrderGate stubs record every error a method threw at the
 * route (settleNotice, applyPayment). `settled` resolves once the request's waitUntil work is done.
 */
async function postRecordingGateErrors(xml: string, options: AppOptions = {}) {
  const errors: unknown[] = [];
  const ORDER_GATE = {
    getByName(name: string) {
      const real = env.ORDER_GATE.getByName(name) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const recording =
        (method: string) =>
        async (...args: unknown[]) => {
          try {
            return await real[method]!(...args);
          } catch (e) {
            errors.push(e);
            throw e;
          }
        };
      return new Proxy({}, { get: (_, method) => recording(String(method)) });
    },
  } as unknown as Env['ORDER_GATE'];
  const ctx = createExecutionContext();
  const res = await createApp(options).fetch(
    new Request(NOTIFY_URL, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: xml }),
    { ...env, ORDER_GATE },
    ctx,
  );
  return { res, errors, settled: waitOnExecutionContext(ctx) };
}

/** The first delivery meets `fault` (its message must reach the route); after `clear`, a redelivery credits once. */
async function expectRetryThenRecovery(no: string, xml: string, fault: string, clear: () => Promise<void>) {
  const before = await snap();
  const first = await postRecordingGateErrors(xml);
  await first.settled;
  expect(await replyOf(first.res)).toEqual({ status: 503, body: RETRY, type: XML });
  expect(first.errors.map(String)).toEqual([expect.stringContaining(fault)]);
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
    await env.DB.exec(`CREATE TRIGGER fail_ledger BEFORE INSERT ON ledger BEGIN SELECT RAISE(ABORT, '${INJECTED_FAULT_TAG} ledger failure'); END`);
    await expectRetryThenRecovery(no, n.xml, `${INJECTED_FAULT_TAG} ledger failure: SQLITE_CONSTRAINT`, async () => {
      await env.DB.exec('DROP TRIGGER fail_ledger');
    });
  });

  it('T54/T57: D1 throws before executing (Network connection lost) → RETRY, no change; redelivery credits once', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    await installGateHooks(no, () => ({
      beforeCommit: async () => {
        throw injectedFault('D1_ERROR: Network connection lost.');
      },
    }));
    await expectRetryThenRecovery(no, n.xml, 'D1_ERROR: Network connection lost.', () => installGateHooks(no, () => ({})));
  });

  it('T56: D1 overloaded → RETRY at once, exactly one attempt inside the request', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    let attempts = 0;
    await installGateHooks(no, () => ({
      beforeCommit: async () => {
        attempts += 1;
        throw injectedFault('D1 DB is overloaded. Requests queued for too long.');
      },
    }));
    await expectRetryThenRecovery(no, n.xml, 'D1 DB is overloaded. Requests queued for too long.', () => installGateHooks(no, () => ({})));
    expect(attempts).toBe(1);
  });

  it('T55: commit with unknown outcome (committed, then the call fails) → RETRY; redelivery is OK with still ONE credit', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    await installGateHooks(no, () => ({
      afterCommit: async () => {
        throw injectedFault('D1_ERROR: Network connection lost.');
      },
    }));
    const first = await postRecordingGateErrors(n.xml);
    await first.settled;
    expect(await replyOf(first.res)).toEqual({ status: 503, body: RETRY, type: XML });
    expect(first.errors.map(String)).toEqual([expect.stringContaining('D1_ERROR: Network connection lost.')]);
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
        state.abort(`${INJECTED_FAULT_TAG} reset after commit`);
      },
    }));
    const first = await postRecordingGateErrors(n.xml);
    await first.settled;
    expect((await replyOf(first.res)).body).toBe(RETRY);
    expect(first.errors.map(String)).toContainEqual(expect.stringContaining(`${INJECTED_FAULT_TAG} reset after commit`));
    expect(await replyOf(await postNotify(n.xml))).toEqual({ status: 200, body: OK, type: XML });
    expect((await orderRow(no))!.status).toBe('PAID');
    expect(await ledgerRows(no)).toHaveLength(1);
  });

  it('T61: D1 slower than the internal deadline → RETRY at the deadline; the late commit is harmless; redelivery OK, one credit', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    // The commit waits until the test releases it, so the deadline passes first whatever the machine's speed.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const commitReached = new Promise<void>((r) => (reached = r));
    await installGateHooks(no, () => ({
      beforeCommit: () => {
        reached();
        return released;
      },
    }));
    const logged: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void logged.push(String(line)));
    const first = await postRecordingGateErrors(n.xml, { notifyDeadlineMs: 1 });
    expect(await replyOf(first.res)).toEqual({ status: 503, body: RETRY, type: XML });
    vi.restoreAllMocks();
    expect(logged.map((l) => JSON.parse(l) as { outcome?: string }).map((l) => l.outcome)).toEqual(['DEADLINE']);
    await commitReached;
    expect((await orderRow(no))!.status).toBe('NOTPAY'); // replied while the commit was still held
    release();
    await first.settled; // past the deadline the work still commits: safe (I3)
    expect(first.errors).toEqual([]);
    expect((await orderRow(no))!.status).toBe('PAID');
    await installGateHooks(no, () => ({}));
    expect(await replyOf(await postNotify(n.xml))).toEqual({ status: 200, body: OK, type: XML });
    expect(await ledgerRows(no)).toHaveLength(1);
  });
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
