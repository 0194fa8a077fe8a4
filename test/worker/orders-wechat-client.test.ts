// The v2 client's judgement order (return_code → signature → result_code), error mapping, retries and
// transports, against answers signed with the sandbox key by the real core signer.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { buildXml, parseXml, signParams, verifyParams, type SignType } from '../../src/core';
import { parseConfig, type Config } from '../../src/worker/platform/config';
import { closeOrder, downloadBill, orderQuery, refund, refundQuery, unifiedOrder, WechatError, type WechatDeps } from '../../src/worker/wechat';
import type { WechatTransport } from '../../src/worker/wechat/transport';

const parsed = parseConfig(env as unknown as Record<string, unknown>);
if (!parsed.ok) throw new Error('test config invalid');
const config: Config = parsed.config;

type Answer = (req: Record<string, string>, url: string) => Promise<Response | string> | Response | string;

/** A transport recording what the client sent and answering with `answers` in turn. */
function recorder(...answers: Answer[]) {
  const calls: { url: string; fields: Record<string, string> }[] = [];
  const transport: WechatTransport = async (url, init) => {
    const fields = parseXml(String(init.body));
    calls.push({ url, fields });
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    const out = await answer(fields, url);
    return typeof out === 'string' ? new Response(out, { headers: { 'Content-Type': 'text/xml' } }) : out;
  };
  return { calls, transport };
}

async function signed(fields: Record<string, string>, signType: SignType = 'HMAC-SHA256', key = config.apiKey): Promise<string> {
  const all = { return_code: 'SUCCESS', return_msg: 'OK', appid: config.appId, mch_id: config.mchId, nonce_str: 'n0nce', result_code: 'SUCCESS', ...fields };
  return buildXml({ ...all, sign: await signParams(all, key, signType) });
}

const deps = (api: WechatTransport, cert: WechatTransport = api, extra: Partial<WechatDeps> = {}): WechatDeps => ({
  config,
  transports: { api, cert },
  sleep: async () => {},
  ...extra,
});

const uoRequest = {
  outTradeNo: 'T2026000000000001',
  description: 'Test item',
  totalFee: 1999,
  openid: 'oTESTuser000000000000000001',
  spbillCreateIp: '203.0.113.9',
  notifyUrl: 'http://127.0.0.1:8787/wechat/notify',
  timeExpire: '20260101120000',
  signType: 'HMAC-SHA256' as const,
};

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(WechatError);
    return (e as WechatError).code;
  }
  throw new Error('expected a WechatError');
}

describe('request building', () => {
  it('sends a signed unifiedorder with server-side fields only', async () => {
    const { calls, transport } = recorder(() => signed({ trade_type: 'JSAPI', prepay_id: 'wx201410272009395522657a690389285100' }));
    const result = await unifiedOrder(deps(transport), uoRequest);
    expect(result.prepayId).toBe('wx201410272009395522657a690389285100');
    expect(calls).toHaveLength(1);
    const { url, fields } = calls[0]!;
    expect(url).toBe(`${config.payBaseUrl}/pay/unifiedorder`);
    expect(fields).toMatchObject({
      appid: config.appId,
      mch_id: config.mchId,
      sign_type: 'HMAC-SHA256',
      body: 'Test item',
      out_trade_no: 'T2026000000000001',
      total_fee: '1999',
      fee_type: 'CNY',
      spbill_create_ip: '203.0.113.9',
      notify_url: 'http://127.0.0.1:8787/wechat/notify',
      trade_type: 'JSAPI',
      openid: 'oTESTuser000000000000000001',
      time_expire: '20260101120000',
    });
    expect(fields.nonce_str).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(fields.sign).toMatch(/^[0-9A-F]{64}$/);
    expect(await verifyParams(fields, config.apiKey, 'HMAC-SHA256')).toBe(true);
    expect('attach' in fields).toBe(false); // empty optional fields are not sent
  });

  it('signs MD5 requests with MD5 and accepts only MD5 answers for them', async () => {
    const { calls, transport } = recorder(() => signed({ trade_state: 'NOTPAY', out_trade_no: 'T2026000000000001' }, 'MD5'));
    const q = await orderQuery(deps(transport), 'T2026000000000001', 'MD5');
    expect(q.tradeState).toBe('NOTPAY');
    expect(calls[0]!.fields.sign).toMatch(/^[0-9A-F]{32}$/);
    expect(await verifyParams(calls[0]!.fields, config.apiKey, 'MD5')).toBe(true);
  });

  it('refuses to send a value with leading or trailing whitespace', async () => {
    const { calls, transport } = recorder(() => signed({}));
    await expect(unifiedOrder(deps(transport), { ...uoRequest, description: ' padded' })).rejects.toThrow(/whitespace/);
    expect(calls).toHaveLength(0);
  });

  it('escapes hostile text in CDATA: the outbound XML holds exactly one total_fee', async () => {
    const { calls, transport } = recorder(() => signed({ trade_type: 'JSAPI', prepay_id: 'wx1' }));
    await unifiedOrder(deps(transport), { ...uoRequest, description: ']]><total_fee>1</total_fee><![CDATA[', attach: '</attach><total_fee>1</total_fee>' });
    expect(calls[0]!.fields.total_fee).toBe('1999');
    expect(calls[0]!.fields.body).toBe(']]><total_fee>1</total_fee><![CDATA[');
  });
});

