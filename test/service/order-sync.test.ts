// The order catch-up (src/worker/orders/sync.ts) with a fake gate, WeChat, D1 claim and clock: when a
// read spends an orderquery, and what each verified answer does through the gate. The workerd tests
// (orders-sync-close, checkout-status, lifecycle-cron) prove the same through the real bindings.
import { describe, expect, it } from 'vitest';
import { applyQueryResult, AUTO_SYNC_AFTER_MS, FORCED_SYNC_WINDOW_MS, PREPAY_LIFETIME_MS, syncDue, syncOrder } from '../../src/worker/orders/sync';
import type { OrderQueryResult } from '../../src/worker/channel';
import { fakeClock, fakeDeps, orderRow } from '../support/fakes';

const QUERY = '/pay/orderquery';
const iso = (ms: number) => new Date(ms).toISOString();
const claim = (won: boolean) => [{ sql: /^UPDATE orders SET last_synced_at/, run: () => (won ? 1 : 0) }];
const PAID_ANSWER = { trade_state: 'SUCCESS', out_trade_no: 'FAST0001', transaction_id: '4200000002', total_fee: 1999, fee_type: 'CNY', openid: 'o_buyer' };

describe('syncDue: whether a read spends an orderquery', () => {
  const now = fakeClock().now();
  const issuedAgo = (ms: number) => iso(now - ms + PREPAY_LIFETIME_MS);

  it('only NOTPAY orders (a payment attempt was issued) and CLOSING ones with a prepay', () => {
    for (const status of ['CREATED', 'PAID', 'CLOSED', 'FAILED', 'REFUNDED'] as const)
      expect(syncDue(orderRow({ status }, now), now + 3600_000, true)).toBe(false);
    expect(syncDue(orderRow({ status: 'CLOSING', prepay_id: null }, now), now + 3600_000, true)).toBe(false);
    expect(syncDue(orderRow({ status: 'NOTPAY', prepay_id: null }, now), now + 3600_000, true)).toBe(true);
    expect(syncDue(orderRow({ status: 'CLOSING' }, now), now + 3600_000, false)).toBe(true);
  });

  it('automatic: 60 s after the latest of prepay, last sync and last notify', () => {
    const row = orderRow({ prepay_expires_at: issuedAgo(AUTO_SYNC_AFTER_MS - 1) }, now);
    expect(syncDue(row, now, false)).toBe(false);
    expect(syncDue(row, now + 1, false)).toBe(true);
    expect(syncDue({ ...row, last_notify_at: iso(now - 1000) }, now + 1, false)).toBe(false);
    const synced = { ...row, last_synced_at: iso(now - 30_000) };
    expect(syncDue(synced, now + 1, false)).toBe(false);
    expect(syncDue(synced, now + AUTO_SYNC_AFTER_MS - 30_000, false)).toBe(true);
  });

  it('forced (?sync=true): at most once per 5 s window, whatever was heard', () => {
    const row = orderRow({ prepay_expires_at: issuedAgo(1000), last_notify_at: iso(now), last_synced_at: iso(now - FORCED_SYNC_WINDOW_MS + 1) }, now);
    expect(syncDue(row, now, true)).toBe(false);
    expect(syncDue(row, now + 1, true)).toBe(true);
  });
});

