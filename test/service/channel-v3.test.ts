// The API v3 channel (src/worker/wechat-v3) against a fake WeChat that checks each request's
// Authorization and signs its answers with the simulator's test keys (test/support/fake-wechat-v3.ts):
// what each call sends, that only a verified 2xx is believed, the error table, the bill's hash, and the
// platform-certificate list's acceptance rules.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  derToPem,
  encryptResource,
  importApiV3Key,
  importVerifyingKey,
  publicKeyOfPrivateKey,
  rsaVerify,
  SANDBOX_MCH_CERTIFICATE,
  SANDBOX_PLATFORM_CERTIFICATE,
  SANDBOX_PLATFORM_SERIAL,
  SANDBOX_PUB_KEY_ID,
  v3Lines,
} from '../../src/core';
import { ChannelError, type OrderRef, type PaymentChannel, type Payer, type PrepayRequest, type TradeType } from '../../src/worker/channel';
import type { Config } from '../../src/worker/platform/config';
import { forgetPlatformKeys, parseCertificatePem, refreshCertificatesIfDue, v3Channel } from '../../src/worker/wechat-v3';
import { acceptCertificateList } from '../../src/worker/wechat-v3/certificates';
import { v3ErrorFor } from '../../src/worker/wechat-v3/errors';
import { v3SignedHeaders } from '../../src/core';
import { certificateList, fakeWechatV3, signedHeaders, type FakeWechatV3 } from '../support/fake-wechat-v3';
import { fakeConfig } from '../support/fakes';

const BASE = 'http://127.0.0.1:8787';
const MINI = 'wx5a4db0c0de000001';
const APP = 'wx5a4db0c0de000002';

function setup(vars: Record<string, string> = {}): { config: Config; wechat: FakeWechatV3; channel: PaymentChannel } {
  const config = fakeConfig({ WECHAT_API_VERSION: 'v3', ...vars });
  const wechat = fakeWechatV3(config);
  return { config, wechat, channel: v3Channel(wechat.deps) };
}

const PAYERS: Record<TradeType, Payer> = {
  JSAPI: { tradeType: 'JSAPI', openid: 'oMPbuyer000000000000000001' },
  MINIPROGRAM: { tradeType: 'MINIPROGRAM', openid: 'oMINIbuyer0000000000000001' },
  NATIVE: { tradeType: 'NATIVE', productId: 'SKU-42' },
  MWEB: { tradeType: 'MWEB', scene: { wapUrl: BASE, wapName: '沙箱商户' } },
  APP: { tradeType: 'APP' },
};
const ENDPOINT: Record<TradeType, string> = {
  JSAPI: '/v3/pay/transactions/jsapi',
  MINIPROGRAM: '/v3/pay/transactions/jsapi',
  NATIVE: '/v3/pay/transactions/native',
  MWEB: '/v3/pay/transactions/h5',
  APP: '/v3/pay/transactions/app',
};
const ANSWERS: Record<TradeType, unknown> = {
  JSAPI: { prepay_id: 'wx26112221580621e9b071c00d9e093b0000' },
  MINIPROGRAM: { prepay_id: 'wx26112221580621e9b071c00d9e093b0001' },
  NATIVE: { code_url: 'weixin://wxpay/bizpayurl?pr=p4lpSuKzz' },
  MWEB: { h5_url: 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2916263004719461949c84457c735b0000&package=2150917749' },
  APP: { prepay_id: 'wx26112221580621e9b071c00d9e093b0002' },
};

const refOf = (tradeType: TradeType): OrderRef => ({
  outTradeNo: `ATT${tradeType}01`,
  signType: 'HMAC-SHA256',
  ...(tradeType === 'MINIPROGRAM' ? { appId: MINI } : tradeType === 'APP' ? { appId: APP } : {}),
});

const request = (tradeType: TradeType, attach: string | null = null): PrepayRequest => ({
  order: refOf(tradeType),
  payer: PAYERS[tradeType],
  description: 'Test item',
  totalFee: 1999,
  clientIp: '203.0.113.9',
  notifyUrl: `${BASE}/wechat/notify`,
  expiresAt: new Date('2026-12-20T04:00:00Z'),
  attach,
});

async function failure(p: Promise<unknown>): Promise<ChannelError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ChannelError) return e;
    throw e;
  }
  throw new Error('expected a ChannelError');
}

beforeEach(() => forgetPlatformKeys());

