// T56–T59, T62 at the DO boundary, and T46's "no D1 write for duplicates". DO infrastructure errors
// (.retryable, .overloaded) cannot be produced locally (docs/reliability.md §6.4), so the namespace is
// wrapped: the real OrderGate does the work, the wrapper throws the runtime's error shapes first.
// A counting wrapper around the real D1 binding shows which calls a request makes.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../../src/worker/platform/config';
import { forgetAllApplied } from '../../src/worker/notify/applied-cache';
import { handlePayNotify } from '../../src/worker/notify/pay-notify';
import { notifyDeps } from '../../src/worker/compose/wiring';
import { NOTIFY_URL, ledgerRows, orderRow, seedOrder, signedNotify } from '../support/notify-helpers';

type Stub = ReturnType<Env['ORDER_GATE']['getByName']>;

function doError(message: string, props: { retryable?: boolean; overloaded?: boolean }): Error {
  return Object.assign(new Error(message), props);
}

/**
 * getByName hands out a fresh wrapper per call; the first `failures` calls throw before reaching the
 * DO. `calls` records each stub's method calls in order (`!` marks one that threw).
 */
function flakyNamespace(failures: Error[]) {
  const stubs: object[] = [];
  const calls: string[] = [];
  const ns = {
    getByName(name: string): Stub {
      const real = env.ORDER_GATE.getByName(name) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const failure = failures.shift();
      const stub = new Proxy(
        {},
        {
          get:
            (_, method) =>
            (...args: unknown[]) => {
              calls.push(`${String(method)}${failure ? '!' : ''}`);
              return failure ? Promise.reject(failure) : real[String(method)]!(...args);
            },
        },
      );
      stubs.push(stub);
      return stub as unknown as Stub;
    },
  };
  return { ns, stubs, calls };
}

function countingDb() {
  const calls: string[] = [];
  const db = new Proxy(env.DB, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === 'prepare') {
        return (sql: string) => {
          calls.push(sql.trim().split(/\s+/)[0]!.toUpperCase());
          return target.prepare(sql);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db, calls };
}

async function deliver(xml: string, overrides: Partial<Env>) {
  const config = getConfig(env);
  if (!config.ok) throw new Error('test config invalid');
  const pending: Promise<unknown>[] = [];
  const deps = notifyDeps({ ...env, ...overrides } as Env, { waitUntil: (p) => void pending.push(p) }, config.config, new Date());
  const verdict = await handlePayNotify(new Request(NOTIFY_URL, { method: 'POST', body: xml }), deps);
  await Promise.all(pending);
  return verdict;
}

describe('DO errors at the notify boundary', () => {
  it('T58/T62: a .retryable error gets exactly one more try, on a fresh stub; it succeeds', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    const { ns, stubs, calls } = flakyNamespace([doError('Durable Object reset because its code was updated.', { retryable: true })]);
    const verdict = await deliver(n.xml, { ORDER_GATE: ns as unknown as Env['ORDER_GATE'] });
    expect(verdict).toEqual({ reply: 'OK', outcome: 'APPLIED', outTradeNo: no });
    // The number's gate threw, was asked once more on a fresh stub (it keeps no facts for an order
    // planted in D1), then the read path's call to the order's gate, on a stub of its own.
    expect(calls).toEqual(['settleNotice!', 'settleNotice', 'applyPayment']);
    expect(new Set(stubs).size).toBe(3);
    expect(await ledgerRows(no)).toHaveLength(1);
  });

  it('T58: two .retryable errors in a row → the error propagates (the route answers RETRY); redelivery credits once', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    const failing = flakyNamespace([doError('Network connection lost.', { retryable: true }), doError('Network connection lost.', { retryable: true })]);
    await expect(deliver(n.xml, { ORDER_GATE: failing.ns as unknown as Env['ORDER_GATE'] })).rejects.toThrow('Network connection lost.');
    expect(failing.calls).toEqual(['settleNotice!', 'settleNotice!']);
    expect((await orderRow(no))!.status).toBe('NOTPAY');
    expect(await deliver(n.xml, {})).toMatchObject({ reply: 'OK', outcome: 'APPLIED' });
    expect(await ledgerRows(no)).toHaveLength(1);
  });

  it('T59: an .overloaded error is never retried', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    const { ns, calls } = flakyNamespace([doError('Durable Object is overloaded. Too many requests queued.', { retryable: true, overloaded: true })]);
    await expect(deliver(n.xml, { ORDER_GATE: ns as unknown as Env['ORDER_GATE'] })).rejects.toThrow('overloaded');
    expect(calls).toEqual(['settleNotice!']);
    expect((await orderRow(no))!.status).toBe('NOTPAY');
  });

  it('T57: a DO error without .retryable is not retried', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    const { ns, calls } = flakyNamespace([doError('user code threw', { retryable: false })]);
    await expect(deliver(n.xml, { ORDER_GATE: ns as unknown as Env['ORDER_GATE'] })).rejects.toThrow('user code threw');
    expect(calls).toEqual(['settleNotice!']);
  });
});

describe('D1 calls per request', () => {
  it('T46: a first notify reads the order once; 200 sequential duplicates then make no D1 call at all', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    const first = countingDb();
    expect(await deliver(n.xml, { DB: first.db })).toMatchObject({ outcome: 'APPLIED' });
    expect(first.calls).toEqual(['SELECT']); // the known-order lookup; the commit is the DO's own batch
    const dup = countingDb();
    for (let i = 0; i < 200; i++) expect(await deliver(n.xml, { DB: dup.db })).toMatchObject({ reply: 'OK', outcome: 'ALREADY_APPLIED' });
    expect(dup.calls).toEqual([]);
    expect(await ledgerRows(no)).toHaveLength(1);
  });

  it("without the isolate cache, a duplicate makes no D1 call either: the order gate's paid-memo answers it", async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    expect(await deliver(n.xml, {})).toMatchObject({ outcome: 'APPLIED' });
    forgetAllApplied();
    const dup = countingDb();
    expect(await deliver(n.xml, { DB: dup.db })).toMatchObject({ reply: 'OK', outcome: 'ALREADY_APPLIED' });
    expect(dup.calls).toEqual([]);
    expect(await ledgerRows(no)).toHaveLength(1);
  });

  it('a forged notify makes no D1 call on the request path (its counter is flushed at most once a second)', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    const forged = countingDb();
    const verdict = await deliver(n.xml.replace(/<sign><!\[CDATA\[[0-9A-F]+\]\]><\/sign>/, '<sign><![CDATA[' + 'D'.repeat(64) + ']]></sign>'), {
      DB: forged.db,
    });
    expect(verdict).toEqual({ reply: 'SIGN_ERROR', outcome: 'SIGN_MISMATCH' });
    expect(forged.calls.every((c) => c === 'INSERT')).toBe(true); // at most the counter flush
    expect(forged.calls.length).toBeLessThanOrEqual(1);
  });
});
