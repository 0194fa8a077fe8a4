// unifiedorder for every v2 trade type (docs/wechatpay-v2.md §23): JSAPI under the 公众号 and the mini-program
// appid, NATIVE, MWEB and APP; which appid may place which; each type's parameter errors; and the
// order's own appid and trade_type in orderquery, the payment notify, the refund notify and the bill.
import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { decryptRefundInfo, isBillError, parseBill, verifySignedMessage, type SignType } from '../../src/core';
import { openidFor } from '../../src/sandbox/users';
import {
  advanceClock,
  ALICE,
  APP_APPID,
  APPID,
  BASE,
  BOB,
  callXml,
  CERT_HEADER,
  getJson,
  KEY,
  MCHID,
  MINI_APPID,
  newOutTradeNo,
  orderFields,
  payBy,
  post,
  received,
  signed,
} from '../support/sandbox-helpers';

const MINI_ALICE = openidFor(MINI_APPID, 'alice');
const SCENE = JSON.stringify({ h5_info: { type: 'Wap', wap_url: 'http://127.0.0.1:8787/shop', wap_name: '沙箱商城' } });

async function expectSigned(fields: Record<string, string>, signType: SignType = 'MD5') {
  expect(await verifySignedMessage(fields, KEY, [signType])).toMatchObject({ ok: true, signType });
}

/** unifiedorder under `appid` with the trade type's own fields (openid only for JSAPI unless given). */
async function order(no: string, appid: string, tradeType: string, extra: Record<string, string | number> = {}, signType: SignType = 'MD5') {
  const fields = orderFields(no, { appid, trade_type: tradeType, ...extra });
  if (tradeType !== 'JSAPI' && !('openid' in extra)) delete fields.openid;
  return (await callXml('/pay/unifiedorder', fields, { signType })).fields;
}