describe('answer judgement', () => {
  it('return_code=FAIL → RETURN_FAIL (unsigned, never success)', async () => {
    const { transport } = recorder(() => buildXml({ return_code: 'FAIL', return_msg: '签名错误' }));
    expect(await codeOf(unifiedOrder(deps(transport), uoRequest))).toBe('RETURN_FAIL');
  });

  it.each([
    ['signed with another key', () => signed({ trade_type: 'JSAPI', prepay_id: 'wx1' }, 'HMAC-SHA256', 'ffffffffffffffffffffffffffffffff')],
    [
      'sign missing',
      () => buildXml({ return_code: 'SUCCESS', result_code: 'SUCCESS', appid: config.appId, mch_id: config.mchId, prepay_id: 'wx1', trade_type: 'JSAPI' }),
    ],
    ['MD5 answer to an HMAC request', () => signed({ trade_type: 'JSAPI', prepay_id: 'wx1', sign_type: 'MD5' }, 'MD5')],
    ['tampered after signing', async () => (await signed({ trade_type: 'JSAPI', prepay_id: 'wx1' })).replace('wx1', 'wx2')],
  ])('%s → SIGN_INVALID, result_code never read', async (_n, answer) => {
    const { transport } = recorder(answer);
    expect(await codeOf(unifiedOrder(deps(transport), uoRequest))).toBe('SIGN_INVALID');
  });

  it('a signed answer for another merchant → PROTOCOL', async () => {
    const { transport } = recorder(() => signed({ mch_id: '1900000109', trade_type: 'JSAPI', prepay_id: 'wx1' }));
    expect(await codeOf(unifiedOrder(deps(transport), uoRequest))).toBe('PROTOCOL');
  });

  it.each([
    ['ORDERPAID', 'ORDERPAID', false],
    ['ORDERCLOSED', 'ORDERCLOSED', false],
    ['OUT_TRADE_NO_USED', 'OUT_TRADE_NO_USED', false],
    ['INVALID_REQUEST', 'INVALID_REQUEST', false],
    ['SYSTEMERROR', 'SYSTEMERROR', true],
    ['BIZERR_NEED_RETRY', 'BIZERR_NEED_RETRY', true],
    ['SIGNERROR', 'CONFIG', false],
    ['APPID_MCHID_NOT_MATCH', 'CONFIG', false],
    ['NOTENOUGH', 'NOTENOUGH', false],
    ['SOMETHING_NEW', 'BUSINESS', false],
  ])('err_code %s → %s (retryable %s)', async (errCode, code, retryable) => {
    const { transport } = recorder(() => signed({ result_code: 'FAIL', err_code: errCode, err_code_des: 'x' }));
    try {
      await unifiedOrder(deps(transport), uoRequest);
      throw new Error('expected failure');
    } catch (e) {
      expect(e).toBeInstanceOf(WechatError);
      expect((e as WechatError).code).toBe(code);
      expect((e as WechatError).retryable).toBe(retryable);
    }
  });

  it.each([
    ['HTTP 502', () => new Response('bad gateway', { status: 502 }), 'NETWORK'],
    ['HTTP 404', () => new Response('nope', { status: 404 }), 'PROTOCOL'],
    ['not XML', () => 'hello', 'PROTOCOL'],
    ['a DOCTYPE', () => '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><return_code>&x;</return_code></xml>', 'PROTOCOL'],
    ['invalid UTF-8', () => new Response(new Uint8Array([0x3c, 0x78, 0x6d, 0x6c, 0x3e, 0xff, 0x3c, 0x2f, 0x78, 0x6d, 0x6c, 0x3e])), 'PROTOCOL'],
  ])('%s → %s', async (_n, answer, code) => {
    const { transport } = recorder(answer);
    expect(await codeOf(unifiedOrder(deps(transport), uoRequest))).toBe(code);
  });

  it('a transport failure → NETWORK, outcome unknown', async () => {
    const transport: WechatTransport = async () => {
      throw new TypeError('connection reset');
    };
    try {
      await unifiedOrder(deps(transport), uoRequest);
      throw new Error('expected failure');
    } catch (e) {
      expect((e as WechatError).code).toBe('NETWORK');
      expect((e as WechatError).outcomeUnknown).toBe(true);
    }
  });

  it('no answer before the deadline → TIMEOUT', async () => {
    const transport: WechatTransport = (_url, init) =>
      new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
    expect(await codeOf(unifiedOrder(deps(transport, transport, { timeoutMs: 20 }), uoRequest))).toBe('TIMEOUT');
  });
});

