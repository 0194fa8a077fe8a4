// docs/reliability.md §7.3 C: exactly one transition and one credit under concurrent, duplicated and
// replayed deliveries, with and without D1 latency inside the DO, across a DO reset, and against close.
import { automaticRefundsSent } from '../support/refunds-helpers';
import { abortAllDurableObjects } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { buildXml } from '../../src/core';
import { forgetAllApplied } from '../../src/worker/notify/applied-cache';
import type { PaymentFacts } from '../../src/worker/model';
import {
  OK,
  SIGN_ERROR,
  anomalyRows,
  doIds,
  freshNo,
  gate,
  gateDuplicates,
  installGateHooks,
  ledgerRows,
  notificationRows,
  notifyPoster,
  orderRow,
  seedOrder,
  signedNotify,
  snap,
  UNREACHABLE_DEADLINE_MS,
} from '../support/notify-helpers';

// Hundreds of concurrent requests on a loaded 2-core machine can outlast the 4 s production deadline;
// these tests assert what is committed and replied, so the app here has a deadline nothing reaches.
const postNotify = notifyPoster({ notifyDeadlineMs: UNREACHABLE_DEADLINE_MS });

async function bodies(responses: Response[]): Promise<string[]> {
  return Promise.all(responses.map((r) => r.text()));
}

function countingHooks(delayMs = 0) {
  const calls = { commits: 0 };
  return {
    calls,
    make: () => ({
      beforeCommit: async () => {
        calls.commits += 1;
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      },
    }),
  };
}

async function expectOnePayment(no: string, transactionId: string) {
  expect((await orderRow(no))!).toMatchObject({ status: 'PAID', transaction_id: transactionId });
  const ledger = await ledgerRows(no);
  expect(ledger).toHaveLength(1);
  expect(ledger[0]!.amount_fen).toBe(1999);
  expect((await notificationRows(no)).map((r) => r.verdict)).toEqual(['APPLIED']);
}

describe('concurrent duplicates', { timeout: 60_000 }, () => {
  it('T43: 50 concurrent identical notifies → 50 × OK, one transition, one credit, one D1 commit', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    const counter = countingHooks();
    await installGateHooks(no, counter.make);
    const replies = await bodies(await Promise.all(Array.from({ length: 50 }, () => postNotify(n.xml))));
    expect(replies).toEqual(Array(50).fill(OK));
    await expectOnePayment(no, n.fields.transaction_id!);
    expect(counter.calls.commits).toBe(1);
  });

  it('T44: the same with every payment commit delayed 500 ms inside the DO (the input gate is open during D1 I/O)', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    const counter = countingHooks(500);
    await installGateHooks(no, counter.make);
    const replies = await bodies(await Promise.all(Array.from({ length: 50 }, () => postNotify(n.xml))));
    expect(replies).toEqual(Array(50).fill(OK));
    await expectOnePayment(no, n.fields.transaction_id!);
    expect(counter.calls.commits).toBe(1);
  });

  it('T45: 20 concurrent copies of one payment from different senders (new nonce_str and sign each) → one credit', async () => {
    const no = await seedOrder();
    const first = await signedNotify(no);
    const copies = await Promise.all(
      Array.from({ length: 20 }, () => signedNotify(no, { transaction_id: first.fields.transaction_id, time_end: first.fields.time_end })),
    );
    expect(new Set(copies.map((c) => c.fields.sign)).size).toBe(20);
    const replies = await bodies(await Promise.all(copies.map((c) => postNotify(c.xml))));
    expect(replies).toEqual(Array(20).fill(OK));
    expect(await ledgerRows(no)).toHaveLength(1);
    expect((await notificationRows(no)).filter((r) => r.verdict === 'APPLIED')).toHaveLength(1);
  });

  it('T47: 30 orders × 5 concurrent duplicates, shuffled → 30 PAID, 30 credits, Σ ledger = Σ total_fee, one DO each', async () => {
    const orders = await Promise.all(Array.from({ length: 30 }, (_, i) => seedOrder({ totalFee: 100 + i })));
    const notes = await Promise.all(orders.map((no, i) => signedNotify(no, { total_fee: String(100 + i) })));
    const deliveries = notes.flatMap((n) => Array(5).fill(n.xml) as string[]);
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
    }
    const idsBefore = await doIds();
    expect(await bodies(await Promise.all(deliveries.map((x) => postNotify(x))))).toEqual(Array(150).fill(OK));
    const placeholders = orders.map((_, i) => `?${i + 1}`).join(',');
    const sum = await env.DB.prepare(`SELECT count(*) AS n, SUM(amount_fen) AS total FROM ledger WHERE out_trade_no IN (${placeholders})`)
      .bind(...orders)
      .first<{ n: number; total: number }>();
    expect(sum).toEqual({ n: 30, total: orders.reduce((s, _, i) => s + 100 + i, 0) });
    const paid = await env.DB.prepare(`SELECT count(*) AS n FROM orders WHERE status = 'PAID' AND out_trade_no IN (${placeholders})`)
      .bind(...orders)
      .first<{ n: number }>();
    expect(paid!.n).toBe(30);
    expect((await doIds()).length - idsBefore.length).toBe(30);
  });

  it('T48: 200 forged notifies with random order numbers → 200 × SIGN_ERROR, no DO, no row', async () => {
    const before = await snap();
    const ids = await doIds();
    const forged = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const { fields } = await signedNotify(freshNo('FORGED'));
        return buildXml({ ...fields, sign: 'B'.repeat(64) });
      }),
    );
    expect(await bodies(await Promise.all(forged.map((x) => postNotify(x))))).toEqual(Array(200).fill(SIGN_ERROR));
    expect(await snap()).toBe(before);
    expect(await doIds()).toEqual(ids);
  }, 60_000);
});

