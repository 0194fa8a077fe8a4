import { describe, expect, it } from 'vitest';
import { jsapiPayParams, signParams, verifyParams, type SignType } from '../../src/core';
import vectors from '../vectors/vectors.json';

const PAY_VECTORS = vectors.jsapi_paysign;
const [V3, V4] = PAY_VECTORS as [(typeof PAY_VECTORS)[0], (typeof PAY_VECTORS)[0]];

function prepayIdOf(pkg: string): string {
  expect(pkg.startsWith('prepay_id=')).toBe(true);
  return pkg.slice('prepay_id='.length);
}

describe('jsapiPayParams (docs/wechatpay-v2.md §7)', () => {
  it.each(PAY_VECTORS)('$id ($algo): reproduces the official paySign', async (v) => {
    const signType = v.algo as SignType;
    const params = await jsapiPayParams(prepayIdOf(v.params.package), { appId: v.params.appId, key: v.key, signType }, v.params.timeStamp, v.params.nonceStr);
    expect(params).toEqual({ ...v.params, paySign: v.expected_paySign });
    expect(Object.keys(params).sort()).toEqual(['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
    for (const value of Object.values(params)) expect(typeof value).toBe('string');
  });

  it('V4 non-matching variant: HMAC over the string with signType=MD5 is not the published value', async () => {
    const variant = V4.non_matching_variant!;
    const withMd5Inside = { ...V3.params }; // signType=MD5 left in the signed fields
    const hmac = await signParams(withMd5Inside, V4.key, 'HMAC-SHA256');
    expect(hmac).toBe(variant.hmac_sha256);
    expect(hmac).not.toBe(V4.expected_paySign);
  });

  it('paySign verifies with the same signer (as field `sign`), and a number timeStamp becomes a string', async () => {
    const p = await jsapiPayParams(
      'wx201410272009395522657a690389285100',
      { appId: 'wxd930ea5d5a258f4f', key: V3.key, signType: 'HMAC-SHA256' },
      1414587457,
      'abc123',
    );
    expect(p.timeStamp).toBe('1414587457');
    expect(p.package).toBe('prepay_id=wx201410272009395522657a690389285100');
    const { paySign, ...signed } = p;
    expect(paySign).toMatch(/^[0-9A-F]{64}$/);
    expect(await verifyParams({ ...signed, sign: paySign }, V3.key, 'HMAC-SHA256')).toBe(true);
    expect(await verifyParams({ ...signed, timeStamp: '1414587458', sign: paySign }, V3.key, 'HMAC-SHA256')).toBe(false);
  });

  it('the mini-program paySign (wx.requestPayment, docs/wechatpay-v2.md §23.3) is the same function under the mini-program appid', async () => {
    const signer = { key: V3.key, signType: 'MD5' as const };
    const mp = await jsapiPayParams('wx2611334392677180ea59742b3744840000', { ...signer, appId: 'wxd930ea5d5a258f4f' }, 1774495197, 'RIPb5Upk3ku7knU6');
    const mini = await jsapiPayParams('wx2611334392677180ea59742b3744840000', { ...signer, appId: 'wx5a4db0c0de000001' }, 1774495197, 'RIPb5Upk3ku7knU6');
    expect(mini.appId).toBe('wx5a4db0c0de000001');
    // The appid is signed: the same prepay under another appid has another paySign.
    expect(mini.paySign).not.toBe(mp.paySign);
    const { paySign, ...signed } = mini;
    expect(await verifyParams({ ...signed, sign: paySign }, V3.key, 'MD5')).toBe(true);
  });

  it('refuses invalid arguments (never emits whitespace, ms timestamps or long nonces)', async () => {
    const signer = { appId: V3.params.appId, key: V3.key, signType: 'MD5' as const };
    const ok = ['wx26113343', signer, '1774495197', 'RIPb5Upk3ku7knU6'] as const;
    const bad: [string, unknown[]][] = [
      ['empty prepay_id', ['', signer, ok[2], ok[3]]],
      ['prepay_id with a space', ['wx 1', signer, ok[2], ok[3]]],
      ['appId with trailing whitespace', [ok[0], { ...signer, appId: 'wx1 ' }, ok[2], ok[3]]],
      ['millisecond timeStamp', [ok[0], signer, '1774495197000', ok[3]]],
      ['non-numeric timeStamp', [ok[0], signer, '17744x5197', ok[3]]],
      ['fractional timeStamp', [ok[0], signer, 1774495197.5, ok[3]]],
      ['33-char nonceStr', [ok[0], signer, ok[2], 'a'.repeat(33)]],
      ['empty nonceStr', [ok[0], signer, ok[2], '']],
      ['unknown signType', [ok[0], { ...signer, signType: 'SHA1' }, ok[2], ok[3]]],
    ];
    for (const [label, args] of bad) {
      await expect((jsapiPayParams as (...a: unknown[]) => Promise<unknown>)(...args), label).rejects.toThrow(RangeError);
    }
    await expect(jsapiPayParams(...ok)).resolves.toMatchObject({ signType: 'MD5' });
  });
});
