// The simulator's API v3 (docs/wechatpay-v3.md §1–§6, docs/sandbox.md "API v3"): request verification
// that refuses before anything changes, every endpoint over the same state as v2, answers signed per the
// signer mode, the trade bill and its download, and the platform certificates.
import { exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decryptResource,
  importApiV3Key,
  SANDBOX_APIV3_KEY,
  SANDBOX_PAY_PRIVATE_KEY,
  SANDBOX_PAY_PUBLIC_KEY,
  SANDBOX_PLATFORM_CERTIFICATE,
  SANDBOX_PLATFORM_SERIAL,
  SANDBOX_PUB_KEY_ID,
  bytesToHex,
  formatWechatTime,
} from '../../src/core';
import { openidFor } from '../../src/sandbox/users';
import {
  advanceClock,
  ALICE,
  APP_APPID,
  APPID,
  BASE,
  callXml,
  getJson,
  MCHID,
  MINI_APPID,
  newOutTradeNo,
  pay,
  placeOrder,
  post,
  postJson,
  setScenario,
  signed as signedXml,
} from '../support/sandbox-helpers';
import { setSigner, v3, V3_BASE } from '../support/v3-helpers';

const RFC3339_BEIJING = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/;

function jsapi(no: string, over: Record<string, unknown> = {}) {
  return {
    appid: APPID,
    mchid: MCHID,
    description: '沙箱v3-商品',
    out_trade_no: no,
    notify_url: `${BASE}/sim/receiver/${no}`,
    amount: { total: 1999, currency: 'CNY' },
    payer: { openid: ALICE },
    ...over,
  };
}

const prepay = (path: string, body: unknown, opts?: Parameters<typeof v3>[3]) => v3('POST', `/pay/transactions/${path}`, body, opts);
const query = (no: string) => v3('GET', `/pay/transactions/out-trade-no/${no}?mchid=${MCHID}`);
const simOrder = (no: string) => getJson(`/sim/orders/${no}`);

/** A paid v3 JSAPI order: its out_trade_no and the /sim/pay answer. */
async function paidOrder(total = 1999) {
  const no = newOutTradeNo('V3');
  const placed = await prepay('jsapi', jsapi(no, { amount: { total } }));
  expect(placed.status).toBe(200);
  const paid = await pay(placed.json.prepay_id);
  expect(paid.status).toBe(200);
  return { no, paid: paid.body };
}

afterEach(async () => {
  await setSigner('public_key');
});