describe('prepay: every request signed, every answer verified', () => {
  it.each(Object.keys(PAYERS) as TradeType[])('%s: endpoint, body, headers, a verifiable Authorization', async (tradeType) => {
    const { wechat, channel } = setup();
    wechat.on(`POST ${ENDPOINT[tradeType]}`, { json: ANSWERS[tradeType] });
    const prepay = await channel.prepay(request(tradeType, tradeType === 'JSAPI' ? 'cart-7' : null));
    const [call] = wechat.calls;
    expect(call!.authorized).toBe(true);
    expect(call!.headers.get('accept')).toBe('application/json');
    expect(call!.headers.get('user-agent')).toMatch(/^wxpay-edge\//);
    expect(call!.headers.get('content-type')).toBe('application/json');
    expect(call!.headers.get('wechatpay-serial')).toBe(SANDBOX_PUB_KEY_ID);
    const appid = tradeType === 'MINIPROGRAM' ? MINI : tradeType === 'APP' ? APP : 'wxd930ea5d5a258f4f';
    expect(call!.body).toEqual({
      appid,
      mchid: '10000100',
      description: 'Test item',
      out_trade_no: `ATT${tradeType}01`,
      time_expire: '2026-12-20T12:00:00+08:00',
      ...(tradeType === 'JSAPI' ? { attach: 'cart-7' } : {}),
      notify_url: `${BASE}/wechat/v3/notify`,
      amount: { total: 1999, currency: 'CNY' },
      ...(tradeType === 'JSAPI' || tradeType === 'MINIPROGRAM' ? { payer: { openid: (PAYERS[tradeType] as { openid: string }).openid } } : {}),
      ...(tradeType === 'MWEB' ? { scene_info: { payer_client_ip: '203.0.113.9', h5_info: { type: 'Wap', app_name: '沙箱商户', app_url: BASE } } } : {}),
    });
    if (tradeType === 'NATIVE') expect(prepay).toEqual({ tradeType, prepayId: 'v3_NATIVE_ATTNATIVE01', codeUrl: 'weixin://wxpay/bizpayurl?pr=p4lpSuKzz' });
    else if (tradeType === 'MWEB') expect(prepay).toMatchObject({ tradeType, prepayId: 'wx2916263004719461949c84457c735b0000' });
    else expect(prepay).toEqual({ tradeType, prepayId: (ANSWERS[tradeType] as { prepay_id: string }).prepay_id });
  });

  it('signs the path as sent, under the sandbox prefix (canonical URL = pathname + query)', async () => {
    const { wechat, channel } = setup();
    wechat.on('GET /v3/pay/transactions/out-trade-no/ATTJSAPI01', {
      json: { appid: 'wxd930ea5d5a258f4f', mchid: '10000100', out_trade_no: 'ATTJSAPI01', trade_state: 'NOTPAY' },
    });
    await channel.queryOrder(refOf('JSAPI'));
    expect(wechat.calls[0]!.search).toBe('?mchid=10000100');
    expect(wechat.calls[0]!.authorized).toBe(true);
    expect(wechat.calls[0]!.headers.get('content-type')).toBeNull();
  });

  it.each([
    ['unsigned', 'NONE'],
    ['forged (another key under the public key id)', 'FORGED'],
    ['stale (10 minutes old)', 'STALE'],
    ['tampered (a byte changed after signing)', 'TAMPERED'],
    ['signed under an unknown serial', { serial: 'PUB_KEY_ID_0199999999' }],
  ] as const)('an %s 2xx answer is refused: SIGN_INVALID, outcome not believed', async (_, signer) => {
    const { wechat, channel } = setup();
    wechat.on('POST /v3/pay/transactions/jsapi', { json: ANSWERS.JSAPI, signer });
    const e = await failure(channel.prepay(request('JSAPI')));
    expect([e.code, e.retryable, e.outcomeUnknown]).toEqual(['SIGN_INVALID', false, true]);
  });

  it('refuses answers it cannot use (PROTOCOL): a bad prepay_id, a code_url of another scheme, an http h5_url', async () => {
    for (const [tradeType, json] of [
      ['JSAPI', { prepay_id: 'wx<script>' }],
      ['NATIVE', { code_url: 'https://evil.example/pay' }],
      ['MWEB', { h5_url: 'http://wx.tenpay.com/checkmweb?prepay_id=wx1' }],
    ] as const) {
      const { wechat, channel } = setup();
      wechat.on(`POST ${ENDPOINT[tradeType]}`, { json });
      expect((await failure(channel.prepay(request(tradeType)))).code).toBe('PROTOCOL');
    }
  });

  it('a description or attach with a 4-byte character (emoji) is refused as WeChat would, without a call', async () => {
    const { wechat, channel } = setup();
    for (const req of [{ ...request('JSAPI'), description: 'Tea 🍵' }, request('JSAPI', 'cart 🛒')]) {
      const e = await failure(channel.prepay(req));
      expect([e.code, e.errCode]).toEqual(['BUSINESS', 'PARAM_ERROR']);
    }
    expect(wechat.calls).toHaveLength(0);
  });

  it('platform-certificate mode: no Wechatpay-Serial sent; a certificate-signed answer verifies once the list is fetched', async () => {
    const { wechat, channel } = setup({ WECHAT_PAY_PUBLIC_KEY: '', WECHAT_PAY_PUBLIC_KEY_ID: '' });
    wechat.on('POST /v3/pay/transactions/jsapi', { json: ANSWERS.JSAPI });
    expect(await channel.prepay(request('JSAPI'))).toMatchObject({ prepayId: (ANSWERS.JSAPI as { prepay_id: string }).prepay_id });
    expect(wechat.calls[0]!.headers.get('wechatpay-serial')).toBeNull();
    expect(wechat.callsTo('GET /v3/certificates')).toBe(1);
    expect([...wechat.store.rows.keys()]).toEqual([SANDBOX_PLATFORM_SERIAL]);
    // Known now: the next answer needs no list.
    await channel.prepay(request('JSAPI'));
    expect(wechat.callsTo('GET /v3/certificates')).toBe(1);
  });

  it('both kinds at once: with the public key configured, a certificate-signed answer still verifies (the switching period)', async () => {
    const { wechat, channel } = setup();
    wechat.on('POST /v3/pay/transactions/jsapi', { json: ANSWERS.JSAPI, signer: 'CERT' }, { json: ANSWERS.JSAPI, signer: 'PUBKEY' });
    await channel.prepay(request('JSAPI'));
    await channel.prepay(request('JSAPI'));
    expect(wechat.callsTo('GET /v3/certificates')).toBe(1);
  });
});

describe('pay params: signType RSA under the merchant key, the order own appid', () => {
  const merchantKey = publicKeyOfPrivateKey(fakeConfig({ WECHAT_API_VERSION: 'v3' }).v3!.mchPrivateKey).then((spki) => importVerifyingKey(spki));

  it('JSAPI and MINIPROGRAM: paySign over appId, timeStamp, nonceStr, package', async () => {
    const { channel } = setup();
    for (const tradeType of ['JSAPI', 'MINIPROGRAM'] as const) {
      const pay = await channel.payParams({ tradeType, prepayId: 'wx201410272009395522657a690389285100' }, refOf(tradeType), {
        timeStamp: 1554208460,
        nonce: 'AbC123',
      });
      if (pay.tradeType !== tradeType) throw new Error('wrong kind');
      const p = pay.params;
      expect(p).toMatchObject({ appId: tradeType === 'JSAPI' ? 'wxd930ea5d5a258f4f' : MINI, timeStamp: '1554208460', nonceStr: 'AbC123', signType: 'RSA' });
      expect(await rsaVerify(await merchantKey, v3Lines(p.appId, p.timeStamp, p.nonceStr, p.package), p.paySign)).toBe(true);
    }
  });

  it('APP: the PayReq sign over appid, timestamp, noncestr, prepayid', async () => {
    const { channel } = setup();
    const pay = await channel.payParams({ tradeType: 'APP', prepayId: 'wx201410272009395522657a690389285100' }, refOf('APP'), {
      timeStamp: 1554208460,
      nonce: 'AbC123',
    });
    if (pay.tradeType !== 'APP') throw new Error('wrong kind');
    expect(pay.params).toMatchObject({ appid: APP, partnerid: '10000100', package: 'Sign=WXPay' });
    expect(await rsaVerify(await merchantKey, v3Lines(APP, '1554208460', 'AbC123', pay.params.prepayid), pay.params.sign)).toBe(true);
  });
});

describe('queryOrder, closeOrder', () => {
  const paid = {
    appid: 'wxd930ea5d5a258f4f',
    mchid: '10000100',
    out_trade_no: 'ATTJSAPI01',
    transaction_id: '4200000001202612200000000001',
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    bank_type: 'OTHERS',
    success_time: '2026-12-20T10:11:12+08:00',
    payer: { openid: 'oMPbuyer000000000000000001' },
    amount: { total: 1999, payer_total: 1899, currency: 'CNY', payer_currency: 'CNY' },
  };

  it('maps the transaction onto the domain (success_time → Beijing yyyyMMddHHmmss)', async () => {
    const { wechat, channel } = setup();
    wechat.on('GET /v3/pay/transactions/out-trade-no/ATTJSAPI01', { json: paid });
    expect(await channel.queryOrder(refOf('JSAPI'))).toEqual({
      tradeState: 'SUCCESS',
      outTradeNo: 'ATTJSAPI01',
      transactionId: '4200000001202612200000000001',
      totalFee: 1999,
      cashFee: 1899,
      feeType: 'CNY',
      bankType: 'OTHERS',
      openid: 'oMPbuyer000000000000000001',
      timeEnd: '20261220101112',
      tradeType: 'JSAPI',
    });
  });

  it('an answer about another order, merchant or appid, or a fractional amount, is PROTOCOL', async () => {
    for (const json of [
      { ...paid, out_trade_no: 'OTHER' },
      { ...paid, mchid: '10000999' },
      { ...paid, appid: MINI },
      { ...paid, amount: { ...paid.amount, total: 19.99 } },
      { ...paid, trade_state: 'PAID' },
    ]) {
      const { wechat, channel } = setup();
      wechat.on('GET /v3/pay/transactions/out-trade-no/ATTJSAPI01', { json });
      expect((await failure(channel.queryOrder(refOf('JSAPI')))).code).toBe('PROTOCOL');
    }
  });

  it('retries a 500 and a 429 (safe to repeat), not a 404', async () => {
    const { wechat, channel } = setup();
    const route = 'GET /v3/pay/transactions/out-trade-no/ATTJSAPI01';
    wechat.on(
      route,
      { status: 500, json: { code: 'SYSTEM_ERROR', message: '系统错误' } },
      { status: 429, json: { code: 'RATELIMIT_EXCEEDED' } },
      { json: paid },
    );
    expect((await channel.queryOrder(refOf('JSAPI'))).tradeState).toBe('SUCCESS');
    expect(wechat.callsTo(route)).toBe(3);
    const other = setup();
    other.wechat.on(route, { status: 404, json: { code: 'ORDER_NOT_EXIST', message: '订单不存在' } });
    expect((await failure(other.channel.queryOrder(refOf('JSAPI')))).code).toBe('ORDERNOTEXIST');
    expect(other.wechat.callsTo(route)).toBe(1);
  });

  it('close: 204 verified (an empty body is signed too); ORDER_CLOSED and ORDERPAID as under v2', async () => {
    const route = 'POST /v3/pay/transactions/out-trade-no/ATTJSAPI01/close';
    const ok = setup();
    ok.wechat.on(route, {});
    await ok.channel.closeOrder(refOf('JSAPI'));
    expect(ok.wechat.calls[0]!.body).toEqual({ mchid: '10000100' });
    const unsigned = setup();
    unsigned.wechat.on(route, { signer: 'NONE' });
    expect((await failure(unsigned.channel.closeOrder(refOf('JSAPI')))).code).toBe('SIGN_INVALID');
    for (const [code, expected] of [
      ['ORDER_CLOSED', 'ORDERCLOSED'],
      ['ORDERPAID', 'ORDERPAID'],
    ]) {
      const s = setup();
      s.wechat.on(route, { status: 400, json: { code, message: '…' } });
      expect((await failure(s.channel.closeOrder(refOf('JSAPI')))).code).toBe(expected);
    }
  });
});

describe('error mapping (HTTP class, then the code without underscores)', () => {
  const body = (code: string) => new TextEncoder().encode(JSON.stringify({ code, message: 'm' }));
  it.each([
    [500, 'SYSTEM_ERROR', 'ORDER', 'SYSTEMERROR', true, false],
    [502, 'SERVICE_UNAVAILABLE', 'ORDER', 'NETWORK', true, true],
    [503, '', 'ORDER', 'NETWORK', true, true],
    [429, 'FREQUENCY_LIMITED', 'REFUND', 'FREQUENCY_LIMITED', true, false],
    [404, 'ORDER_NOT_EXIST', 'ORDER', 'ORDERNOTEXIST', false, false],
    [404, 'RESOURCE_NOT_EXISTS', 'REFUND', 'REFUNDNOTEXIST', false, false],
    [400, 'ORDER_CLOSED', 'ORDER', 'ORDERCLOSED', false, false],
    [400, 'ORDERPAID', 'ORDER', 'ORDERPAID', false, false],
    [403, 'OUT_TRADE_NO_USED', 'ORDER', 'OUT_TRADE_NO_USED', false, false],
    [400, 'INVALID_REQUEST', 'ORDER', 'INVALID_REQUEST', false, false],
    [403, 'NOT_ENOUGH', 'REFUND', 'NOTENOUGH', false, false],
    [403, 'NO_AUTH', 'ORDER', 'NOAUTH', false, false],
    [403, 'NOAUTH', 'ORDER', 'NOAUTH', false, false],
    [401, 'SIGN_ERROR', 'ORDER', 'CONFIG', false, false],
    [400, 'APPID_MCHID_NOT_MATCH', 'ORDER', 'CONFIG', false, false],
    [400, 'MCH_NOT_EXISTS', 'ORDER', 'CONFIG', false, false],
    [400, 'PARAM_ERROR', 'ORDER', 'BUSINESS', false, false],
    [403, 'TRADE_ERROR', 'REFUND', 'BUSINESS', false, false],
    [400, '', 'ORDER', 'PROTOCOL', false, false],
  ] as const)('%i %s (%s) → %s', (status, code, subject, expected, retryable, unknown) => {
    const e = v3ErrorFor(status, code ? body(code) : new TextEncoder().encode('<html>bad gateway</html>'), subject);
    expect([e.code, e.retryable, e.outcomeUnknown]).toEqual([expected, retryable, unknown]);
    if (code) expect(e.errCode).toBe(code);
  });

  it('no answer at all: TIMEOUT or NETWORK, outcome unknown', async () => {
    const { config } = setup();
    const wechat = fakeWechatV3(config);
    const hang = v3Channel({
      ...wechat.deps,
      timeoutMs: 20,
      transports: {
        ...wechat.deps.transports,
        api: (_u, init) => new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal!.reason))),
      },
    });
    const e = await failure(hang.prepay(request('JSAPI')));
    expect([e.code, e.outcomeUnknown]).toEqual(['TIMEOUT', true]);
    const down = v3Channel({ ...wechat.deps, transports: { ...wechat.deps.transports, api: () => Promise.reject(new TypeError('connection refused')) } });
    const n = await failure(down.prepay(request('JSAPI')));
    expect([n.code, n.outcomeUnknown]).toEqual(['NETWORK', true]);
  });
});