describe('unifiedorder per trade type', () => {
  it('JSAPI under the mini-program appid, with the buyer openid under that appid', async () => {
    const r = await order(newOutTradeNo(), MINI_APPID, 'JSAPI', { openid: MINI_ALICE });
    expect(r).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', appid: MINI_APPID, mch_id: MCHID, trade_type: 'JSAPI' });
    expect(r.prepay_id).toMatch(/^wx\d{14}[0-9a-f]{20}$/);
    expect(r.code_url).toBeUndefined();
    await expectSigned(r);
  });

  it('openids are per appid: the 公众号 openid under the mini-program appid (and the reverse) → appid和openid不匹配', async () => {
    expect(MINI_ALICE).not.toBe(ALICE);
    expect(await order(newOutTradeNo(), MINI_APPID, 'JSAPI', { openid: ALICE })).toMatchObject({
      result_code: 'FAIL',
      err_code: 'PARAM_ERROR',
      err_code_des: 'appid和openid不匹配',
    });
    expect(await order(newOutTradeNo(), APPID, 'JSAPI', { openid: MINI_ALICE })).toMatchObject({ result_code: 'FAIL', err_code: 'PARAM_ERROR' });
  });

  it('NATIVE: product_id required; code_url weixin://wxpay/bizpayurl?pr=…; no openid', async () => {
    const no = newOutTradeNo();
    const r = await order(no, APPID, 'NATIVE', { product_id: 'SKU-0001' });
    expect(r).toMatchObject({ result_code: 'SUCCESS', appid: APPID, trade_type: 'NATIVE' });
    expect(r.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=[A-Za-z0-9]{11}$/);
    expect(r.prepay_id).toMatch(/^wx\d{14}[0-9a-f]{20}$/);
    await expectSigned(r);
    // Re-entry with the same parameters: the same prepay and code_url.
    const again = await order(no, APPID, 'NATIVE', { product_id: 'SKU-0001' });
    expect([again.prepay_id, again.code_url]).toEqual([r.prepay_id, r.code_url]);
  });

  it('NATIVE: the code_url is renewed with the prepay after 2 h; the old one no longer pays', async () => {
    const no = newOutTradeNo();
    const first = await order(no, APPID, 'NATIVE', { product_id: 'SKU-0002' });
    await advanceClock(2 * 3600_000);
    try {
      const stale = await payBy({ code_url: first.code_url! }, ALICE);
      expect([stale.status, stale.body.error]).toEqual([409, 'PREPAY_EXPIRED']);
      const renewed = await order(no, APPID, 'NATIVE', { product_id: 'SKU-0002' });
      expect(renewed.code_url).not.toBe(first.code_url);
      expect(renewed.prepay_id).not.toBe(first.prepay_id);
      expect((await payBy({ code_url: first.code_url! }, ALICE)).body.error).toBe('PREPAY_EXPIRED');
      expect((await payBy({ code_url: renewed.code_url! }, ALICE)).body.ok).toBe(true);
    } finally {
      await advanceClock(-2 * 3600_000);
    }
  });

  it('MWEB: scene_info required; mweb_url under the sandbox, a fresh one per answer', async () => {
    const no = newOutTradeNo();
    const r = await order(no, APPID, 'MWEB', { scene_info: SCENE });
    expect(r).toMatchObject({ result_code: 'SUCCESS', appid: APPID, trade_type: 'MWEB' });
    const url = new URL(r.mweb_url!);
    expect(`${url.origin}${url.pathname}`).toBe(`${BASE}/mweb`);
    expect(url.searchParams.get('prepay_id')).toBe(r.prepay_id);
    expect(url.searchParams.get('package')).toMatch(/^[1-9]\d{9}$/);
    await expectSigned(r);
    const again = await order(no, APPID, 'MWEB', { scene_info: SCENE });
    expect(again.prepay_id).toBe(r.prepay_id);
    expect(again.mweb_url).not.toBe(r.mweb_url);
  });

  it('APP under the mobile app appid: a prepay_id, no openid', async () => {
    const r = await order(newOutTradeNo(), APP_APPID, 'APP');
    expect(r).toMatchObject({ result_code: 'SUCCESS', appid: APP_APPID, trade_type: 'APP' });
    expect(r.prepay_id).toMatch(/^wx\d{14}[0-9a-f]{20}$/);
    await expectSigned(r);
  });

  it('NATIVE and MWEB may use any bound appid (Native/H5 accept 公众号, 小程序 and 移动应用 appids)', async () => {
    for (const appid of [MINI_APPID, APP_APPID]) {
      expect(await order(newOutTradeNo(), appid, 'NATIVE', { product_id: 'P1' })).toMatchObject({ result_code: 'SUCCESS', appid });
      expect(await order(newOutTradeNo(), appid, 'MWEB', { scene_info: SCENE })).toMatchObject({ result_code: 'SUCCESS', appid });
    }
  });

  it.each([
    ['APP under the 公众号 appid', APPID, 'APP', {}],
    ['APP under the mini-program appid', MINI_APPID, 'APP', {}],
    ['JSAPI under the mobile app appid', APP_APPID, 'JSAPI', { openid: openidFor(APP_APPID, 'alice') }],
  ])('%s → NOAUTH 商户号该产品权限未开通 (the product is not enabled for that appid type), nothing stored', async (_name, appid, tradeType, extra) => {
    const no = newOutTradeNo();
    const r = await order(no, appid, tradeType, extra);
    expect(r).toMatchObject({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'NOAUTH', appid });
    expect(r.err_code_des).toContain('商户号该产品权限未开通');
    await expectSigned(r);
    expect(await getJson(`/sim/orders/${no}`)).toMatchObject({ error: 'ORDER_NOT_FOUND' });
  });

  it.each([
    ['NATIVE without product_id', 'NATIVE', {}, 'LACK_PARAMS', '缺少参数product_id'],
    ['NATIVE with a 33-byte product_id', 'NATIVE', { product_id: 'P'.repeat(33) }, 'PARAM_ERROR', 'product_id参数长度有误'],
    ['MWEB without scene_info', 'MWEB', {}, 'LACK_PARAMS', '缺少参数scene_info'],
    ['MWEB with scene_info that is not JSON', 'MWEB', { scene_info: '{h5_info:' }, 'PARAM_ERROR', 'scene_info参数格式错误'],
    ['MWEB with scene_info without h5_info', 'MWEB', { scene_info: '{"store_info":{"id":"1"}}' }, 'PARAM_ERROR', 'scene_info参数格式错误'],
    ['MWEB with an unknown h5_info.type', 'MWEB', { scene_info: '{"h5_info":{"type":"PC"}}' }, 'PARAM_ERROR', 'scene_info参数格式错误'],
    ['NATIVE with an openid of another appid', 'NATIVE', { product_id: 'P1', openid: MINI_ALICE }, 'PARAM_ERROR', 'appid和openid不匹配'],
  ])('%s → result_code=FAIL, nothing stored', async (_name, tradeType, extra, errCode, des) => {
    const no = newOutTradeNo();
    const r = await order(no, APPID, tradeType, extra as Record<string, string>);
    expect(r).toMatchObject({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: errCode, err_code_des: des });
    await expectSigned(r);
    expect(await getJson(`/sim/orders/${no}`)).toMatchObject({ error: 'ORDER_NOT_FOUND' });
  });

  it('an appid not bound to the merchant → return_code=FAIL appid不存在', async () => {
    const fields = orderFields(newOutTradeNo(), { appid: 'wx0000000000000001', trade_type: 'NATIVE', product_id: 'P1' });
    delete fields.openid;
    expect((await callXml('/pay/unifiedorder', fields)).fields).toEqual({ return_code: 'FAIL', return_msg: 'appid不存在' });
  });

  it('the same out_trade_no under another appid or trade type → OUT_TRADE_NO_USED', async () => {
    const no = newOutTradeNo();
    expect((await order(no, APPID, 'NATIVE', { product_id: 'P1' })).result_code).toBe('SUCCESS');
    expect(await order(no, MINI_APPID, 'NATIVE', { product_id: 'P1' })).toMatchObject({ err_code: 'OUT_TRADE_NO_USED', err_code_des: '201 商户订单号重复' });
    expect(await order(no, APPID, 'MWEB', { scene_info: SCENE })).toMatchObject({ err_code: 'OUT_TRADE_NO_USED' });
  });
});