describe('request verification (§1, §2): refused before anything is read or changed', () => {
  it.each([
    ['a body other than the one signed', { signedBody: '{}' }, 401, 'SIGN_ERROR'],
    ["another key's signature", { key: SANDBOX_PAY_PRIVATE_KEY }, 401, 'SIGN_ERROR'],
    ['a serial_no that is not the merchant certificate', { serial: SANDBOX_PLATFORM_SERIAL }, 401, 'SIGN_ERROR'],
    ['another mchid', { mchid: '1900000999' }, 401, 'SIGN_ERROR'],
    ['a timestamp 301 s old', { timestampOffset: -301 }, 401, 'SIGN_ERROR'],
    ['a timestamp 301 s ahead', { timestampOffset: 301 }, 401, 'SIGN_ERROR'],
    ['no Authorization', { headers: { Authorization: '' } }, 401, 'SIGN_ERROR'],
    ['another scheme', { headers: { Authorization: 'WECHATPAY2-SHA256-RSA4096 mchid="1"' } }, 401, 'SIGN_ERROR'],
    ['no User-Agent', { headers: { 'User-Agent': '' } }, 400, 'INVALID_REQUEST'],
    ['no Accept', { headers: { Accept: '' } }, 400, 'INVALID_REQUEST'],
    ['a Wechatpay-Serial the simulator has no key for', { headers: { 'Wechatpay-Serial': 'PUB_KEY_ID_0000' } }, 400, 'INVALID_REQUEST'],
    ['a Content-Type other than JSON', { headers: { 'Content-Type': 'text/xml' } }, 400, 'INVALID_REQUEST'],
  ] as const)('%s: refused (400/401), no order, no call logged', async (_name, opts, status, code) => {
    const no = newOutTradeNo('V3AUTH');
    const r = await prepay('jsapi', jsapi(no), opts as Parameters<typeof v3>[3]);
    expect(r.status).toBe(status);
    expect(r.json.code).toBe(code);
    if (code === 'SIGN_ERROR') expect(r.json.message).toBe('签名错误');
    if (_name === 'no User-Agent') expect(r.json.message).toBe('Http头缺少Accept或User-Agent');
    // Error answers carry a Request-ID and no signature (§3.4: never verified by SDKs).
    expect(r.headers.get('Request-ID')).toMatch(/^[0-9A-F]{40}$/);
    expect(r.headers.get('Wechatpay-Signature')).toBeNull();
    expect((await simOrder(no)).error).toBe('ORDER_NOT_FOUND');
    expect((await getJson(`/sim/calls?out_trade_no=${no}`)).calls).toEqual([]);
  });

  it('a failed signature shows the message WeChat rebuilt (path and query as sent), never the expected signature', async () => {
    const r = await v3('GET', `/pay/transactions/out-trade-no/V3NONE0001?mchid=${MCHID}`, undefined, { signedBody: 'x' });
    expect(r.status).toBe(401);
    const info = r.json.detail.sign_information;
    expect(info.url).toBe(`/sandbox/v3/pay/transactions/out-trade-no/V3NONE0001?mchid=${MCHID}`);
    expect(info.truncated_sign_message).toMatch(
      new RegExp(`^GET\\n/sandbox/v3/pay/transactions/out-trade-no/V3NONE0001\\?mchid=${MCHID}\\n\\d+\\n[0-9A-Za-z]{32}\\n\\n$`),
    );
    expect(JSON.stringify(r.json)).not.toMatch(/[A-Za-z0-9+/]{300,}={0,2}/);
  });

  it.each([
    ['malformed JSON', '{"appid":', 'PARAM_ERROR'],
    ['a JSON array', '[]', 'PARAM_ERROR'],
    ['a 4-byte character', JSON.stringify(jsapi('V3EMOJI0001', { description: '咖啡☕🍰' })), 'PARAM_ERROR'],
    ['null for a field', JSON.stringify(jsapi('V3NULL00001', { attach: null })), 'PARAM_ERROR'],
    ['amount.total as a string', JSON.stringify(jsapi('V3STR000001', { amount: { total: '1999' } })), 'PARAM_ERROR'],
  ])('a signed body with %s → 400 PARAM_ERROR', async (_name, body, code) => {
    const r = await prepay('jsapi', body);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe(code);
  });
});