describe('across a DO reset', { timeout: 60_000 }, () => {
  it('T51: PAID, then every DO aborted, then a duplicate → OK from the reloaded cache, still one credit, no new commit', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    expect(await (await postNotify(n.xml)).text()).toBe(OK);
    await abortAllDurableObjects();
    forgetAllApplied(); // and a fresh isolate cache: the duplicate must reach the DO
    const counter = countingHooks();
    await installGateHooks(no, counter.make); // a fresh instance: the cache must come from DO storage
    expect(await (await postNotify(n.xml)).text()).toBe(OK);
    expect(counter.calls.commits).toBe(0);
    expect(await gateDuplicates(no)).toBe(1);
    await expectOnePayment(no, n.fields.transaction_id!);
  });

  it('a reset while duplicates are queued still yields exactly one credit', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    const first = Promise.all(Array.from({ length: 10 }, () => postNotify(n.xml)));
    await abortAllDurableObjects();
    const firstReplies = await bodies(await first.catch(() => []));
    const second = await bodies(await Promise.all(Array.from({ length: 10 }, () => postNotify(n.xml))));
    expect(second).toEqual(Array(10).fill(OK)); // after the reset, every redelivery is acknowledged
    expect(firstReplies.every((b) => b === OK || b.includes('RETRY_LATER'))).toBe(true);
    expect(await ledgerRows(no)).toHaveLength(1);
  });
});

function facts(no: string, transactionId: string, source: PaymentFacts['source']): PaymentFacts {
  return { outTradeNo: no, transactionId, totalFee: 1999, feeType: 'CNY', source };
}

describe('the isolate cache of committed payments', { timeout: 60_000 }, () => {
  it('sends an exact authentic repeat to the DO memo without a D1 read, and lets any variation through to the full checks', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    expect(await (await postNotify(n.xml)).text()).toBe(OK);
    const counter = countingHooks();
    await installGateHooks(no, counter.make);
    expect(await (await postNotify(n.xml)).text()).toBe(OK);
    // The DO's memo answered (no D1): only the DO knows whether a refund moved the order on (issue 10).
    expect(await gateDuplicates(no)).toBe(1);
    // Same transaction, another amount (re-signed): not the committed fact → full path → anomaly.
    const other = await signedNotify(no, { transaction_id: n.fields.transaction_id, total_fee: '1' });
    expect(await (await postNotify(other.xml)).text()).toBe(OK);
    expect((await anomalyRows(no)).map((a) => a.kind)).toEqual(['AMOUNT_MISMATCH']);
    // A forged repeat (bad sign) is refused before the cache is consulted.
    expect(await (await postNotify(buildXml({ ...n.fields, sign: 'C'.repeat(64) }))).text()).toBe(SIGN_ERROR);
    expect(counter.calls.commits).toBe(0);
    expect((await orderRow(no))!).toMatchObject({ status: 'PAID', transaction_id: n.fields.transaction_id });
    expect(await ledgerRows(no)).toHaveLength(1);
    expect((await notificationRows(no)).map((r) => r.verdict)).toEqual(['APPLIED', 'ANOMALY:AMOUNT_MISMATCH']);
  });
});

