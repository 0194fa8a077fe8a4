// The refund catch-up (src/worker/refunds/sync.ts, advance.ts) with a fake gate, WeChat, D1 and clock:
// when the sweep looks at an unfinished refund, and what each verified refundquery answer does. The
// workerd tests (refunds-api, lifecycle-refunds, refunds-ledger) prove the same through the real
// bindings and the simulator.
import { describe, expect, it } from 'vitest';
import type { RefundApplyResult, RefundFacts } from '../../src/worker/model';
import { advanceRefund, dueRefunds, refundDueAt, refundQuietLimitMs } from '../../src/worker/refunds/advance';
import { REFUND_SYNC_AFTER_MS, refundSyncDue, refundTimeToIso, syncRefund } from '../../src/worker/refunds/sync';
import { fakeClock, fakeDeps, refundRow } from '../support/fakes';

const MIN = 60_000;
const QUERY = '/pay/refundquery';
const iso = (ms: number) => new Date(ms).toISOString();
const claim = (won: boolean) => ({ sql: /^UPDATE refunds SET last_synced_at/, run: () => (won ? 1 : 0) });
const stored = (row: unknown) => ({ sql: /^SELECT \* FROM refunds WHERE out_refund_no/, first: () => row });
const applied =
  (status: RefundFacts['status']) =>
  (facts: RefundFacts): RefundApplyResult => ({
    outcome: 'APPLIED',
    refund: refundRow({ status, refund_id: facts.refundId ?? null }),
  });
const answer = (status: string, extra: Record<string, string | number> = {}) => ({
  fields: {
    out_trade_no: 'FAST0001',
    total_fee: 1999,
    refund_count: 1,
    out_refund_no_0: 'FAST0001-r1',
    refund_id_0: 'wx_refund_1',
    refund_fee_0: 500,
    refund_status_0: status,
    ...extra,
  },
});

describe('when the sweep acts', () => {
  const now = fakeClock().now();

  it('a PROCESSING refund: its notify window while young, then every 5 minutes, every 30 after an hour', () => {
    const age = (ms: number) => refundRow({ status: 'PROCESSING', updated_at: iso(now - ms) });
    expect(refundQuietLimitMs(age(9 * MIN), now)).toBe(REFUND_SYNC_AFTER_MS);
    expect(refundQuietLimitMs(age(10 * MIN), now)).toBe(5 * MIN);
    expect(refundQuietLimitMs(age(59 * MIN), now)).toBe(5 * MIN);
    expect(refundQuietLimitMs(age(60 * MIN), now)).toBe(30 * MIN);
    expect(refundQuietLimitMs(refundRow({ status: 'SUBMITTING', updated_at: iso(now - 600 * MIN) }), now)).toBe(REFUND_SYNC_AFTER_MS);
  });

  it('due after the latest of its update, last attempt and last sync, plus that limit', () => {
    const row = refundRow({ status: 'PROCESSING', updated_at: iso(now - 20 * MIN), last_attempt_at: iso(now - 20 * MIN), last_synced_at: iso(now - 2 * MIN) });
    expect(refundDueAt(row, now)).toBe(now - 2 * MIN + 5 * MIN);
  });

  it('a read syncs only unfinished refunds quiet for REFUND_SYNC_AFTER_MS', () => {
    const quiet = refundRow({ updated_at: iso(now - REFUND_SYNC_AFTER_MS), last_attempt_at: null });
    expect(refundSyncDue(quiet, now)).toBe(true);
    expect(refundSyncDue({ ...quiet, last_synced_at: iso(now - 1) }, now)).toBe(false);
    for (const status of ['SUCCESS', 'FAILED', 'REFUNDCLOSE', 'CHANGE'] as const) expect(refundSyncDue({ ...quiet, status }, now)).toBe(false);
  });

  it('dueRefunds: only those due, the most overdue first, scanning from REFUND_SYNC_AFTER_MS ago', async () => {
    const young = refundRow({ out_refund_no: 'young', status: 'PROCESSING', updated_at: iso(now - 3 * MIN), last_attempt_at: null });
    const old = refundRow({ out_refund_no: 'old', status: 'SUBMITTING', updated_at: iso(now - 9 * MIN), last_attempt_at: null });
    const backedOff = refundRow({ out_refund_no: 'backed-off', status: 'PROCESSING', updated_at: iso(now - 30 * MIN), last_synced_at: iso(now - 2 * MIN) });
    const f = fakeDeps({ db: [{ sql: /FROM refunds WHERE status IN \('SUBMITTING','PROCESSING'\)/, all: () => [young, old, backedOff] }] });
    expect((await dueRefunds(f.deps, 50)).map((r) => r.row.out_refund_no)).toEqual(['old', 'young']);
    expect(f.db.statements[0]!.binds).toEqual([now - REFUND_SYNC_AFTER_MS, 50]); // epoch ms since 0015
  });
});

