// Payment attempts (src/worker/orders/prepay.ts) with fakes: the refusals judged before anything is
// asked of WeChat or written. The workerd tests (orders-payments, reconciliation-attempts,
// lifecycle-attempts) prove the full flows against the simulator.
import { describe, expect, it } from 'vitest';
import { payAttempt } from '../../src/worker/orders/prepay';
import { DomainError } from '../../src/worker/platform/errors';
import { fakeConfig, fakeDeps, orderRow } from '../support/fakes';

const requester = { clientIp: '203.0.113.1', sessionOpenid: null };

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
  throw new Error('no DomainError');
}

describe('payAttempt: refusals before WeChat and D1', () => {
  it('a trade type the merchant has not enabled → TRADE_TYPE_UNAVAILABLE, nothing asked or written', async () => {
    const f = fakeDeps({ config: fakeConfig({ WECHAT_TRADE_TYPES: 'JSAPI' }) });
    for (const tradeType of ['NATIVE', 'MWEB', 'APP', 'MINIPROGRAM'] as const) {
      expect(await codeOf(payAttempt(f.deps, requester, orderRow(), { tradeType, openid: 'oMINIbuyer0000000000000000001' }))).toBe('TRADE_TYPE_UNAVAILABLE');
    }
    expect(f.wechat.calls).toEqual([]);
    expect(f.db.statements).toEqual([]);
  });

  it('MWEB from the merchant server without the buyer’s client_ip → CLIENT_IP_REQUIRED', async () => {
    const f = fakeDeps();
    expect(await codeOf(payAttempt(f.deps, { ...requester, clientIpIsBuyers: false }, orderRow(), { tradeType: 'MWEB' }))).toBe('CLIENT_IP_REQUIRED');
    expect(f.wechat.calls).toEqual([]);
  });

  it('buyer-bound trade types need their buyer; an order named for one buyer refuses another', async () => {
    const f = fakeDeps();
    expect(await codeOf(payAttempt(f.deps, requester, orderRow({ openid: null }), { tradeType: 'JSAPI' }))).toBe('OPENID_REQUIRED');
    expect(await codeOf(payAttempt(f.deps, requester, orderRow(), { tradeType: 'MINIPROGRAM' }))).toBe('OPENID_REQUIRED');
    const named = orderRow({ openid: 'oALICE000000000000000000000001' });
    expect(await codeOf(payAttempt(f.deps, requester, named, { tradeType: 'JSAPI', openid: 'oBOB00000000000000000000000001' }))).toBe('PREPAY_OPENID_MISMATCH');
    expect(f.wechat.calls).toEqual([]);
  });

  it('orders that cannot be paid any more are refused whatever the trade type', async () => {
    const f = fakeDeps();
    for (const [status, code] of [
      ['PAID', 'ORDER_PAID'],
      ['CLOSED', 'ORDER_CLOSED'],
      ['FAILED', 'ORDER_NOT_PAYABLE'],
    ] as const) {
      expect(await codeOf(payAttempt(f.deps, requester, orderRow({ status }), { tradeType: 'NATIVE' }))).toBe(code);
    }
    expect(await codeOf(payAttempt(f.deps, requester, orderRow({ expires_at: new Date(0).toISOString() }), { tradeType: 'NATIVE' }))).toBe('ORDER_EXPIRED');
  });
});