describe('notify racing the other writers', { timeout: 60_000 }, () => {
  it('T49: a notify racing an orderquery-verified payment of the same transaction → one credit', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    const [reply, query] = await Promise.all([postNotify(n.xml), gate(no).applyPayment(facts(no, n.fields.transaction_id!, 'ORDERQUERY'))]);
    expect(await reply.text()).toBe(OK);
    expect(['APPLIED', 'ALREADY_APPLIED']).toContain(query.outcome);
    expect(await ledgerRows(no)).toHaveLength(1);
    expect((await orderRow(no))!.status).toBe('PAID');
  });

  it('notify racing close resolves consistently: PAID (close refused) or PAID_AFTER_CLOSE (close first), never a lost payment', async () => {
    for (let i = 0; i < 12; i++) {
      const no = await seedOrder();
      const n = await signedNotify(no);
      const close = async () => {
        const begun = await gate(no).closeOrder({ outTradeNo: no, phase: 'BEGIN' });
        if (begun.status !== 'CLOSING') return begun;
        return gate(no).closeOrder({ outTradeNo: no, phase: 'CLOSED' });
      };
      const [reply, closed] = await (i % 2
        ? Promise.all([postNotify(n.xml), close()])
        : Promise.all([close(), postNotify(n.xml)]).then(([c, r]) => [r, c] as const));
      expect(await reply.text()).toBe(OK);
      const row = (await orderRow(no))!;
      expect(await ledgerRows(no)).toHaveLength(1); // the money is never dropped
      expect(['PAID', 'PAID_AFTER_CLOSE']).toContain(row.status);
      if (row.status === 'PAID') {
        expect(closed.status).toBe('PAID'); // the close saw the payment and did not happen
        expect(await anomalyRows(no)).toHaveLength(0);
      } else {
        expect(closed).toEqual({ outcome: 'CLOSE_STEP_DONE', status: 'CLOSED' }); // closed first, then paid
        expect((await anomalyRows(no)).map((a) => a.kind)).toEqual(['PAID_AFTER_CLOSE']);
        await automaticRefundsSent(no);
      }
    }
  }, 60_000);

  it('T50 ordering: close begun, notify lands, close confirmation is refused → PAID, never CLOSED', async () => {
    const no = await seedOrder();
    expect(await gate(no).closeOrder({ outTradeNo: no, phase: 'BEGIN' })).toEqual({ outcome: 'CLOSE_STEP_DONE', status: 'CLOSING' });
    const n = await signedNotify(no);
    expect(await (await postNotify(n.xml)).text()).toBe(OK);
    expect(await gate(no).closeOrder({ outTradeNo: no, phase: 'CLOSED' })).toEqual({ outcome: 'CLOSE_NOT_APPLICABLE', status: 'PAID' });
    await expectOnePayment(no, n.fields.transaction_id!);
  });

  it('close phases: BEGIN is idempotent, ABORT returns CLOSING→NOTPAY, CLOSED stamps closed_at, unknown orders say so', async () => {
    const no = await seedOrder();
    expect((await gate(no).closeOrder({ outTradeNo: no, phase: 'BEGIN' })).status).toBe('CLOSING');
    expect(await gate(no).closeOrder({ outTradeNo: no, phase: 'BEGIN' })).toEqual({ outcome: 'CLOSE_STEP_DONE', status: 'CLOSING' });
    expect(await gate(no).closeOrder({ outTradeNo: no, phase: 'ABORT' })).toEqual({ outcome: 'CLOSE_STEP_DONE', status: 'NOTPAY' });
    expect(await gate(no).closeOrder({ outTradeNo: no, phase: 'CLOSED' })).toEqual({ outcome: 'CLOSE_NOT_APPLICABLE', status: 'NOTPAY' });
    await gate(no).closeOrder({ outTradeNo: no, phase: 'BEGIN' });
    expect(await gate(no).closeOrder({ outTradeNo: no, phase: 'CLOSED' })).toEqual({ outcome: 'CLOSE_STEP_DONE', status: 'CLOSED' });
    expect((await orderRow(no))!.closed_at).toMatch(/Z$/);
    expect(await gate(no).closeOrder({ outTradeNo: no, phase: 'BEGIN' })).toEqual({ outcome: 'CLOSE_NOT_APPLICABLE', status: 'CLOSED' });
    const ghost = freshNo('GHOST');
    expect(await gate(ghost).closeOrder({ outTradeNo: ghost, phase: 'BEGIN' })).toEqual({ outcome: 'UNKNOWN_ORDER', status: null });
  });
});
