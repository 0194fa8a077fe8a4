// Issue 10, ledger identity (fast-check): after any mix of payments, refunds (partial, concurrent,
// over the cap), WeChat faults (SYSTEMERROR, NOTENOUGH, timeout), REFUNDCLOSE, and replayed payment
// and refund notifies, then settlement (notify delivery, the lifecycle sweep), per order:
//   Σ ledger PAYMENT − Σ ledger REFUND = what WeChat (the simulator) holds = total_fee − Σ its refunds.
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/worker/platform/errors';
import { advanceStuckRefunds } from '../../src/worker/refunds/advance';
import { createRefund } from '../../src/worker/refunds/create';
import { api, flushRefundNotify, ledger, paidOrder, simOrder, simScenario, testDeps } from '../support/refunds-helpers';

type Op =
  | { kind: 'refund'; fee: number; status: 'SUCCESS' | 'REFUNDCLOSE'; fault: 'none' | 'SYSTEMERROR' | 'NOTENOUGH' | 'timeout'; concurrent: number }
  | { kind: 'replayPay' }
  | { kind: 'replayRefund'; index: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      fee: fc.integer({ min: 1, max: 1200 }),
      status: fc.constantFrom('SUCCESS' as const, 'REFUNDCLOSE' as const),
      fault: fc.constantFrom('none' as const, 'none' as const, 'SYSTEMERROR' as const, 'NOTENOUGH' as const, 'timeout' as const),
      concurrent: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'replayPay' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replayRefund' as const), index: fc.nat(5) }) },
);

async function post(path: string, body: unknown) {
  return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

async function openRefunds(no: string): Promise<number> {
  return (await env.DB.prepare("SELECT COUNT(*) AS n FROM refunds WHERE out_trade_no = ?1 AND status IN ('SUBMITTING','PROCESSING')")
    .bind(no)
    .first<{ n: number }>())!.n;
}

async function settle(no: string, numbers: string[]) {
  for (let round = 0; round < 4 && (await openRefunds(no)) > 0; round++) {
    for (const n of numbers) await flushRefundNotify(n);
    await simScenario(no, {}); // no more faults: the sweep's resubmissions go through
    await env.DB.prepare(
      `UPDATE refunds SET updated_at = 946684800000, last_attempt_at = CASE WHEN last_attempt_at IS NULL THEN NULL ELSE 946684800000 END,
         last_synced_at = CASE WHEN last_synced_at IS NULL THEN NULL ELSE 946684800000 END
       WHERE out_trade_no = ?1 AND status IN ('SUBMITTING','PROCESSING')`,
    )
      .bind(no)
      .run();
    await advanceStuckRefunds(testDeps(300), 100);
    for (const n of numbers) await flushRefundNotify(n);
  }
}

describe('ledger identity under random refunds, replays and faults', () => {
  it('payment credits − refund debits = what WeChat holds, per order; the sums on the order agree', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 100, max: 2000 }), fc.array(op, { minLength: 1, maxLength: 5 }), async (total, ops) => {
        const no = await paidOrder(total);
        const numbers: string[] = [];
        const deps = testDeps(300);
        for (const o of ops) {
          if (o.kind === 'replayPay') {
            expect((await post('/sandbox/sim/deliveries/resend', { out_trade_no: no })).status).toBe(200);
          } else if (o.kind === 'replayRefund') {
            const n = numbers[o.index % Math.max(1, numbers.length)];
            if (n) await post('/sandbox/sim/deliveries/resend', { out_refund_no: n });
          } else {
            const fault = o.fault === 'none' ? [] : [o.fault === 'timeout' ? { endpoint: 'refund', timeout: true } : { endpoint: 'refund', error: o.fault }];
            await simScenario(no, { refund_status: o.status, faults: fault });
            const batch = Array.from({ length: o.concurrent }, (_, i) => `${no}-${numbers.length}-${i}`);
            await Promise.all(
              batch.map((n) =>
                createRefund(deps, no, { refund_fee: o.fee, out_refund_no: n }).then(
                  () => numbers.push(n),
                  (e: unknown) => {
                    if (!(e instanceof DomainError) || !['REFUND_EXCEEDS_PAID', 'ORDER_NOT_REFUNDABLE'].includes(e.code)) throw e;
                  },
                ),
              ),
            );
          }
        }
        await settle(no, numbers);

        const rows = await ledger(no);
        const credits = rows.filter((r) => r.kind === 'PAYMENT').reduce((a, r) => a + r.amount_fen, 0);
        const debits = rows.filter((r) => r.kind === 'REFUND').reduce((a, r) => a + r.amount_fen, 0);
        const wechat = await simOrder(no);
        expect(rows.filter((r) => r.kind === 'PAYMENT')).toHaveLength(1);
        expect(await openRefunds(no)).toBe(0);
        expect(credits - debits).toBe(wechat.total_fee - wechat.refunded_fee);
        const order = (await env.DB.prepare('SELECT status, total_fee, refunded_fee, refund_reserved_fee FROM orders WHERE out_trade_no = ?1')
          .bind(no)
          .first<Record<string, any>>())!;
        expect(order.refunded_fee).toBe(debits);
        const reserved = (await env.DB.prepare(
          "SELECT COALESCE(SUM(refund_fee), 0) AS s FROM refunds WHERE out_trade_no = ?1 AND status IN ('SUBMITTING','PROCESSING','SUCCESS','CHANGE')",
        )
          .bind(no)
          .first<{ s: number }>())!.s;
        expect(order.refund_reserved_fee).toBe(reserved);
        expect(order.status).toBe(debits === 0 ? 'PAID' : debits === total ? 'REFUNDED' : 'PARTIALLY_REFUNDED');
      }),
      { numRuns: 15, endOnFailure: true },
    );
  });
});