describe('retries', () => {
  it('orderquery retries SYSTEMERROR with backoff, then succeeds', async () => {
    const delays: number[] = [];
    const fail = () => signed({ result_code: 'FAIL', err_code: 'SYSTEMERROR' });
    const { calls, transport } = recorder(fail, fail, () =>
      signed({
        trade_state: 'SUCCESS',
        out_trade_no: 'T1',
        transaction_id: '4200000001',
        total_fee: '1999',
        cash_fee: '1999',
        fee_type: 'CNY',
        time_end: '20260101120000',
      }),
    );
    const q = await orderQuery(deps(transport, transport, { sleep: async (ms) => void delays.push(ms) }), 'T1', 'HMAC-SHA256');
    expect(calls).toHaveLength(3);
    expect(q).toMatchObject({ tradeState: 'SUCCESS', transactionId: '4200000001', totalFee: 1999, cashFee: 1999, feeType: 'CNY' });
    expect(delays).toHaveLength(2);
    expect(delays[1]!).toBeGreaterThan(delays[0]! / 2);
  });

  it('orderquery gives up after 3 attempts', async () => {
    const { calls, transport } = recorder(() => signed({ result_code: 'FAIL', err_code: 'SYSTEMERROR' }));
    expect(await codeOf(orderQuery(deps(transport), 'T1', 'HMAC-SHA256'))).toBe('SYSTEMERROR');
    expect(calls).toHaveLength(3);
  });

  it('orderquery does not retry a definitive error', async () => {
    const { calls, transport } = recorder(() => signed({ result_code: 'FAIL', err_code: 'ORDERNOTEXIST' }));
    expect(await codeOf(orderQuery(deps(transport), 'T1', 'HMAC-SHA256'))).toBe('ORDERNOTEXIST');
    expect(calls).toHaveLength(1);
  });

  it('unifiedorder, closeorder and refund are never retried blindly', async () => {
    const { calls, transport } = recorder(() => signed({ result_code: 'FAIL', err_code: 'SYSTEMERROR' }));
    await codeOf(unifiedOrder(deps(transport), uoRequest));
    await codeOf(closeOrder(deps(transport), 'T1', 'HMAC-SHA256'));
    await codeOf(refund(deps(transport), { outTradeNo: 'T1', outRefundNo: 'R1', totalFee: 1999, refundFee: 1, signType: 'HMAC-SHA256' }));
    expect(calls).toHaveLength(3);
  });

  it('an orderquery answer for another order → PROTOCOL', async () => {
    const { transport } = recorder(() => signed({ trade_state: 'SUCCESS', out_trade_no: 'OTHER1' }));
    expect(await codeOf(orderQuery(deps(transport), 'T1', 'HMAC-SHA256'))).toBe('PROTOCOL');
  });
});

