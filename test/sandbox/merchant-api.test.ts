// The simulator's merchant API against WeChat's documented behaviour (docs/wechatpay-v2.md §2, §6, §10, §11).
import { describe, expect, it } from 'vitest';
import { buildXml, nonceStr, parseXml, signParams, verifySignedMessage, type SignType } from '../../src/core';
import { openidFor } from '../../src/sandbox/users';
import {
  advanceClock,
  ALICE,
  APPID,
  BOB,
  callXml,
  getJson,
  KEY,
  MCHID,
  newOutTradeNo,
  orderFields,
  pay,
  placeOrder,
  post,
  signed,
} from '../support/sandbox-helpers';

async function expectSigned(fields: Record<string, string>, signType: SignType) {
  expect(await verifySignedMessage(fields, KEY, [signType])).toMatchObject({ ok: true, signType });
}

describe('unifiedorder', () => {
  it.each(['MD5', 'HMAC-SHA256'] as const)('issues a prepay_id, reply signed with the request sign_type (%s)', async (signType) => {
    const no = newOutTradeNo();
    const r = await callXml('/pay/unifiedorder', orderFields(no), { signType });
    expect(r.status).toBe(200);
    expect(r.fields).toMatchObject({ return_code: 'SUCCESS', return_msg: 'OK', appid: APPID, mch_id: MCHID, result_code: 'SUCCESS', trade_type: 'JSAPI' });
    expect(r.fields.prepay_id).toMatch(/^wx\d{14}[0-9a-f]{20}$/);
    expect(r.fields.sign).toHaveLength(signType === 'MD5' ? 32 : 64);
    await expectSigned(r.fields, signType);
  });

  it('same out_trade_no and same parameters → same prepay_id; different parameters → OUT_TRADE_NO_USED', async () => {
    const no = newOutTradeNo();
    const first = await placeOrder(no);
    const again = await placeOrder(no); // a fresh nonce_str and sign, same parameters
    expect(again.result_code).toBe('SUCCESS');
    expect(again.prepay_id).toBe(first.prepay_id);
    const changed = await placeOrder(no, { total_fee: 2000 });
    expect(changed).toMatchObject({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'OUT_TRADE_NO_USED' });
    await expectSigned(changed, 'MD5');
  });

  it('a prepay_id lives 2 h: afterwards the same order gets a new one and the old one cannot be paid', async () => {
    const no = newOutTradeNo();
    const first = await placeOrder(no);
    await advanceClock(2 * 3600_000);
    try {
      const stale = await pay(first.prepay_id!);
      expect(stale.status).toBe(409);
      expect(stale.body.error).toBe('PREPAY_EXPIRED');
      const renewed = await placeOrder(no);
      expect(renewed.result_code).toBe('SUCCESS');
      expect(renewed.prepay_id).not.toBe(first.prepay_id);
      expect((await pay(renewed.prepay_id!)).body.ok).toBe(true);
    } finally {
      await advanceClock(-2 * 3600_000);
    }
  });

  it('ORDERPAID and ORDERCLOSED on re-entry', async () => {
    const paid = newOutTradeNo();
    const p = await placeOrder(paid);
    await pay(p.prepay_id!);
    expect(await placeOrder(paid)).toMatchObject({ result_code: 'FAIL', err_code: 'ORDERPAID' });

    const closed = newOutTradeNo();
    await placeOrder(closed);
    await advanceClock(5 * 60_000);
    try {
      expect((await callXml('/pay/closeorder', { out_trade_no: closed })).fields.result_code).toBe('SUCCESS');
    } finally {
      await advanceClock(-5 * 60_000);
    }
    expect(await placeOrder(closed)).toMatchObject({ result_code: 'FAIL', err_code: 'ORDERCLOSED' });
  });

  it.each([
    ['missing body', { body: '' }, 'LACK_PARAMS'],
    ['out_trade_no too short', { out_trade_no: 'ABC12' }, 'PARAM_ERROR'],
    ['out_trade_no with a bad character', { out_trade_no: 'ORDER#000001' }, 'PARAM_ERROR'],
    ['total_fee zero', { total_fee: 0 }, 'PARAM_ERROR'],
    ['total_fee in yuan', { total_fee: '19.99' }, 'PARAM_ERROR'],
    ['total_fee with a leading zero', { total_fee: '0100' }, 'PARAM_ERROR'],
    ['negative total_fee', { total_fee: '-1' }, 'PARAM_ERROR'],
    ['body over 127 bytes', { body: '商'.repeat(43) }, 'PARAM_ERROR'],
    ['notify_url with a query string', { notify_url: 'https://merchant.example/notify?x=1' }, 'PARAM_ERROR'],
    ['notify_url not a URL', { notify_url: 'notify' }, 'PARAM_ERROR'],
    ['fee_type USD', { fee_type: 'USD' }, 'PARAM_ERROR'],
    ['trade_type NATIVE without product_id', { trade_type: 'NATIVE' }, 'LACK_PARAMS'],
    ['trade_type APP under the 公众号 appid (no permission)', { trade_type: 'APP' }, 'NOAUTH'],
    ['trade_type MICROPAY (not a unifiedorder type)', { trade_type: 'MICROPAY' }, 'PARAM_ERROR'],
    ['openid of another appid', { openid: openidFor('wx0000000000000001', 'alice') }, 'PARAM_ERROR'],
    ['time_expire under 5 minutes away', { time_expire: '20000101000000' }, 'PARAM_ERROR'],
  ])('%s → result_code=FAIL %s, nothing stored', async (_name, overrides, errCode) => {
    const no = newOutTradeNo();
    const fields = orderFields(no, overrides as Record<string, string | number>);
    for (const [k, v] of Object.entries(fields)) if (v === '') delete fields[k];
    const r = await callXml('/pay/unifiedorder', fields);
    expect(r.fields).toMatchObject({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: errCode });
    expect(r.fields.err_code_des).toBeTruthy();
    await expectSigned(r.fields, 'MD5');
    expect(r.fields.prepay_id).toBeUndefined();
    const res = await getJson(`/sim/orders/${fields.out_trade_no as string}`);
    expect(res).toMatchObject({ ok: false, error: 'ORDER_NOT_FOUND' });
  });

  it('openid mismatch reads 「appid和openid不匹配」', async () => {
    const r = await placeOrder(newOutTradeNo(), { openid: 'oTESTuser000000000000000001' });
    expect(r).toMatchObject({ result_code: 'FAIL', err_code: 'PARAM_ERROR', err_code_des: 'appid和openid不匹配' });
  });

  it('JSAPI without openid → return_code=FAIL 「JSAPI支付必须传openid」', async () => {
    const fields = orderFields(newOutTradeNo());
    delete fields.openid;
    const r = await callXml('/pay/unifiedorder', fields);
    expect(r.fields).toEqual({ return_code: 'FAIL', return_msg: 'JSAPI支付必须传openid' });
  });

  it('a user entered on the pick page is a buyer of this appid', async () => {
    const reg = await (await import('../support/sandbox-helpers')).postJson('/sim/users', { name: 'dave_42' });
    const { openid } = (await reg.json()) as { openid: string };
    expect(openid).toBe(openidFor(APPID, 'dave_42'));
    expect((await placeOrder(newOutTradeNo(), { openid })).result_code).toBe('SUCCESS');
  });
});

