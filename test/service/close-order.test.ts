// closeOrderFlow (src/worker/orders/close.ts) with a fake gate, WeChat and clock: every branch of the
// close decision. The workerd tests (orders-sync-close, lifecycle-cron) prove the same flow through the
// real OrderGate, D1 and the simulator.
import { describe, expect, it } from 'vitest';
import { closeOrderFlow } from '../../src/worker/orders/close';
import { DomainError } from '../../src/worker/platform/errors';
import { fakeDeps, orderRow } from '../support/fakes';

const MIN = 60_000;
const CLOSE = '/pay/closeorder';
const QUERY = '/pay/orderquery';

async function codeOf(p: Promise<unknown>): Promise<{ code: string; extra: unknown }> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(e)}`);
  return { code: e.code, extra: e.extra };
}

describe('before anything is asked', () => {
  it.each(['PAID', 'PAID_AFTER_CLOSE', 'REFUNDING', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const)('%s → ORDER_PAID, no gate, no WeChat', async (status) => {
    const f = fakeDeps();
    expect((await codeOf(closeOrderFlow(f.deps, orderRow({ status })))).code).toBe('ORDER_PAID');
    expect(f.gate.calls).toEqual([]);
    expect(f.wechat.calls).toEqual([]);
  });

  it('CLOSED → CLOSED at once; FAILED and PAYERROR → ORDER_NOT_PAYABLE', async () => {
    const f = fakeDeps();
    expect(await closeOrderFlow(f.deps, orderRow({ status: 'CLOSED' }))).toBe('CLOSED');
    for (const status of ['FAILED', 'PAYERROR'] as const) expect((await codeOf(closeOrderFlow(f.deps, orderRow({ status })))).code).toBe('ORDER_NOT_PAYABLE');
    expect(f.gate.calls).toEqual([]);
    expect(f.wechat.calls).toEqual([]);
  });

  it('within 5 minutes of creation → CLOSE_TOO_EARLY with the seconds left, nothing changed', async () => {
    const f = fakeDeps();
    const row = orderRow({ created_at: new Date(f.clock.now() - 4 * MIN - 30_500).toISOString() });
    expect(await codeOf(closeOrderFlow(f.deps, row))).toEqual({ code: 'CLOSE_TOO_EARLY', extra: { retry_after: 30 } });
    f.clock.advance(30_500); // exactly 5 minutes: allowed
    f.wechat.on(CLOSE, { fields: {} });
    expect(await closeOrderFlow(f.deps, row)).toBe('CLOSED');
  });
});

describe('through the gate and WeChat', () => {
  it('BEGIN, closeorder SUCCESS, CLOSED: the two gate steps around one WeChat call', async () => {
    const f = fakeDeps();
    f.wechat.on(CLOSE, { fields: {} });
    expect(await closeOrderFlow(f.deps, orderRow())).toBe('CLOSED');
    expect(f.gate.calls.map((c) => (c.method === 'closeOrder' ? c.req.phase : c.method))).toEqual(['BEGIN', 'CLOSED']);
    expect(f.wechat.calls).toHaveLength(1);
    expect(f.wechat.calls[0]!.request).toMatchObject({ out_trade_no: 'FAST0001', sign_type: 'HMAC-SHA256' });
  });

  it('the gate says the order was paid meanwhile → ORDER_PAID, WeChat not called', async () => {
    const f = fakeDeps({ gate: { closeOrder: { BEGIN: { outcome: 'CLOSE_NOT_APPLICABLE', status: 'PAID' } } } });
    expect((await codeOf(closeOrderFlow(f.deps, orderRow()))).code).toBe('ORDER_PAID');
    expect(f.wechat.calls).toEqual([]);
  });

  it('the gate says it is closed already → CLOSED; another state → CLOSE_IN_PROGRESS', async () => {
    const closed = fakeDeps({ gate: { closeOrder: { BEGIN: { outcome: 'CLOSE_NOT_APPLICABLE', status: 'CLOSED' } } } });
    expect(await closeOrderFlow(closed.deps, orderRow())).toBe('CLOSED');
    const moving = fakeDeps({ gate: { closeOrder: { BEGIN: { outcome: 'CLOSE_NOT_APPLICABLE', status: 'CREATED' } } } });
    expect((await codeOf(closeOrderFlow(moving.deps, orderRow()))).code).toBe('CLOSE_IN_PROGRESS');
    expect([closed.wechat.calls, moving.wechat.calls]).toEqual([[], []]);
  });

  it.each(['ORDERCLOSED', 'ORDERNOTEXIST'])('closeorder %s is a successful close', async (errCode) => {
    const f = fakeDeps();
    f.wechat.on(CLOSE, { errCode });
    expect(await closeOrderFlow(f.deps, orderRow())).toBe('CLOSED');
    expect(f.gate.calls.map((c) => (c.method === 'closeOrder' ? c.req.phase : c.method))).toEqual(['BEGIN', 'CLOSED']);
  });

  it('closeorder ORDERPAID → a verified orderquery applies the payment (CLOSE_ORDERPAID) → ORDER_PAID, never CLOSED', async () => {
    const f = fakeDeps({ gate: { applyPayment: () => ({ outcome: 'APPLIED', status: 'PAID' }) } });
    f.wechat.on(CLOSE, { errCode: 'ORDERPAID' });
    f.wechat.on(QUERY, { fields: { trade_state: 'SUCCESS', out_trade_no: 'FAST0001', transaction_id: '4200000001', total_fee: 1999, fee_type: 'CNY' } });
    expect((await codeOf(closeOrderFlow(f.deps, orderRow()))).code).toBe('ORDER_PAID');
    const payment = f.gate.calls.find((c) => c.method === 'applyPayment');
    expect(payment).toMatchObject({ facts: { transactionId: '4200000001', totalFee: 1999, source: 'CLOSE_ORDERPAID' } });
    expect(f.gate.calls.some((c) => c.method === 'closeOrder' && c.req.phase === 'CLOSED')).toBe(false);
  });

  it('closeorder ORDERPAID with the confirming query failing → still ORDER_PAID, nothing applied', async () => {
    const f = fakeDeps();
    f.wechat.on(CLOSE, { errCode: 'ORDERPAID' }).on(QUERY, { errCode: 'SYSTEMERROR' });
    expect((await codeOf(closeOrderFlow(f.deps, orderRow()))).code).toBe('ORDER_PAID');
    expect(f.gate.calls.filter((c) => c.method === 'applyPayment')).toEqual([]);
    expect(f.wechat.callsTo(QUERY)).toBe(3); // the query's own retries
  });

  it.each([{ errCode: 'SYSTEMERROR' }, { hang: true as const }])('closeorder %o → ABORT back to NOTPAY, UPSTREAM_UNAVAILABLE', async (reply) => {
    const f = fakeDeps();
    f.wechat.on(CLOSE, reply);
    expect((await codeOf(closeOrderFlow(f.deps, orderRow()))).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(f.gate.calls.map((c) => (c.method === 'closeOrder' ? c.req.phase : c.method))).toEqual(['BEGIN', 'ABORT']);
    expect(f.wechat.callsTo(CLOSE)).toBe(1); // a close is never retried blindly
  });

  it('a paid order at the CLOSED step (a notify won the race) → ORDER_PAID', async () => {
    const f = fakeDeps({ gate: { closeOrder: { CLOSED: { outcome: 'CLOSE_NOT_APPLICABLE', status: 'PAID_AFTER_CLOSE' } } } });
    f.wechat.on(CLOSE, { fields: {} });
    expect((await codeOf(closeOrderFlow(f.deps, orderRow()))).code).toBe('ORDER_PAID');
  });

  it('a gate failure that is no WeChat answer is not swallowed', async () => {
    const f = fakeDeps();
    const broken = { ...f.deps, gate: () => ({ closeOrder: async () => Promise.reject(new Error('DO reset')) }) as never };
    await expect(closeOrderFlow(broken, orderRow())).rejects.toThrow('DO reset');
  });
});
