// The APP PayReq builder (src/core/app-pay-params.ts): its sign recomputed by independent oracles from
// the literal string to sign (js-md5; WebCrypto HMAC, which Node and workerd both have), not by the
// core's own canonicalisation. WeChat publishes no APP sign example with its key, so there is no vector.
import { md5 } from 'js-md5';
import { describe, expect, it } from 'vitest';
import { appPayParams, bytesToHex, verifyParams, type SignType } from '../../src/core';
import vectors from '../vectors/vectors.json';

// The official v2 example key and merchant (vectors.json v2_sign V1: wechatpay-v2.md §3).
const KEY = vectors.v2_sign[0]!.key;
const APPID = 'wxd930ea5d5a258f4f';
const MCH_ID = '10000100';
const PREPAY_ID = 'wx201410272009395522657a690389285100';

async function hmacHexUpper(key: string, text: string): Promise<string> {
  const k = await crypto.subtle.importKey('raw', new TextEncoder().encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return bytesToHex(new Uint8Array(await crypto.subtle.sign('HMAC', k, new TextEncoder().encode(text)))).toUpperCase();
}

/** The six fields in byte order of their names, then `&key=` (wechatpay-v2.md §3.1), written out by hand. */
const stringToSign = (appid: string, noncestr: string, timestamp: string) =>
  `appid=${appid}&noncestr=${noncestr}&package=Sign=WXPay&partnerid=${MCH_ID}&prepayid=${PREPAY_ID}&timestamp=${timestamp}&key=${KEY}`;

describe('appPayParams (docs/wechatpay-v2.md §23.4)', () => {
  it.each<[SignType, (s: string) => Promise<string> | string]>([
    ['MD5', (s) => md5(s).toUpperCase()],
    ['HMAC-SHA256', (s) => hmacHexUpper(KEY, s)],
  ])('%s: the seven PayReq fields, sign over the six lower-case others equal to an independent oracle', async (signType, oracle) => {
    const p = await appPayParams(PREPAY_ID, { appId: APPID, mchId: MCH_ID, key: KEY, signType }, 1414587457, 'abc123XYZ');
    expect(p).toEqual({
      appid: APPID,
      partnerid: MCH_ID,
      prepayid: PREPAY_ID,
      package: 'Sign=WXPay',
      noncestr: 'abc123XYZ',
      timestamp: '1414587457',
      sign: await oracle(stringToSign(APPID, 'abc123XYZ', '1414587457')),
    });
    expect(Object.keys(p).sort()).toEqual(['appid', 'noncestr', 'package', 'partnerid', 'prepayid', 'sign', 'timestamp']);
    for (const value of Object.values(p)) expect(typeof value).toBe('string');
    const { sign, ...signed } = p;
    expect(await verifyParams({ ...signed, sign }, KEY, signType)).toBe(true);
  });

  it('the appid is signed: the same prepay under another appid gives another sign', async () => {
    const signer = { mchId: MCH_ID, key: KEY, signType: 'HMAC-SHA256' as const };
    const a = await appPayParams(PREPAY_ID, { ...signer, appId: APPID }, '1414587457', 'n1');
    const b = await appPayParams(PREPAY_ID, { ...signer, appId: 'wx0000000000000002' }, '1414587457', 'n1');
    expect(b.sign).toBe(await hmacHexUpper(KEY, stringToSign('wx0000000000000002', 'n1', '1414587457')));
    expect(b.sign).not.toBe(a.sign);
  });

  it('refuses invalid arguments (never emits whitespace, ms timestamps or long nonces)', async () => {
    const signer = { appId: APPID, mchId: MCH_ID, key: KEY, signType: 'MD5' as const };
    const bad: [string, unknown[]][] = [
      ['empty prepay_id', ['', signer, '1414587457', 'n1']],
      ['prepay_id with a space', ['wx 1', signer, '1414587457', 'n1']],
      ['appid with trailing whitespace', [PREPAY_ID, { ...signer, appId: 'wx1 ' }, '1414587457', 'n1']],
      ['empty mch_id', [PREPAY_ID, { ...signer, mchId: '' }, '1414587457', 'n1']],
      ['millisecond timestamp', [PREPAY_ID, signer, '1414587457000', 'n1']],
      ['fractional timestamp', [PREPAY_ID, signer, 1414587457.5, 'n1']],
      ['33-char noncestr', [PREPAY_ID, signer, '1414587457', 'a'.repeat(33)]],
      ['unknown sign type', [PREPAY_ID, { ...signer, signType: 'RSA' }, '1414587457', 'n1']],
    ];
    for (const [label, args] of bad) {
      await expect((appPayParams as (...a: unknown[]) => Promise<unknown>)(...args), label).rejects.toThrow(RangeError);
    }
  });
});