describe('protocol-level failures: return_code=FAIL, unsigned, nothing stored', () => {
  const cases: [string, () => Promise<Response>, string][] = [
    [
      'a GET',
      () => import('cloudflare:workers').then(({ exports }) => exports.default.fetch('http://127.0.0.1:8787/sandbox/pay/unifiedorder')),
      '请使用post方法',
    ],
    ['an empty body', () => post('/pay/unifiedorder', ''), 'post数据为空'],
    ['a non-XML body', () => post('/pay/unifiedorder', '{"appid":"x"}'), 'XML格式错误'],
    [
      'a DOCTYPE (XXE)',
      () => post('/pay/unifiedorder', '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><appid>&x;</appid></xml>'),
      'XML格式错误',
    ],
    ['no sign', () => post('/pay/orderquery', buildXml({ appid: APPID, mch_id: MCHID, nonce_str: 'n1', out_trade_no: 'NOSIGN000001' })), '缺少参数sign'],
    ['another appid', async () => post('/pay/orderquery', await signedWith({ appid: 'wx0000000000000001' })), 'appid不存在'],
    ['another mch_id', async () => post('/pay/orderquery', await signedWith({ mch_id: '1900000109' })), '商户号mch_id与appid不匹配'],
    [
      'a wrong key (SIGNERROR)',
      async () => post('/pay/orderquery', await signed({ out_trade_no: 'WRONGKEY0001' }, 'MD5', 'FAKE0wrong0key0000000000000000000'.slice(0, 32))),
      '签名错误',
    ],
    ['HMAC sign without sign_type (verified as MD5)', async () => post('/pay/orderquery', await hmacWithoutSignType()), '签名错误'],
    ['sign_type in lowercase', async () => post('/pay/orderquery', await signedWith({ sign_type: 'hmac-sha256' }, 'HMAC-SHA256')), '签名错误'],
    [
      'a field changed after signing',
      async () => post('/pay/orderquery', (await signed({ out_trade_no: 'TAMPER000001' })).replace('TAMPER000001', 'TAMPER000002')),
      '签名错误',
    ],
  ];
  it.each(cases)('%s', async (_name, send, msg) => {
    const res = await send();
    expect(res.status).toBe(200);
    const fields = parseXml(await res.text());
    expect(fields).toEqual({ return_code: 'FAIL', return_msg: msg });
  });
});