describe('applyQueryResult: a verified answer through the gate', () => {
  const q = (o: Partial<OrderQueryResult>): OrderQueryResult => ({
    tradeState: 'SUCCESS',
    outTradeNo: 'FAST0001',
    transactionId: '4200000002',
    totalFee: 1999,
    ...o,
  });

  it('SUCCESS → applyPayment with the answer as facts; PAID or PAID_AFTER_CLOSE is SYNC_PAID', async () => {
    for (const status of ['PAID', 'PAID_AFTER_CLOSE'] as const) {
      const f = fakeDeps({ gate: { applyPayment: () => ({ outcome: 'APPLIED', status }) } });
      expect(await applyQueryResult(f.deps, orderRow(), q({ feeType: 'CNY' }), 'ORDERQUERY')).toBe('SYNC_PAID');
      expect(f.gate.calls).toEqual([
        {
          method: 'applyPayment',
          outTradeNo: 'FAST0001',
          facts: expect.objectContaining({ transactionId: '4200000002', totalFee: 1999, feeType: 'CNY', source: 'ORDERQUERY' }),
        },
      ]);
    }
  });

  it('SUCCESS the gate judges a mismatch → SYNC_MISMATCH; one it does not apply → SYNC_UNCHANGED', async () => {
    const mismatch = fakeDeps({ gate: { applyPayment: () => ({ outcome: 'AMOUNT_MISMATCH', status: 'NOTPAY' }) } });
    expect(await applyQueryResult(mismatch.deps, orderRow(), q({ totalFee: 1 }), 'ORDERQUERY')).toBe('SYNC_MISMATCH');
    const conflict = fakeDeps({ gate: { applyPayment: () => ({ outcome: 'CONFLICT', status: 'CLOSED' }) } });
    expect(await applyQueryResult(conflict.deps, orderRow(), q({}), 'ORDERQUERY')).toBe('SYNC_UNCHANGED');
  });

  it('SUCCESS without a transaction id or an amount is no payment fact: SYNC_MISMATCH, the gate not asked', async () => {
    for (const bad of [q({ transactionId: undefined }), q({ totalFee: undefined })]) {
      const f = fakeDeps();
      expect(await applyQueryResult(f.deps, orderRow(), bad, 'ORDERQUERY')).toBe('SYNC_MISMATCH');
      expect(f.gate.calls).toEqual([]);
    }
  });

  it('CLOSED at WeChat → BEGIN then CLOSED through the gate (only CLOSED when already CLOSING)', async () => {
    const f = fakeDeps();
    expect(await applyQueryResult(f.deps, orderRow(), q({ tradeState: 'CLOSED' }), 'ORDERQUERY')).toBe('SYNC_CLOSED');
    expect(f.gate.calls.map((c) => c.method === 'closeOrder' && c.req.phase)).toEqual(['BEGIN', 'CLOSED']);
    const closing = fakeDeps();
    expect(await applyQueryResult(closing.deps, orderRow({ status: 'CLOSING' }), q({ tradeState: 'CLOSED' }), 'ORDERQUERY')).toBe('SYNC_CLOSED');
    expect(closing.gate.calls.map((c) => c.method === 'closeOrder' && c.req.phase)).toEqual(['CLOSED']);
    const raced = fakeDeps({ gate: { closeOrder: { CLOSED: { outcome: 'CLOSE_NOT_APPLICABLE', status: 'PAID' } } } });
    expect(await applyQueryResult(raced.deps, orderRow(), q({ tradeState: 'CLOSED' }), 'ORDERQUERY')).toBe('SYNC_UNCHANGED');
  });

  it.each(['NOTPAY', 'USERPAYING', 'PAYERROR', 'REVOKED', 'REFUND', 'ACCEPT'] as const)('%s changes nothing', async (tradeState) => {
    const f = fakeDeps();
    expect(await applyQueryResult(f.deps, orderRow(), q({ tradeState }), 'ORDERQUERY')).toBe('SYNC_UNCHANGED');
    expect(f.gate.calls).toEqual([]);
  });
});

describe('syncOrder: one claimed, verified orderquery', () => {
  it('a lost claim (another read is syncing) → SYNC_SKIPPED without a WeChat call', async () => {
    const f = fakeDeps({ db: claim(false) });
    expect(await syncOrder(f.deps, orderRow(), false)).toBe('SYNC_SKIPPED');
    expect(f.wechat.calls).toEqual([]);
  });

  it('the claim is a compare-and-set on last_synced_at over the window (forced 5 s, automatic 60 s)', async () => {
    for (const [forced, window] of [
      [true, FORCED_SYNC_WINDOW_MS],
      [false, AUTO_SYNC_AFTER_MS],
    ] as const) {
      const f = fakeDeps({ db: claim(false) });
      await syncOrder(f.deps, orderRow(), forced);
      // An order's times are epoch ms since 0018.
      expect(f.db.statements[0]!.binds).toEqual(['FAST0001', f.clock.now(), f.clock.now() - window]);
    }
  });

  it('a paid answer → SYNC_PAID through the gate, signed with the order’s sign type', async () => {
    const f = fakeDeps({ db: claim(true), gate: { applyPayment: () => ({ outcome: 'APPLIED', status: 'PAID' }) } });
    f.wechat.on(QUERY, { fields: PAID_ANSWER });
    expect(await syncOrder(f.deps, orderRow({ sign_type: 'MD5' }), true)).toBe('SYNC_PAID');
    expect(f.wechat.calls[0]!.request).toMatchObject({ out_trade_no: 'FAST0001', sign_type: 'MD5' });
  });

  it('WeChat trouble (retried, then given up), a forged answer or a gate failure → SYNC_FAILED, never a throw', async () => {
    const down = fakeDeps({ db: claim(true) });
    down.wechat.on(QUERY, { errCode: 'SYSTEMERROR' });
    expect(await syncOrder(down.deps, orderRow(), true)).toBe('SYNC_FAILED');
    expect(down.wechat.callsTo(QUERY)).toBe(3);

    const other = fakeDeps({ db: claim(true) });
    other.wechat.on(QUERY, { fields: { ...PAID_ANSWER, out_trade_no: 'SOMEONE_ELSE' } });
    expect(await syncOrder(other.deps, orderRow(), true)).toBe('SYNC_FAILED');
    expect(other.gate.calls).toEqual([]);

    const gateDown = fakeDeps({ db: claim(true), gate: { applyPayment: () => Promise.reject(new Error('DO reset')) as never } });
    gateDown.wechat.on(QUERY, { fields: PAID_ANSWER });
    expect(await syncOrder(gateDown.deps, orderRow(), true)).toBe('SYNC_FAILED');
  });
});