describe('refunds', () => {
  const accepted = {
    refund_id: '50000000382019052709732678859',
    out_refund_no: 'R1',
    transaction_id: '42000001',
    out_trade_no: 'ATTJSAPI01',
    status: 'PROCESSING',
    amount: { refund: 500, total: 1999, currency: 'CNY' },
  };

  it('refund: no client certificate, notify_url is the v3 route, the answer must echo the refund', async () => {
    const { wechat, channel } = setup();
    expect(channel.refundsAvailable).toBe(true);
    wechat.on('POST /v3/refund/domestic/refunds', { json: accepted });
    const r = await channel.refund({ order: refOf('JSAPI'), outRefundNo: 'R1', totalFee: 1999, refundFee: 500, refundDesc: '退货' });
    expect(r).toEqual({ refundId: accepted.refund_id, outRefundNo: 'R1', refundFee: 500, transactionId: '42000001' });
    expect(wechat.calls[0]!.body).toEqual({
      out_trade_no: 'ATTJSAPI01',
      out_refund_no: 'R1',
      reason: '退货',
      notify_url: `${BASE}/wechat/v3/refund-notify`,
      amount: { refund: 500, total: 1999, currency: 'CNY' },
    });
    const wrong = setup();
    wrong.wechat.on('POST /v3/refund/domestic/refunds', { json: { ...accepted, amount: { refund: 50, total: 1999 } } });
    expect((await failure(wrong.channel.refund({ order: refOf('JSAPI'), outRefundNo: 'R1', totalFee: 1999, refundFee: 500 }))).code).toBe('PROTOCOL');
  });

  it.each([
    ['PROCESSING', 'PROCESSING'],
    ['SUCCESS', 'SUCCESS'],
    ['CLOSED', 'REFUNDCLOSE'],
    ['ABNORMAL', 'CHANGE'],
  ])('queryRefund: status %s → %s', async (status, expected) => {
    const { wechat, channel } = setup();
    wechat.on('GET /v3/refund/domestic/refunds/R1', { json: { ...accepted, status, success_time: '2026-12-20T10:11:12+08:00' } });
    expect(await channel.queryRefund('R1', refOf('JSAPI'))).toEqual({
      outTradeNo: 'ATTJSAPI01',
      totalFee: 1999,
      refunds: [{ outRefundNo: 'R1', refundId: accepted.refund_id, refundFee: 500, status: expected, successTime: '2026-12-20 10:11:12' }],
    });
  });

  it('queryRefund: 404 is REFUNDNOTEXIST; an unknown status is PROTOCOL', async () => {
    const { wechat, channel } = setup();
    wechat.on('GET /v3/refund/domestic/refunds/R1', { status: 404, json: { code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' } });
    expect((await failure(channel.queryRefund('R1', refOf('JSAPI')))).code).toBe('REFUNDNOTEXIST');
    const odd = setup();
    odd.wechat.on('GET /v3/refund/domestic/refunds/R1', { json: { ...accepted, status: 'REFUNDING' } });
    expect((await failure(odd.channel.queryRefund('R1', refOf('JSAPI')))).code).toBe('PROTOCOL');
  });
});

describe('fetchBill', () => {
  const bill = '\ufeff交易时间,公众账号ID\r\n`2026-12-19 10:00:00,`wxd930ea5d5a258f4f\r\n总交易单数\r\n`1\r\n';
  const gz = gzipSync(Buffer.from(bill, 'utf8'));
  const sha1 = createHash('sha1').update(Buffer.from(bill, 'utf8')).digest('hex');
  const download = `${BASE}/sandbox/v3/billdownload/file?token=T1`;

  async function text(chunks: AsyncIterable<string>): Promise<string> {
    let out = '';
    for await (const c of chunks) out += c;
    return out;
  }

  it('tradebill → signed GET of download_url → gunzip → SHA-1 (any case) → the text, streamed', async () => {
    const { wechat, channel } = setup();
    wechat.on('GET /v3/bill/tradebill', { json: { hash_type: 'SHA1', hash_value: sha1.toUpperCase(), download_url: download } });
    wechat.on('GET /v3/billdownload/file', { bytes: new Uint8Array(gz), signer: 'NONE' });
    const result = await channel.fetchBill('20261219', 'ALL');
    if (result.kind !== 'BILL') throw new Error('no bill');
    expect(await text(result.chunks)).toBe(bill.slice(1));
    expect(wechat.calls[0]!.search).toBe('?bill_date=2026-12-19&bill_type=ALL&tar_type=GZIP');
    expect(wechat.calls.every((c) => c.authorized)).toBe(true);
    expect(wechat.calls[1]!.search).toBe('?token=T1');
  });

  it('a hash mismatch is refused before a line is read', async () => {
    const { wechat, channel } = setup();
    wechat.on('GET /v3/bill/tradebill', {
      json: { hash_type: 'SHA1', hash_value: sha1.replace(/^./, (c) => (c === '0' ? '1' : '0')), download_url: download },
    });
    wechat.on('GET /v3/billdownload/file', { bytes: new Uint8Array(gz), signer: 'NONE' });
    const e = await failure(channel.fetchBill('20261219', 'ALL'));
    expect([e.code, e.errCode]).toEqual(['SIGN_INVALID', 'BILL_HASH_MISMATCH']);
  });

  it('NO_STATEMENT_EXIST is NO_BILL; a download_url off WeChat host is never fetched', async () => {
    const { wechat, channel } = setup();
    wechat.on('GET /v3/bill/tradebill', { status: 400, json: { code: 'NO_STATEMENT_EXIST', message: '账单文件不存在' } });
    expect(await channel.fetchBill('20261219', 'ALL')).toEqual({ kind: 'NO_BILL' });
    const evil = setup();
    evil.wechat.on('GET /v3/bill/tradebill', {
      json: { hash_type: 'SHA1', hash_value: sha1, download_url: 'https://evil.example/v3/billdownload/file?token=T1' },
    });
    expect((await failure(evil.channel.fetchBill('20261219', 'ALL'))).code).toBe('PROTOCOL');
    expect(evil.wechat.calls).toHaveLength(1);
  });
});

describe('the platform certificate list', () => {
  const NOW = Date.parse('2026-12-20T02:00:00Z');
  const V3KEY = fakeConfig().v3!.apiV3Key;

  async function judge(list: unknown, signer: Parameters<typeof signedHeaders>[1], publicKey = false, nowMs = NOW) {
    const body = new TextEncoder().encode(JSON.stringify(list));
    const headers = v3SignedHeaders(new Headers(await signedHeaders(body, signer, Math.floor(nowMs / 1000))));
    const pub = publicKey ? { id: SANDBOX_PUB_KEY_ID, key: await importVerifyingKey(fakeConfig().v3!.payPublicKey!.pem) } : null;
    return acceptCertificateList(headers, body, await importApiV3Key(V3KEY), pub, nowMs);
  }

  it('parses the X.509: serial upper-case hex, validity, SPKI', () => {
    const c = parseCertificatePem(SANDBOX_PLATFORM_CERTIFICATE);
    expect(c.serial).toBe(SANDBOX_PLATFORM_SERIAL);
    expect(new Date(c.notAfter).toISOString()).toBe('2036-12-04T18:54:24.000Z');
    expect(c.spki.length).toBe(294);
  });

  it('accepted when signed by the certificate it lists, or by the configured public key', async () => {
    const list = await certificateList(V3KEY);
    const byCert = await judge(list, 'CERT');
    expect(byCert.ok && byCert.certificates.map((c) => c.serial)).toEqual([SANDBOX_PLATFORM_SERIAL]);
    expect((await judge(list, 'PUBKEY', true)).ok).toBe(true);
  });

  it('refused: signed by a key it does not list, by the public key when none is configured, tampered, stale', async () => {
    const list = await certificateList(V3KEY);
    expect(await judge(list, { serial: 'ABCDEF0123' })).toEqual({ ok: false, reason: 'SERIAL_UNKNOWN' });
    expect(await judge(list, 'PUBKEY', false)).toEqual({ ok: false, reason: 'SERIAL_UNKNOWN' });
    expect(await judge(list, 'STALE')).toEqual({ ok: false, reason: 'TIMESTAMP_STALE' });
    const body = new TextEncoder().encode(JSON.stringify(list));
    const headers = v3SignedHeaders(new Headers(await signedHeaders(body, 'CERT', Math.floor(NOW / 1000))));
    const tampered = new TextEncoder().encode(JSON.stringify(list).replace('"data"', '"data" '));
    expect(await acceptCertificateList(headers, tampered, await importApiV3Key(V3KEY), null, NOW)).toEqual({ ok: false, reason: 'SIGNATURE_INVALID' });
  });

  it('refused: a serial_no that is not the certificate own serial, another AAD, another key', async () => {
    expect(await judge(await certificateList(V3KEY, SANDBOX_PLATFORM_CERTIFICATE, '0123456789ABCDEF'), 'CERT')).toEqual({
      ok: false,
      reason: 'SERIAL_MISMATCH',
    });
    const otherAad = {
      data: [
        {
          serial_no: SANDBOX_PLATFORM_SERIAL,
          encrypt_certificate: await encryptResource(await importApiV3Key(V3KEY), SANDBOX_PLATFORM_CERTIFICATE, 'certnonce001', 'transaction'),
        },
      ],
    };
    expect(await judge(otherAad, 'CERT')).toEqual({ ok: false, reason: 'MALFORMED' });
    const otherKey = await certificateList('another32byteAPIv3keyForTests000');
    expect(await judge(otherKey, 'CERT')).toEqual({ ok: false, reason: 'UNDECRYPTABLE' });
  });

  it('an expired certificate cannot vouch for the list, and is never kept', async () => {
    const after = Date.parse('2036-12-05T00:00:00Z');
    expect(await judge(await certificateList(V3KEY), 'CERT', false, after)).toEqual({ ok: false, reason: 'SERIAL_UNKNOWN' });
    // Listed beside a current one (vouched for by the public key), the expired one is dropped.
    const both = {
      data: [
        ...((await certificateList(V3KEY)) as { data: unknown[] }).data,
        ...((await certificateList(V3KEY, SANDBOX_MCH_CERTIFICATE, parseCertificatePem(SANDBOX_MCH_CERTIFICATE).serial)) as { data: unknown[] }).data,
      ],
    };
    const verdict = await judge(both, 'PUBKEY', true, after);
    expect(verdict.ok && verdict.certificates).toEqual([]);
  });

  it('public-key mode: 404 RESOURCE_NOT_EXISTS from /v3/certificates is normal; an unknown serial asks at most once a minute', async () => {
    const { wechat, channel } = setup();
    wechat.on('GET /v3/certificates', { status: 404, json: { code: 'RESOURCE_NOT_EXISTS', message: '无可用的平台证书' } });
    wechat.on('POST /v3/pay/transactions/jsapi', { json: ANSWERS.JSAPI, signer: { serial: '7A7A7A7A' } });
    expect((await failure(channel.prepay(request('JSAPI')))).code).toBe('SIGN_INVALID');
    expect((await failure(channel.prepay(request('JSAPI')))).code).toBe('SIGN_INVALID');
    expect(wechat.callsTo('GET /v3/certificates')).toBe(1);
    wechat.setNow(Date.parse('2026-12-20T02:01:01Z'));
    await failure(channel.prepay(request('JSAPI')));
    expect(wechat.callsTo('GET /v3/certificates')).toBe(2);
  });

  it('the cron: due with no certificate in certificate mode, then not for 12 h, hourly once the newest expires within 24 h', async () => {
    const { wechat } = setup({ WECHAT_PAY_PUBLIC_KEY: '', WECHAT_PAY_PUBLIC_KEY_ID: '' });
    const deps = wechat.deps;
    const t0 = Date.parse('2026-12-20T02:00:00Z');
    expect(await refreshCertificatesIfDue(deps, t0)).toBe('STORED');
    expect(await refreshCertificatesIfDue(deps, t0 + 11 * 3600_000)).toBe('NOT_DUE');
    wechat.setNow(t0 + 12 * 3600_000);
    expect(await refreshCertificatesIfDue(deps, t0 + 12 * 3600_000)).toBe('STORED');
    expect(wechat.callsTo('GET /v3/certificates')).toBe(2);
    const expiry = parseCertificatePem(SANDBOX_PLATFORM_CERTIFICATE).notAfter;
    const soon = expiry - 20 * 3600_000;
    wechat.setNow(soon);
    expect(await refreshCertificatesIfDue(deps, soon)).toBe('STORED');
    expect(await refreshCertificatesIfDue(deps, soon + 30 * 60_000)).toBe('NOT_DUE');
    wechat.setNow(soon + 61 * 60_000);
    expect(await refreshCertificatesIfDue(deps, soon + 61 * 60_000)).toBe('STORED');
    // Public-key mode after the switch: WeChat answers 404, the kept certificate stays until it expires, asked at most hourly.
    const kept = setup();
    kept.wechat.on('GET /v3/certificates', { json: await certificateList(kept.config.v3!.apiV3Key) }, { status: 404, json: { code: 'RESOURCE_NOT_EXISTS' } });
    forgetPlatformKeys();
    expect(await refreshCertificatesIfDue(kept.wechat.deps, t0)).toBe('NOT_DUE'); // nothing kept yet: on demand only
    kept.wechat.store.rows.set(SANDBOX_PLATFORM_SERIAL, { ...parseCertificatePem(SANDBOX_PLATFORM_CERTIFICATE), fetchedAt: t0 - 13 * 3600_000 });
    expect(await refreshCertificatesIfDue(kept.wechat.deps, t0)).toBe('STORED');
    kept.wechat.setNow(t0 + 13 * 3600_000);
    expect(await refreshCertificatesIfDue(kept.wechat.deps, t0 + 13 * 3600_000)).toBe('NO_CERTIFICATES');
    expect(await refreshCertificatesIfDue(kept.wechat.deps, t0 + 13 * 3600_000 + 60_000)).toBe('NOT_DUE');
    expect(await refreshCertificatesIfDue(kept.wechat.deps, t0 + 14 * 3600_000 + 1)).toBe('NO_CERTIFICATES');
    // Public-key mode keeping no certificate: nothing to refresh.
    forgetPlatformKeys();
    const pub = setup();
    expect(await refreshCertificatesIfDue(pub.wechat.deps, t0)).toBe('NOT_DUE');
    expect(pub.wechat.callsTo('GET /v3/certificates')).toBe(0);
  });
});

describe('keys WebCrypto refuses', () => {
  it('a private key that passes the structural check but does not import is CONFIG_INVALID (503 / RETRY), logged by name only', async () => {
    const der = new Uint8Array(
      generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'der' },
        publicKeyEncoding: { type: 'spki', format: 'der' },
      }).privateKey,
    );
    der[26] = 0x31; // the RSAPrivateKey inside the PKCS#8 is no longer a SEQUENCE; the outer shape is intact
    const pem = derToPem(der, 'PRIVATE KEY');
    const { wechat, channel } = setup({ WECHAT_MCH_PRIVATE_KEY: pem });
    const lines: string[] = [];
    const original = console.error;
    console.error = (line: string) => lines.push(line);
    try {
      await expect(channel.prepay(request('JSAPI'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await expect(channel.payParams({ tradeType: 'JSAPI', prepayId: 'wx1' }, refOf('JSAPI'), { timeStamp: 1, nonce: 'a' })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
      });
    } finally {
      console.error = original;
    }
    expect(wechat.calls).toHaveLength(0);
    expect(lines.join('\n')).toContain('WECHAT_MCH_PRIVATE_KEY could not be imported');
    expect(lines.join('\n')).not.toContain(pem.split('\n')[1]!);
  });
});

describe('counted()', () => {
  it('counts every request sent, retries and certificate fetches included', async () => {
    const { wechat, channel } = setup({ WECHAT_PAY_PUBLIC_KEY: '', WECHAT_PAY_PUBLIC_KEY_ID: '' });
    let n = 0;
    const counted = channel.counted(() => (n += 1));
    wechat.on(
      'GET /v3/pay/transactions/out-trade-no/ATTJSAPI01',
      { status: 500, json: { code: 'SYSTEM_ERROR' } },
      {
        json: { appid: 'wxd930ea5d5a258f4f', mchid: '10000100', out_trade_no: 'ATTJSAPI01', trade_state: 'NOTPAY' },
      },
    );
    await counted.queryOrder(refOf('JSAPI'));
    expect(n).toBe(3); // 500, the certificate list, the answer
  });
});