async function signedWith(over: Record<string, string>, signType: SignType = 'MD5'): Promise<string> {
  const all: Record<string, string> = { appid: APPID, mch_id: MCHID, nonce_str: nonceStr(16), out_trade_no: 'PROTO0000001', ...over };
  all.sign = await signParams(all, KEY, signType);
  return buildXml(all);
}

async function hmacWithoutSignType(): Promise<string> {
  const all: Record<string, string> = { appid: APPID, mch_id: MCHID, nonce_str: nonceStr(16), out_trade_no: 'PROTO0000002' };
  all.sign = await signParams(all, KEY, 'HMAC-SHA256');
  return buildXml(all);
}

describe('orderquery', () => {
  it('NOTPAY, then SUCCESS with the payment fields, by out_trade_no or transaction_id', async () => {
    const no = newOutTradeNo();
    const o = await placeOrder(no, { attach: 'k=v&x=1', device_info: 'WEB' }, 'HMAC-SHA256');
    const before = await callXml('/pay/orderquery', { out_trade_no: no }, { signType: 'HMAC-SHA256' });
    expect(before.fields).toMatchObject({ result_code: 'SUCCESS', trade_state: 'NOTPAY', trade_state_desc: '订单未支付', out_trade_no: no });
    await expectSigned(before.fields, 'HMAC-SHA256');

    const paid = await pay(o.prepay_id!);
    const byNo = (await callXml('/pay/orderquery', { out_trade_no: no }, { signType: 'HMAC-SHA256' })).fields;
    expect(byNo).toMatchObject({
      result_code: 'SUCCESS',
      trade_state: 'SUCCESS',
      openid: ALICE,
      trade_type: 'JSAPI',
      total_fee: '1999',
      cash_fee: '1999',
      fee_type: 'CNY',
      out_trade_no: no,
      attach: 'k=v&x=1',
      device_info: 'WEB',
      transaction_id: paid.body.transaction_id,
      time_end: paid.body.time_end,
      is_subscribe: 'N',
    });
    expect(byNo.transaction_id).toMatch(/^4200\d{24}$/);
    expect(byNo.time_end).toMatch(/^\d{14}$/);
    await expectSigned(byNo, 'HMAC-SHA256');
    const byTxn = (await callXml('/pay/orderquery', { transaction_id: paid.body.transaction_id }, { signType: 'HMAC-SHA256' })).fields;
    expect(byTxn.out_trade_no).toBe(no);
  });

  it('ORDERNOTEXIST', async () => {
    const r = await callXml('/pay/orderquery', { out_trade_no: newOutTradeNo() });
    expect(r.fields).toMatchObject({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'ORDERNOTEXIST' });
    await expectSigned(r.fields, 'MD5');
  });

  it('PARAM_ERROR without an identifier', async () => {
    expect((await callXml('/pay/orderquery', {})).fields).toMatchObject({ result_code: 'FAIL', err_code: 'PARAM_ERROR' });
  });
});