describe('prepay (§6.1)', () => {
  it('JSAPI: {prepay_id}, signed with the WeChat Pay public key; the same parameters again → the same prepay_id; others → 403 OUT_TRADE_NO_USED', async () => {
    const no = newOutTradeNo('V3');
    const r = await prepay('jsapi', jsapi(no, { attach: '会员=1', scene_info: { payer_client_ip: '203.0.113.9', device_id: 'POS-1' } }));
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['prepay_id']);
    expect(r.json.prepay_id).toMatch(/^wx\d{14}[0-9a-f]{20}$/);
    expect(r.verified).toEqual({ ok: true, serial: SANDBOX_PUB_KEY_ID });
    expect(r.headers.get('Wechatpay-Signature-Type')).toBe('WECHATPAY2-SHA256-RSA2048');
    expect(r.headers.get('Request-ID')).toMatch(/^[0-9A-F]{40}$/);
    // Key order is irrelevant (§1): the same parameters in another order are the same order.
    const reordered = jsapi(no, { attach: '会员=1', scene_info: { device_id: 'POS-1', payer_client_ip: '203.0.113.9' } });
    const again = await prepay('jsapi', Object.fromEntries(Object.entries(reordered).reverse()));
    expect(again.json).toEqual(r.json);
    const changed = await prepay('jsapi', jsapi(no, { amount: { total: 2000 } }));
    expect([changed.status, changed.json.code]).toEqual([403, 'OUT_TRADE_NO_USED']);
    expect(await simOrder(no)).toMatchObject({ trade_state: 'NOTPAY', sign_type: 'RSA', trade_type: 'JSAPI', total_fee: 1999, appid: APPID });
    expect((await getJson(`/sim/calls?out_trade_no=${no}`)).calls.map((c: any) => [c.endpoint, c.api])).toEqual([
      ['unifiedorder', 'v3'],
      ['unifiedorder', 'v3'],
      ['unifiedorder', 'v3'],
    ]);
  });

  it('mini-program (JSAPI under its appid), NATIVE {code_url}, H5 {h5_url}, APP {prepay_id}', async () => {
    const mini = await prepay('jsapi', jsapi(newOutTradeNo('V3'), { appid: MINI_APPID, payer: { openid: openidFor(MINI_APPID, 'alice') } }));
    expect(mini.status).toBe(200);
    const { payer: _p, ...noPayer } = jsapi(newOutTradeNo('V3'));
    const native = await prepay('native', noPayer);
    expect(native.json).toEqual({ code_url: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=[A-Za-z0-9]{11}$/) });
    const h5No = newOutTradeNo('V3');
    const h5 = await prepay('h5', { ...jsapi(h5No), payer: undefined, scene_info: { payer_client_ip: '203.0.113.7', h5_info: { type: 'iOS' } } });
    expect(h5.json.h5_url).toMatch(/^http:\/\/127\.0\.0\.1:8787\/sandbox\/mweb\?prepay_id=wx\d+[0-9a-f]+&package=\d{10}$/);
    expect(await simOrder(h5No)).toMatchObject({ trade_type: 'MWEB', params: { spbill_create_ip: '203.0.113.7' } });
    const app = await prepay('app', { ...noPayer, appid: APP_APPID, out_trade_no: newOutTradeNo('V3') });
    expect(Object.keys(app.json)).toEqual(['prepay_id']);
    for (const r of [mini, native, h5, app]) expect(r.verified.ok).toBe(true);
  });

  it.each([
    ['JSAPI without payer', 'jsapi', { payer: undefined }, 400, 'PARAM_ERROR', /payer\.openid/],
    ['an openid of another appid', 'jsapi', { payer: { openid: openidFor(MINI_APPID, 'alice') } }, 400, 'PARAM_ERROR', /appid和payer\.openid不匹配/],
    ['no description', 'jsapi', { description: undefined }, 400, 'PARAM_ERROR', /缺少参数description/],
    ['amount.total 0', 'jsapi', { amount: { total: 0 } }, 400, 'PARAM_ERROR', /amount\.total/],
    ['amount.currency USD', 'jsapi', { amount: { total: 1, currency: 'USD' } }, 400, 'PARAM_ERROR', /amount\.currency/],
    ['an http notify_url off loopback', 'jsapi', { notify_url: 'http://merchant.example.com/notify' }, 400, 'PARAM_ERROR', /notify_url/],
    ['a notify_url with a query', 'jsapi', { notify_url: 'https://merchant.example.com/notify?a=1' }, 400, 'PARAM_ERROR', /notify_url/],
    ['a time_expire that is not RFC 3339', 'jsapi', { time_expire: '20991231235959' }, 400, 'PARAM_ERROR', /time_expire/],
    ['an appid the merchant does not have', 'jsapi', { appid: 'wx0000000000000009' }, 400, 'APPID_MCHID_NOT_MATCH', /appid/],
    ['another mchid in the body', 'jsapi', { mchid: '1900000999' }, 400, 'MCH_NOT_EXISTS', /商户号/],
    ['APP under the 公众号 appid', 'app', { payer: undefined }, 403, 'NO_AUTH', /权限未开通/],
    ['H5 without payer_client_ip', 'h5', { payer: undefined, scene_info: { h5_info: { type: 'Wap' } } }, 400, 'PARAM_ERROR', /scene_info\.payer_client_ip/],
    [
      'H5 with v2 h5_info.type IOS',
      'h5',
      { payer: undefined, scene_info: { payer_client_ip: '203.0.113.7', h5_info: { type: 'IOS' } } },
      400,
      'PARAM_ERROR',
      /scene_info/,
    ],
  ] as const)('%s: refused with the v3 code and status, no order stored', async (_name, path, over, status, code, message) => {
    const no = newOutTradeNo('V3BAD');
    const r = await prepay(path, JSON.parse(JSON.stringify(jsapi(no, over))));
    expect([r.status, r.json.code]).toEqual([status, code]);
    expect(r.json.message).toMatch(message);
    expect((await simOrder(no)).error).toBe('ORDER_NOT_FOUND');
  });

  it('one state with v2: a v2 out_trade_no placed again through v3 is another order (403 OUT_TRADE_NO_USED); a paid one 400 ORDER_PAID', async () => {
    const no = newOutTradeNo('V3V2');
    await placeOrder(no);
    expect((await prepay('jsapi', jsapi(no))).json.code).toBe('OUT_TRADE_NO_USED');
    const { no: paidNo } = await paidOrder();
    const again = await prepay('jsapi', jsapi(paidNo));
    expect([again.status, again.json.code]).toEqual([400, 'ORDER_PAID']);
  });
});