describe('refunds and bills', () => {
  it('refund goes through the certificate transport only', async () => {
    const api = recorder(() => signed({}));
    const cert = recorder(() =>
      signed({ out_trade_no: 'T1', out_refund_no: 'R1', refund_id: '50000001', refund_fee: '100', total_fee: '1999', cash_fee: '1999', refund_channel: '' }),
    );
    const accepted = await refund(deps(api.transport, cert.transport), {
      outTradeNo: 'T1',
      outRefundNo: 'R1',
      totalFee: 1999,
      refundFee: 100,
      signType: 'HMAC-SHA256',
    });
    expect(accepted).toMatchObject({ refundId: '50000001', refundFee: 100 });
    expect(api.calls).toHaveLength(0);
    expect(cert.calls[0]!.url).toBe(`${config.payBaseUrl}/secapi/pay/refund`);
    expect(cert.calls[0]!.fields).toMatchObject({ out_refund_no: 'R1', total_fee: '1999', refund_fee: '100' });
  });

  it('refundquery reads the numbered refund fields', async () => {
    const { transport } = recorder(() =>
      signed({
        out_trade_no: 'T1',
        total_fee: '1999',
        refund_count: '2',
        out_refund_no_0: 'R1',
        refund_fee_0: '100',
        refund_status_0: 'SUCCESS',
        out_refund_no_1: 'R2',
        refund_fee_1: '200',
        refund_status_1: 'PROCESSING',
      }),
    );
    const r = await refundQuery(deps(transport), 'R1', 'HMAC-SHA256');
    expect(r.refunds).toEqual([
      { outRefundNo: 'R1', refundId: undefined, refundFee: 100, status: 'SUCCESS', successTime: undefined },
      { outRefundNo: 'R2', refundId: undefined, refundFee: 200, status: 'PROCESSING', successTime: undefined },
    ]);
  });

  it('downloadbill: text and gzip bodies are returned; "No Bill Exist" is a normal answer; other errors are typed', async () => {
    const bill = '\uFEFF交易时间,公众账号ID\r\n`2026-01-01 12:00:00,`wx\r\n';
    const gz = new Uint8Array(await new Response(new Blob([new TextEncoder().encode(bill)]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
    const text = recorder(() => new Response(bill, { headers: { 'Content-Type': 'text/plain' } }));
    // The UTF-8 decoder drops a leading BOM.
    expect(await downloadBill(deps(text.transport), '20260101', 'ALL', 'HMAC-SHA256')).toEqual({ kind: 'BILL', text: bill.slice(1) });
    expect(text.calls[0]!.fields).toMatchObject({ bill_date: '20260101', bill_type: 'ALL' });
    const zipped = recorder(() => new Response(gz));
    expect(await downloadBill(deps(zipped.transport), '20260101', 'ALL', 'HMAC-SHA256', true)).toEqual({ kind: 'BILL', text: bill.slice(1) });
    expect(zipped.calls[0]!.fields.tar_type).toBe('GZIP');
    const none = recorder(
      () => new Response(buildXml({ return_code: 'FAIL', return_msg: 'No Bill Exist', error_code: '20002' }), { headers: { 'Content-Type': 'text/plain' } }),
    );
    expect(await downloadBill(deps(none.transport), '20260101', 'ALL', 'HMAC-SHA256')).toEqual({ kind: 'NO_BILL' });
    const bad = recorder(() => buildXml({ return_code: 'FAIL', return_msg: 'invalid bill_date', error_code: '20001' }));
    expect(await codeOf(downloadBill(deps(bad.transport), '20260101', 'ALL', 'HMAC-SHA256'))).toBe('RETURN_FAIL');
  });
});