describe('closeorder', () => {
  it('is refused within 5 minutes of creation, then closes; the prepay can no longer be paid', async () => {
    const no = newOutTradeNo();
    const o = await placeOrder(no);
    const early = await callXml('/pay/closeorder', { out_trade_no: no });
    expect(early.fields).toMatchObject({ result_code: 'FAIL', err_code: 'INVALID_REQUEST' });
    expect(early.fields.err_code_des).toContain('5分钟');
    expect((await callXml('/pay/orderquery', { out_trade_no: no })).fields.trade_state).toBe('NOTPAY');
    await advanceClock(5 * 60_000);
    try {
      const closed = await callXml('/pay/closeorder', { out_trade_no: no });
      expect(closed.fields).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS' });
      await expectSigned(closed.fields, 'MD5');
      expect((await callXml('/pay/orderquery', { out_trade_no: no })).fields.trade_state).toBe('CLOSED');
      expect((await callXml('/pay/closeorder', { out_trade_no: no })).fields).toMatchObject({ result_code: 'FAIL', err_code: 'ORDERCLOSED' });
      const late = await pay(o.prepay_id!);
      expect(late.status).toBe(409);
      expect(late.body.error).toBe('ORDER_CLOSED');
    } finally {
      await advanceClock(-5 * 60_000);
    }
  });

  it('ORDERPAID for a paid order, which stays paid', async () => {
    const no = newOutTradeNo();
    const o = await placeOrder(no);
    await pay(o.prepay_id!);
    await advanceClock(5 * 60_000);
    try {
      expect((await callXml('/pay/closeorder', { out_trade_no: no })).fields).toMatchObject({ result_code: 'FAIL', err_code: 'ORDERPAID' });
    } finally {
      await advanceClock(-5 * 60_000);
    }
    expect((await callXml('/pay/orderquery', { out_trade_no: no })).fields.trade_state).toBe('SUCCESS');
  });

  it('ORDERNOTEXIST', async () => {
    expect((await callXml('/pay/closeorder', { out_trade_no: newOutTradeNo() })).fields).toMatchObject({ result_code: 'FAIL', err_code: 'ORDERNOTEXIST' });
  });
});

describe('POST /sandbox/sim/pay', () => {
  it('refuses another buyer, an unknown prepay and a second payment', async () => {
    const o = await placeOrder(newOutTradeNo());
    const other = await pay(o.prepay_id!, BOB);
    expect(other.status).toBe(403);
    expect(other.body.error).toBe('OPENID_MISMATCH');
    expect((await pay('wx20240101000000deadbeefdeadbeefdead')).body.error).toBe('PREPAY_NOT_FOUND');
    expect((await pay(o.prepay_id!)).body.ok).toBe(true);
    const twice = await pay(o.prepay_id!);
    expect(twice.status).toBe(409);
    expect(twice.body.error).toBe('ORDER_PAID');
  });

  it('refuses a malformed body with 400', async () => {
    const { postJson } = await import('../support/sandbox-helpers');
    const res = await postJson('/sim/pay', { prepay_id: 42 });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ ok: false, error: 'BAD_REQUEST' });
  });
});

describe('the call log (the wx() oracle)', () => {
  it('records every call filed under its out_trade_no', async () => {
    const no = newOutTradeNo();
    await placeOrder(no);
    await placeOrder(no);
    await callXml('/pay/orderquery', { out_trade_no: no });
    const { calls } = await getJson<{ calls: { endpoint: string; result_code?: string }[] }>(`/sim/calls?out_trade_no=${no}`);
    expect(calls.map((c) => c.endpoint)).toEqual(['unifiedorder', 'unifiedorder', 'orderquery']);
    expect(calls.every((c) => c.result_code === 'SUCCESS')).toBe(true);
  });
});
