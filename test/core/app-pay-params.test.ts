// The APP PayReq parameters (wechatpay-v3.md §9.4): the v2 sign over exactly the six lower-case fields,
// under the order's sign type, checked against a hand-built canonical string and an independent digest.
import { describe, expect, it } from 'vitest';
import { APP_PAY_PACKAGE, appPayParams, bytesToHex, verifyParams, type SignType } from '../../src/core';

const KEY = '192006250b4c09247ec02edce69f6a2d'; // the official 安全规范 example key
const SIGNER = { appId: 'wx5a4db0c0de000002', mchId: '10000100', key: KEY };
const PREPAY = 'wx201410272009395522657a690389285100';

// The independent oracle: node:crypto under Node, WebCrypto (MD5 and HMAC) inside workerd.
const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
const inWorkerd = nav?.userAgent === 'Cloudflare-Workers';

async function oracle(message: string, signType: SignType): Promise<string> {
  const enc = new TextEncoder();
  if (signType === 'HMAC-SHA256') {
    const k = await crypto.subtle.importKey('raw', enc.encode(KEY), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return bytesToHex(new Uint8Array(await crypto.subtle.sign('HMAC', k, enc.encode(message)))).toUpperCase();
  }
  if (inWorkerd) return bytesToHex(new Uint8Array(await crypto.subtle.digest('MD5', enc.encode(message)))).toUpperCase();
  const { createHash } = await import('node:crypto');
  return createHash('md5').update(message, 'utf8').digest('hex').toUpperCase();
}

describe('appPayParams (wechatpay-v3.md §9.4)', () => {
  it.each(['MD5', 'HMAC-SHA256'] as const)('%s: signs appid, noncestr, package, partnerid, prepayid, timestamp in ASCII order', async (signType) => {
    const p = await appPayParams(PREPAY, { ...SIGNER, signType }, '1414587457', 'abc123XYZ');
    expect(p).toEqual({
      appid: SIGNER.appId,
      partnerid: '10000100',
      prepayid: PREPAY,
      package: 'Sign=WXPay',
      noncestr: 'abc123XYZ',
      timestamp: '1414587457',
      sign: expect.any(String),
    });
    expect(Object.keys(p).sort()).toEqual(['appid', 'noncestr', 'package', 'partnerid', 'prepayid', 'sign', 'timestamp']);
    const signed = `appid=${SIGNER.appId}&noncestr=abc123XYZ&package=Sign=WXPay&partnerid=10000100&prepayid=${PREPAY}&timestamp=1414587457&key=${KEY}`;
    expect(p.sign).toBe(await oracle(signed, signType));
    expect(p.sign).toHaveLength(signType === 'MD5' ? 32 : 64);
    expect(p.package).toBe(APP_PAY_PACKAGE);
    // No signType field is signed or returned: the six fields only.
    const { sign, ...six } = p;
    expect(await verifyParams({ ...six, sign }, KEY, signType)).toBe(true);
    expect(await verifyParams({ ...six, timestamp: '1414587458', sign }, KEY, signType)).toBe(false);
  });

  it('a number timestamp becomes a string', async () => {
    expect((await appPayParams(PREPAY, { ...SIGNER, signType: 'MD5' }, 1414587457, 'n1')).timestamp).toBe('1414587457');
  });

  it('refuses invalid arguments', async () => {
    const signer = { ...SIGNER, signType: 'MD5' as const };
    const bad: [string, unknown[]][] = [
      ['empty prepay_id', ['', signer, '1414587457', 'n1']],
      ['appId with a space', [PREPAY, { ...signer, appId: 'wx 1' }, '1414587457', 'n1']],
      ['empty mchId', [PREPAY, { ...signer, mchId: '' }, '1414587457', 'n1']],
      ['millisecond timestamp', [PREPAY, signer, '1414587457000', 'n1']],
      ['fractional timestamp', [PREPAY, signer, 1414587457.5, 'n1']],
      ['33-char noncestr', [PREPAY, signer, '1414587457', 'a'.repeat(33)]],
      ['unknown signType', [PREPAY, { ...signer, signType: 'SHA1' }, '1414587457', 'n1']],
    ];
    for (const [label, args] of bad) {
      await expect((appPayParams as (...a: unknown[]) => Promise<unknown>)(...args), label).rejects.toThrow(RangeError);
    }
  });
});
