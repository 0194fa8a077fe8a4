// The payment notify's checks (docs/reliability.md §4 step 4, I1, T19–T28): one definition for the
// OrderGate's kept facts and the read path's D1 rows. Each check on its own, then their order (the
// first failing one names the anomaly), then what a passing notice becomes.
import { describe, expect, it } from 'vitest';
import { checkPaymentNotice, repeatsPayment, type NoticeFields, type NoticeTarget } from '../../src/core/payment-notice-checks';

const EXPECT = { mchId: '1900000109', appId: 'wx2421b1c4370ec43b' };
const MINI = 'wxMINI00000000001';
const ALICE = 'oTESTuser000000000000000001';
const TXN = '4200000000202612070000000001';
const notice: NoticeFields = {
  appId: EXPECT.appId,
  mchId: EXPECT.mchId,
  outTradeNo: 'WX20261207001_2',
  transactionId: TXN,
  totalFee: '1999',
  cashFee: '999',
  succeeded: true,
  tradeType: 'JSAPI',
  openid: ALICE,
  bankType: 'CMB_DEBIT',
  timeEnd: '20261207101112',
};
const target: NoticeTarget = {
  outTradeNo: 'WX20261207001',
  totalFee: 1999,
  feeType: 'CNY',
  attempt: { appId: EXPECT.appId, tradeType: 'JSAPI', openid: ALICE },
};
const check = (n: Partial<NoticeFields>, t: NoticeTarget | null = target, paymentNo: string | null = 'WX20261207001_2') =>
  checkPaymentNotice({ ...notice, ...n }, paymentNo, t, EXPECT);
const kindOf = (r: ReturnType<typeof check>) => (r.ok ? 'OK' : r.kind);

describe('checkPaymentNotice', () => {
  it('a notice matching the attempt passes, as the payment facts to apply', () => {
    expect(check({})).toEqual({
      ok: true,
      payment: {
        outTradeNo: 'WX20261207001',
        paymentNo: 'WX20261207001_2',
        transactionId: TXN,
        totalFee: 1999,
        feeType: 'CNY',
        cashFee: 999,
        bankType: 'CMB_DEBIT',
        openid: ALICE,
        timeEnd: '20261207101112',
        appId: EXPECT.appId,
        source: 'NOTIFY',
      },
    });
    // The order's own number: no separate paymentNo.
    const own = check({ outTradeNo: 'WX20261207001' }, target, 'WX20261207001');
    expect(own.ok && own.payment.paymentNo).toBeUndefined();
  });

  it('each check on its own', () => {
    expect(kindOf(check({ appId: 'wxOTHER0000000000' }))).toBe('APPID_MISMATCH');
    expect(kindOf(check({ mchId: '1' }))).toBe('MCH_MISMATCH');
    expect(kindOf(check({}, target, null))).toBe('UNKNOWN_ORDER');
    expect(kindOf(check({}, null))).toBe('UNKNOWN_ORDER');
    expect(kindOf(check({ totalFee: '1' }))).toBe('AMOUNT_MISMATCH');
    expect(kindOf(check({ totalFee: '01999' }))).toBe('AMOUNT_MISMATCH');
    expect(kindOf(check({ feeType: 'USD' }))).toBe('FEE_TYPE_MISMATCH');
    expect(kindOf(check({ succeeded: false, failure: { err_code: 'SYSTEMERROR' } }))).toBe('RESULT_FAIL');
    expect(kindOf(check({ tradeType: 'NATIVE' }))).toBe('TRADE_TYPE_MISMATCH');
    expect(kindOf(check({ openid: 'oTESTuser000000000000000002' }))).toBe('OPENID_MISMATCH');
    expect(kindOf(check({ transactionId: 'x/y' }))).toBe('MALFORMED_FIELD');
    expect(kindOf(check({ transactionId: undefined }))).toBe('MALFORMED_FIELD');
  });

  it('the first failing check names the anomaly, and only checks after the lookup name the order', () => {
    const r = check({ appId: 'wxOTHER0000000000', mchId: '1', totalFee: '1' });
    expect(r).toMatchObject({ ok: false, kind: 'APPID_MISMATCH', outTradeNo: 'WX20261207001_2' });
    expect(check({ mchId: '1', totalFee: '1' })).toMatchObject({ kind: 'MCH_MISMATCH', outTradeNo: 'WX20261207001_2' });
    expect(check({ totalFee: '1', succeeded: false })).toMatchObject({ kind: 'AMOUNT_MISMATCH', outTradeNo: 'WX20261207001' });
    expect(check({ succeeded: false, tradeType: 'NATIVE' })).toMatchObject({ kind: 'RESULT_FAIL' });
  });

  it('trade types: a mini-program pays as JSAPI under its own appid; NATIVE, MWEB and APP bind no buyer', () => {
    const mini: NoticeTarget = { ...target, attempt: { appId: MINI, tradeType: 'MINIPROGRAM', openid: ALICE } };
    expect(kindOf(check({ appId: MINI }, mini))).toBe('OK');
    expect(kindOf(check({}, mini))).toBe('APPID_MISMATCH');
    const native: NoticeTarget = { ...target, attempt: { appId: EXPECT.appId, tradeType: 'NATIVE', openid: null } };
    expect(kindOf(check({ tradeType: 'NATIVE', openid: 'oANYbuyer' }, native))).toBe('OK');
  });

  it('an order from before attempts: the 公众号 appid, JSAPI, and the buyer its prepay was issued for', () => {
    const legacy: NoticeTarget = { outTradeNo: 'WX20261207001', totalFee: 1999, feeType: 'CNY', attempt: null, orderBuyer: ALICE };
    expect(kindOf(check({ outTradeNo: 'WX20261207001' }, legacy, 'WX20261207001'))).toBe('OK');
    expect(kindOf(check({ openid: 'oTESTuser000000000000000002' }, legacy, 'WX20261207001'))).toBe('OPENID_MISMATCH');
    expect(kindOf(check({ openid: 'oANYbuyer' }, { ...legacy, orderBuyer: null }, 'WX20261207001'))).toBe('OK');
  });
});

describe('repeatsPayment', () => {
  const paid = { appId: EXPECT.appId, transactionId: TXN, totalFee: 1999, feeType: 'CNY' };
  it('only the very appid, transaction, canonical amount and currency, reported successful by our merchant', () => {
    expect(repeatsPayment(notice, paid, EXPECT)).toBe(true);
    for (const change of [
      { appId: MINI },
      { transactionId: '4200000000202612070000000002' },
      { totalFee: '01999' },
      { feeType: 'USD' },
      { succeeded: false },
      { mchId: '1' },
    ]) {
      expect(repeatsPayment({ ...notice, ...change }, paid, EXPECT)).toBe(false);
    }
  });
});