describe('query and close (§6.2, §6.3)', () => {
  it('a paid order: the transaction object by out_trade_no and by transaction_id; unknown → 404 ORDER_NOT_EXIST', async () => {
    const no = newOutTradeNo('V3Q');
    const unpaid = await (async () => {
      await prepay('jsapi', jsapi(no, { attach: 'a&b' }));
      return query(no);
    })();
    expect(unpaid.json).toEqual({
      appid: APPID,
      mchid: MCHID,
      out_trade_no: no,
      trade_type: 'JSAPI',
      trade_state: 'NOTPAY',
      trade_state_desc: '订单未支付',
      attach: 'a&b',
      payer: { openid: ALICE },
      amount: { total: 1999, currency: 'CNY', payer_currency: 'CNY' },
    });
    const o = await simOrder(no);
    const paid = await pay(o.prepay_id);
    const q = await query(no);
    expect(q.verified.ok).toBe(true);
    expect(q.json).toMatchObject({
      transaction_id: paid.body.transaction_id,
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'CMB_DEBIT',
      success_time: expect.stringMatching(RFC3339_BEIJING),
      payer: { openid: ALICE },
      amount: { total: 1999, payer_total: 1999, currency: 'CNY', payer_currency: 'CNY' },
    });
    expect(q.json.success_time.replace(/\D/g, '').slice(0, 14)).toBe(paid.body.time_end);
    const byId = await v3('GET', `/pay/transactions/id/${paid.body.transaction_id}?mchid=${MCHID}`);
    expect(byId.json).toEqual(q.json);
    const unknown = await query(newOutTradeNo('V3Q'));
    expect([unknown.status, unknown.json.code]).toEqual([404, 'ORDER_NOT_EXIST']);
    const noMchid = await v3('GET', `/pay/transactions/out-trade-no/${no}`);
    expect([noMchid.status, noMchid.json.code]).toEqual([400, 'PARAM_ERROR']);
  });

  it('a v2 NATIVE order is queried through v3 too (one state)', async () => {
    const no = newOutTradeNo('V3V2');
    await placeOrder(no, { trade_type: 'NATIVE', product_id: 'P1', openid: '' });
    expect((await query(no)).json).toMatchObject({ out_trade_no: no, trade_type: 'NATIVE', trade_state: 'NOTPAY', amount: { total: 1999 } });
  });

  it('close: before 5 minutes 400 INVALID_REQUEST; then 204 with a signed empty body; again 400 ORDER_CLOSED; a paid order 400 ORDER_PAID', async () => {
    const no = newOutTradeNo('V3C');
    await prepay('jsapi', jsapi(no));
    const close = (n: string) => v3('POST', `/pay/transactions/out-trade-no/${n}/close`, { mchid: MCHID });
    const early = await close(no);
    expect([early.status, early.json.code]).toEqual([400, 'INVALID_REQUEST']);
    expect((await query(no)).json.trade_state).toBe('NOTPAY');
    await advanceClock(5 * 60_000);
    try {
      const closed = await close(no);
      expect(closed.status).toBe(204);
      expect(closed.text).toBe('');
      // §3.1: the signed message of a 204 is `TIMESTAMP\nNONCE\n\n`.
      expect(closed.verified).toEqual({ ok: true, serial: SANDBOX_PUB_KEY_ID });
      expect((await query(no)).json.trade_state).toBe('CLOSED');
      expect((await close(no)).json.code).toBe('ORDER_CLOSED');
    } finally {
      await advanceClock(-5 * 60_000);
    }
    const { no: paidNo } = await paidOrder();
    const paid = await close(paidNo);
    expect([paid.status, paid.json.code]).toEqual([400, 'ORDER_PAID']);
    const noMchid = await v3('POST', `/pay/transactions/out-trade-no/${no}/close`, {});
    expect(noMchid.json.code).toBe('PARAM_ERROR');
  });
});