describe("orderquery, the notifies and the bill carry the order's own appid and trade_type", () => {
  it('NATIVE under the mini-program appid: NOTPAY, paid by a buyer under that appid, SUCCESS; queried under the 公众号 appid too', async () => {
    const no = newOutTradeNo();
    const r = await order(no, MINI_APPID, 'NATIVE', { product_id: 'SKU-9' });
    const before = (await callXml('/pay/orderquery', { appid: MINI_APPID, out_trade_no: no })).fields;
    expect(before).toMatchObject({ result_code: 'SUCCESS', trade_state: 'NOTPAY', appid: MINI_APPID, trade_type: 'NATIVE', out_trade_no: no });
    expect(before.openid).toBeUndefined();
    await expectSigned(before);

    // A payer must be a buyer under the order's appid: the 公众号 openid is not.
    const wrong = await payBy({ code_url: r.code_url! }, ALICE);
    expect([wrong.status, wrong.body.error]).toEqual([403, 'OPENID_MISMATCH']);
    const paid = await payBy({ code_url: r.code_url! }, MINI_ALICE);
    expect(paid.body).toMatchObject({
      ok: true,
      out_trade_no: no,
      trade_type: 'NATIVE',
      appid: MINI_APPID,
      openid: MINI_ALICE,
      notify: { state: 'acknowledged' },
    });

    for (const appid of [MINI_APPID, APPID]) {
      const q = (await callXml('/pay/orderquery', { appid, out_trade_no: no })).fields;
      expect(q).toMatchObject({
        trade_state: 'SUCCESS',
        appid: MINI_APPID,
        trade_type: 'NATIVE',
        openid: MINI_ALICE,
        transaction_id: paid.body.transaction_id,
      });
      await expectSigned(q);
    }

    const [notify] = await received(no);
    expect(notify).toMatchObject({ appid: MINI_APPID, mch_id: MCHID, trade_type: 'NATIVE', openid: MINI_ALICE, out_trade_no: no, result_code: 'SUCCESS' });
    await expectSigned(notify!);

    expect(await getJson(`/sim/orders/${no}`)).toMatchObject({ trade_state: 'SUCCESS', appid: MINI_APPID, trade_type: 'NATIVE', openid: MINI_ALICE });
  });

  it('APP: the notify, the query and the refund notify name the mobile app appid', async () => {
    const no = newOutTradeNo();
    const r = await order(no, APP_APPID, 'APP', {}, 'HMAC-SHA256');
    const payer = openidFor(APP_APPID, 'bob');
    expect((await payBy({ prepay_id: r.prepay_id! }, payer)).body.ok).toBe(true);
    const [notify] = await received(no);
    expect(notify).toMatchObject({ appid: APP_APPID, trade_type: 'APP', openid: payer, sign_type: 'HMAC-SHA256' });
    await expectSigned(notify!, 'HMAC-SHA256');
    expect((await callXml('/pay/orderquery', { out_trade_no: no })).fields).toMatchObject({ appid: APP_APPID, trade_type: 'APP', openid: payer });

    const outRefundNo = `R${no}`;
    const refund = await callXml(
      '/secapi/pay/refund',
      { appid: APP_APPID, out_trade_no: no, out_refund_no: outRefundNo, total_fee: 1999, refund_fee: 100, notify_url: `${BASE}/sim/receiver/${outRefundNo}` },
      { headers: CERT_HEADER },
    );
    expect(refund.fields).toMatchObject({ result_code: 'SUCCESS', appid: APP_APPID });
    expect(await runDurableObjectAlarm(env.NOTIFY_DELIVERY.getByName(`refund:${outRefundNo}`))).toBe(true);
    const [outer] = await received(outRefundNo);
    expect(outer).toMatchObject({ appid: APP_APPID, mch_id: MCHID });
    expect(await decryptRefundInfo(outer!.req_info!, KEY)).toMatchObject({ out_trade_no: no, refund_fee: '100' });
    expect(await getJson(`/sim/orders/${no}`)).toMatchObject({ trade_state: 'REFUND', appid: APP_APPID, trade_type: 'APP' });
  });

  it("the bill: each row's 公众账号ID and 交易类型 are its order's own", async () => {
    const made: [string, string, string][] = [];
    const jsapi = newOutTradeNo('BT');
    const p1 = await order(jsapi, APPID, 'JSAPI', { openid: BOB });
    await payBy({ prepay_id: p1.prepay_id! }, BOB);
    made.push([jsapi, APPID, 'JSAPI']);
    const mini = newOutTradeNo('BT');
    const p2 = await order(mini, MINI_APPID, 'JSAPI', { openid: MINI_ALICE });
    await payBy({ prepay_id: p2.prepay_id! }, MINI_ALICE);
    made.push([mini, MINI_APPID, 'JSAPI']);
    const mweb = newOutTradeNo('BT');
    const p3 = await order(mweb, APPID, 'MWEB', { scene_info: SCENE });
    const paid = await payBy({ mweb_url: p3.mweb_url! }, openidFor(APPID, 'carol'));
    made.push([mweb, APPID, 'MWEB']);
    const billDate = (paid.body.time_end as string).slice(0, 8);

    await advanceClock(34 * 3600_000);
    try {
      const res = await post('/pay/downloadbill', await signed({ bill_date: billDate, bill_type: 'ALL' }));
      const text = await res.text();
      expect(isBillError(text)).toBe(false);
      const parsed = parseBill(text);
      if (!parsed.ok) throw new Error(parsed.reason);
      for (const [no, appid, tradeType] of made) {
        const row = parsed.bill.records.find((x) => x['商户订单号'] === no)!;
        expect(row).toMatchObject({ 公众账号ID: appid, 交易类型: tradeType, 商户号: MCHID, 交易状态: 'SUCCESS' });
      }
      expect(parsed.bill.records.find((x) => x['商户订单号'] === mini)!['用户标识']).toBe(MINI_ALICE);
    } finally {
      await advanceClock(-34 * 3600_000);
    }
  });
});