describe('syncRefund: one claimed, verified refundquery', () => {
  it('a lost claim → the row as it was, no WeChat call', async () => {
    const f = fakeDeps({ db: [claim(false)] });
    const row = refundRow();
    expect(await syncRefund(f.deps, row, 'HMAC-SHA256')).toBe(row);
    expect(f.wechat.calls).toEqual([]);
  });

  it('the refund in the answer → applied through the gate as REFUNDQUERY facts, success time in UTC', async () => {
    const f = fakeDeps({ db: [claim(true)], gate: { applyRefundResult: applied('SUCCESS') } });
    f.wechat.on(QUERY, answer('SUCCESS', { refund_success_time_0: '2026-05-01 10:00:05' }));
    expect((await syncRefund(f.deps, refundRow(), 'HMAC-SHA256')).status).toBe('SUCCESS');
    expect(f.gate.calls).toEqual([
      {
        method: 'applyRefundResult',
        outTradeNo: 'FAST0001',
        facts: {
          outTradeNo: 'FAST0001',
          outRefundNo: 'FAST0001-r1',
          source: 'REFUNDQUERY',
          status: 'SUCCESS',
          refundFee: 500,
          totalFee: 1999,
          refundId: 'wx_refund_1',
          succeededAt: '2026-05-01T02:00:05.000Z',
        },
      },
    ]);
  });

  it('REFUNDNOTEXIST after a definitive refusal of a resubmission → FAILED with the given reason (API source)', async () => {
    const f = fakeDeps({ db: [claim(false)], gate: { applyRefundResult: applied('FAILED') } });
    f.wechat.on(QUERY, { errCode: 'REFUNDNOTEXIST' });
    const after = await syncRefund(f.deps, refundRow({ status: 'SUBMITTING', refund_id: null }), 'MD5', { releaseIfAbsent: 'NOTENOUGH' });
    expect(after.status).toBe('FAILED');
    expect(f.gate.calls[0]).toMatchObject({ facts: { source: 'API', status: 'FAILED', refundFee: 500, totalFee: 1999, failureReason: 'NOTENOUGH' } });
  });

  it('REFUNDNOTEXIST otherwise, or an answer without this refund → the stored row, nothing applied', async () => {
    const current = refundRow({ attempts: 2 });
    const absent = fakeDeps({ db: [claim(true), stored(current)] });
    absent.wechat.on(QUERY, { errCode: 'REFUNDNOTEXIST' });
    expect(await syncRefund(absent.deps, refundRow(), 'HMAC-SHA256')).toEqual(current);
    const other = fakeDeps({ db: [claim(true), stored(current)] });
    other.wechat.on(QUERY, answer('SUCCESS', { out_refund_no_0: 'someone-else' }));
    expect(await syncRefund(other.deps, refundRow(), 'HMAC-SHA256')).toEqual(current);
    expect([...absent.gate.calls, ...other.gate.calls]).toEqual([]);
  });

  it('WeChat trouble (after the query’s retries), a malformed answer or a gate failure → the row as it was, never a throw', async () => {
    const row = refundRow();
    const down = fakeDeps({ db: [claim(true)] });
    down.wechat.on(QUERY, { errCode: 'SYSTEMERROR' });
    expect(await syncRefund(down.deps, row, 'HMAC-SHA256')).toBe(row);
    expect(down.wechat.callsTo(QUERY)).toBe(3);
    const bad = fakeDeps({ db: [claim(true)] });
    bad.wechat.on(QUERY, answer('SOMETHING_NEW'));
    expect(await syncRefund(bad.deps, row, 'HMAC-SHA256')).toBe(row);
    const gateDown = fakeDeps({ db: [claim(true)], gate: { applyRefundResult: () => Promise.reject(new Error('DO reset')) as never } });
    gateDown.wechat.on(QUERY, answer('SUCCESS'));
    expect(await syncRefund(gateDown.deps, row, 'HMAC-SHA256')).toBe(row);
  });

  it('refundTimeToIso: WeChat’s Beijing time as UTC, anything else undefined', () => {
    expect(refundTimeToIso('2026-05-01 00:00:00')).toBe('2026-04-30T16:00:00.000Z');
    for (const bad of [undefined, '', '2026-05-01T00:00:00', '20260501000000']) expect(refundTimeToIso(bad)).toBeUndefined();
  });
});

describe('advanceRefund: one sweep step', () => {
  it('a refund whose order is gone is skipped; PROCESSING is synced with the order’s sign type', async () => {
    const none = fakeDeps({ db: [{ sql: /^SELECT .* FROM orders WHERE out_trade_no/, first: () => null }] });
    const row = refundRow();
    expect(await advanceRefund(none.deps, row)).toEqual({ step: 'SKIPPED', after: row });

    const f = fakeDeps({
      db: [{ sql: /^SELECT .* FROM orders WHERE out_trade_no/, first: () => ({ sign_type: 'MD5' }) }, claim(true)],
      gate: { applyRefundResult: applied('SUCCESS') },
    });
    f.wechat.on(QUERY, answer('SUCCESS'));
    const { step, after } = await advanceRefund(f.deps, row);
    expect([step, after.status]).toEqual(['SYNCED', 'SUCCESS']);
    expect(f.wechat.calls[0]!.request.sign_type).toBe('MD5');
  });
});