describe('domestic refunds (§6.4): no client certificate', () => {
  const refund = (body: unknown) => v3('POST', '/refund/domestic/refunds', body);

  it('refunds a paid order, queries it, and v2 refundquery sees the same refund', async () => {
    const { no, paid } = await paidOrder();
    const body = { out_trade_no: no, out_refund_no: `R${no}`, reason: '退货', amount: { refund: 500, total: 1999, currency: 'CNY' } };
    const r = await refund(body);
    expect(r.status).toBe(200);
    expect(r.verified.ok).toBe(true);
    expect(r.json).toMatchObject({
      out_refund_no: `R${no}`,
      refund_id: expect.stringMatching(/^\d{29}$/),
      transaction_id: paid.transaction_id,
      out_trade_no: no,
      channel: 'ORIGINAL',
      status: 'SUCCESS',
      funds_account: 'UNSETTLED',
      create_time: expect.stringMatching(RFC3339_BEIJING),
      success_time: expect.stringMatching(RFC3339_BEIJING),
      amount: { total: 1999, refund: 500, payer_total: 1999, payer_refund: 500, currency: 'CNY' },
    });
    expect((await refund(body)).json.refund_id).toBe(r.json.refund_id);
    const q = await v3('GET', `/refund/domestic/refunds/R${no}`);
    expect(q.json).toEqual(r.json);
    expect((await query(no)).json.trade_state).toBe('REFUND');
    const v2 = await callXml('/pay/refundquery', { out_refund_no: `R${no}` });
    expect(v2.fields).toMatchObject({ result_code: 'SUCCESS', refund_id_0: r.json.refund_id, refund_status_0: 'SUCCESS' });
  });

  it.each([
    [
      'over-refund',
      (no: string) => ({ out_trade_no: no, out_refund_no: `RO${no}`, amount: { refund: 2000, total: 1999, currency: 'CNY' } }),
      400,
      'INVALID_REQUEST',
    ],
    [
      'another total',
      (no: string) => ({ out_trade_no: no, out_refund_no: `RT${no}`, amount: { refund: 1, total: 1, currency: 'CNY' } }),
      400,
      'INVALID_REQUEST',
    ],
    [
      'an unknown order',
      () => ({ out_trade_no: 'V3NOPE000001', out_refund_no: 'RNOPE0001', amount: { refund: 1, total: 1, currency: 'CNY' } }),
      404,
      'RESOURCE_NOT_EXISTS',
    ],
    [
      'another currency',
      (no: string) => ({ out_trade_no: no, out_refund_no: `RC${no}`, amount: { refund: 1, total: 1999, currency: 'USD' } }),
      400,
      'PARAM_ERROR',
    ],
    [
      'funds_account AVAILABLE (no recharge funds)',
      (no: string) => ({ out_trade_no: no, out_refund_no: `RA${no}`, funds_account: 'AVAILABLE', amount: { refund: 1, total: 1999, currency: 'CNY' } }),
      403,
      'NOT_ENOUGH',
    ],
    [
      'an http notify_url off loopback',
      (no: string) => ({
        out_trade_no: no,
        out_refund_no: `RN${no}`,
        notify_url: 'http://m.example.com/r',
        amount: { refund: 1, total: 1999, currency: 'CNY' },
      }),
      400,
      'PARAM_ERROR',
    ],
  ] as const)('%s: refused with the v3 code and status, nothing refunded', async (_name, body, status, code) => {
    const { no } = await paidOrder();
    const r = await refund(body(no));
    expect([r.status, r.json.code]).toEqual([status, code]);
    expect((await query(no)).json.trade_state).toBe('SUCCESS');
  });

  it('a refund that ends abnormal (scenario refund_status CHANGE) is ABNORMAL; an unknown out_refund_no 404 RESOURCE_NOT_EXISTS', async () => {
    const { no } = await paidOrder();
    await setScenario(no, { refund_status: 'CHANGE' });
    const r = await refund({ out_trade_no: no, out_refund_no: `R${no}`, amount: { refund: 1999, total: 1999, currency: 'CNY' } });
    expect(r.json.status).toBe('ABNORMAL');
    expect(r.json.success_time).toBeUndefined();
    const missing = await v3('GET', '/refund/domestic/refunds/RNOSUCHREFUND');
    expect([missing.status, missing.json.code]).toEqual([404, 'RESOURCE_NOT_EXISTS']);
  });
});

describe('trade bill (§6.6)', () => {
  const sha1 = async (bytes: Uint8Array) => bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-1', bytes)));
  const gunzip = async (bytes: Uint8Array) =>
    new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());

  it('hash_value is the SHA-1 of the uncompressed file; download_url needs a signed GET; the file is the v2 bill', async () => {
    const { paid } = await paidOrder(4321);
    const day = paid.time_end.slice(0, 8);
    const billDate = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`;
    await advanceClock(34 * 3600_000);
    try {
      const r = await v3('GET', `/bill/tradebill?bill_date=${billDate}&bill_type=ALL`);
      expect(r.status).toBe(200);
      expect(r.verified.ok).toBe(true);
      expect(r.json).toEqual({
        hash_type: 'SHA1',
        hash_value: expect.stringMatching(/^[0-9a-f]{40}$/),
        download_url: expect.stringContaining(`${V3_BASE}/billdownload/file?token=`),
      });
      const path = r.json.download_url.slice(V3_BASE.length);
      const file = await v3('GET', path);
      expect(file.status).toBe(200);
      const bytes = file.bytes;
      expect(await sha1(bytes)).toBe(r.json.hash_value);
      const v2 = await post('/pay/downloadbill', await signedXml({ bill_date: day, bill_type: 'ALL' }));
      expect(new Uint8Array(await v2.arrayBuffer())).toEqual(bytes);
      expect(file.text).toContain('4321'.replace(/(\d\d)$/, '.$1'));
      // An unsigned download is refused like any v3 call.
      expect((await exports.default.fetch(r.json.download_url, { headers: { Accept: '*/*', 'User-Agent': 't' } })).status).toBe(401);

      const gz = await v3('GET', `/bill/tradebill?bill_date=${billDate}&tar_type=GZIP`);
      expect(gz.json.hash_value).toBe(r.json.hash_value);
      const gzFile = await v3('GET', gz.json.download_url.slice(V3_BASE.length));
      expect(gzFile.headers.get('Content-Type')).toBe('application/x-gzip');
      expect(await sha1(await gunzip(gzFile.bytes))).toBe(r.json.hash_value);

      const none = await v3('GET', `/bill/tradebill?bill_date=${dayBefore(billDate)}`);
      expect([none.status, none.json.code]).toEqual([400, 'NO_STATEMENT_EXIST']);
      for (const q of ['bill_date=20240101', `bill_date=${billDate}&bill_type=RECHARGE_REFUND`, `bill_date=${billDate}&tar_type=ZIP`]) {
        expect((await v3('GET', `/bill/tradebill?${q}`)).json.code).toBe('PARAM_ERROR');
      }
    } finally {
      await advanceClock(-34 * 3600_000);
    }
  });
});

function dayBefore(date: string): string {
  const t = Date.parse(`${date}T12:00:00+08:00`) - 24 * 3600_000;
  const d = formatWechatTime(new Date(t));
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
}

describe('certificates (§4.2) and the signer modes (§4.3)', () => {
  it('the platform certificate, decrypted with the APIv3 key, under its serial; public_key_only → 404 无可用的平台证书', async () => {
    const r = await v3('GET', '/certificates');
    expect(r.status).toBe(200);
    expect(r.verified).toEqual({ ok: true, serial: SANDBOX_PUB_KEY_ID });
    const [cert] = r.json.data;
    expect(cert).toMatchObject({
      serial_no: SANDBOX_PLATFORM_SERIAL,
      effective_time: '2026-12-08T02:54:24+08:00',
      expire_time: '2036-12-05T02:54:24+08:00',
      encrypt_certificate: { algorithm: 'AEAD_AES_256_GCM', associated_data: 'certificate', nonce: expect.stringMatching(/^[A-Za-z0-9]{12}$/) },
    });
    expect(await decryptResource(await importApiV3Key(SANDBOX_APIV3_KEY), cert.encrypt_certificate)).toBe(SANDBOX_PLATFORM_CERTIFICATE);
    await setSigner('public_key_only');
    const none = await v3('GET', '/certificates');
    expect([none.status, none.json.code]).toEqual([404, 'RESOURCE_NOT_EXISTS']);
    expect(none.json.message).toMatch(/^无可用的平台证书/);
  });

  it('certificate mode signs with the platform certificate; switching follows the request Wechatpay-Serial', async () => {
    const no = newOutTradeNo('V3S');
    await prepay('jsapi', jsapi(no));
    await setSigner('certificate');
    expect((await query(no)).verified).toEqual({ ok: true, serial: SANDBOX_PLATFORM_SERIAL });
    await setSigner('switching');
    expect((await getJson('/sim/v3/signer')).mode).toBe('switching');
    const withPub = await v3('GET', `/pay/transactions/out-trade-no/${no}?mchid=${MCHID}`, undefined, { headers: { 'Wechatpay-Serial': SANDBOX_PUB_KEY_ID } });
    expect(withPub.verified).toEqual({ ok: true, serial: SANDBOX_PUB_KEY_ID });
    expect((await query(no)).verified).toEqual({ ok: true, serial: SANDBOX_PLATFORM_SERIAL });
    const withCert = await v3('GET', `/pay/transactions/out-trade-no/${no}?mchid=${MCHID}`, undefined, {
      headers: { 'Wechatpay-Serial': SANDBOX_PLATFORM_SERIAL },
    });
    expect(withCert.verified).toEqual({ ok: true, serial: SANDBOX_PLATFORM_SERIAL });
  });

  it('GET /sim/v3/keys hands a test harness both key pairs; POST /sim/v3/signer refuses an unknown mode', async () => {
    const keys = await getJson('/sim/v3/keys');
    expect(keys).toMatchObject({
      mode: 'public_key',
      pub_key_id: SANDBOX_PUB_KEY_ID,
      platform_public_key: SANDBOX_PAY_PUBLIC_KEY,
      platform_private_key: SANDBOX_PAY_PRIVATE_KEY,
      platform_serial: SANDBOX_PLATFORM_SERIAL,
      platform_certificate: SANDBOX_PLATFORM_CERTIFICATE,
      test_only: expect.stringMatching(/^TEST ONLY/),
    });
    expect((await postJson('/sim/v3/signer', { mode: 'rsa4096' })).status).toBe(400);
  });
});
