import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  canonicalString,
  constantTimeEqual,
  hexToBytes,
  isSignType,
  md5Hex,
  parseXml,
  SIGN_TYPES,
  signParams,
  verifyParams,
  verifySignedMessage,
  type SignType,
} from '../../src/core';
import payloads from '../vectors/xml-payloads.json';
import vectors from '../vectors/vectors.json';

const KEY = '192006250b4c09247ec02edce69f6a2d'; // the official 安全规范 example key (vectors V1/V2)
const OTHER_KEY = 'ObviouslyFakeKey0000000000000000';
const [V1, V2] = vectors.v2_sign as [(typeof vectors.v2_sign)[0], (typeof vectors.v2_sign)[0]];

/** Independent HMAC over a hand-built string (WebCrypto directly, not the signer under test). */
async function hmacUpper(message: string, key: string): Promise<string> {
  const enc = new TextEncoder();
  const k = await crypto.subtle.importKey('raw', enc.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return bytesToHex(new Uint8Array(await crypto.subtle.sign('HMAC', k, enc.encode(message)))).toUpperCase();
}

function stripKey(stringSignTemp: string): string {
  return stringSignTemp.slice(0, stringSignTemp.lastIndexOf('&key='));
}

describe('official signature vectors (V1 MD5, V2 HMAC-SHA256)', () => {
  it.each([V1, V2])('$id: canonical string, sign, verify', async (v) => {
    expect(canonicalString(v.params)).toBe(stripKey(v.string_sign_temp));
    const signType = v.algo as SignType;
    expect(await signParams(v.params, v.key, signType)).toBe(v.expected_sign);
    const signed = { ...v.params, sign: v.expected_sign };
    expect(await verifyParams(signed, v.key, signType)).toBe(true);
    expect(await verifyParams(signed, OTHER_KEY, signType)).toBe(false);
    const verdict = await verifySignedMessage(signed, v.key, [signType]);
    expect(verdict).toEqual({ ok: true, signType, trimmedReading: false, signedFields: expect.any(Object) });
    expect(verdict.ok && canonicalString(verdict.signedFields)).toBe(stripKey(v.string_sign_temp));
  });

  it('the MD5 sign is the uppercase md5Hex of stringSignTemp', () => {
    expect(md5Hex(V1.string_sign_temp).toUpperCase()).toBe(V1.expected_sign);
  });
});

describe('fixture signatures (xml-payloads.json, signed over expected_fields)', () => {
  const signedPayloads = payloads.payloads.filter((p) => p.signing);
  it.each(signedPayloads.map((p) => [p.id, p] as const))('%s', async (_id, p) => {
    const { key, sign_type, expected_sign } = p.signing!;
    const signType = sign_type as SignType;
    const fields = p.expected_fields as unknown as Record<string, string>;
    expect(await signParams(fields, key, signType)).toBe(expected_sign);
    const resigned = { ...fields, sign: expected_sign };
    expect(await verifySignedMessage(resigned, key, [signType])).toMatchObject({ ok: true, signType, trimmedReading: false });
    const raw = await verifySignedMessage(fields, key, [signType]);
    expect(raw.ok).toBe(p.raw_sign_valid_under_key);
  });

  it('parse then verify: the re-signed official notify verifies, and fails once total_fee is altered', async () => {
    const p = payloads.payloads.find((x) => x.id === 'notify-success-official-doc')!;
    const fields = parseXml(p.resigned_xml!);
    expect(await verifySignedMessage(fields, p.signing!.key, ['MD5'])).toMatchObject({ ok: true, signType: 'MD5', trimmedReading: false });
    const tampered = parseXml(p.resigned_xml!.replace('<total_fee>1</total_fee>', '<total_fee>1999</total_fee>'));
    expect(tampered.total_fee).toBe('1999');
    expect(await verifySignedMessage(tampered, p.signing!.key, ['MD5'])).toEqual({ ok: false, reason: 'SIGN_MISMATCH' });
  });
});

describe('canonicalString', () => {
  it('skips empty, null and undefined values and the sign field; keeps unknown fields', () => {
    const s = canonicalString({
      appid: 'wx1',
      device_info: '',
      attach: null,
      detail: undefined,
      sign: 'ABC',
      zz_new_field_from_wechat: 'kept',
      total_fee: 1999,
    });
    expect(s).toBe('appid=wx1&total_fee=1999&zz_new_field_from_wechat=kept');
  });

  it('sorts by byte order: case-sensitive, uppercase first, _ between Z and a', () => {
    expect(canonicalString({ alpha: '1', Zeta: '2', ab: '3', a_b: '4', B: '5', a: '6' })).toBe('B=5&Zeta=2&a=6&a_b=4&ab=3&alpha=1');
  });

  it('orders non-ASCII names by UTF-8 bytes (code points), not UTF-16 code units', () => {
    // U+E000 is EE 80 80 in UTF-8 and U+1F600 is F0 9F 98 80, so U+E000 sorts first; UTF-16 code
    // units (0xE000 vs 0xD83D) would put the emoji first.
    expect(canonicalString({ '\u{1F600}': 'e', '\uE000': 'p', z: 'a' })).toBe('z=a&\uE000=p&\u{1F600}=e');
    expect(canonicalString({ é: '1', e: '2', ea: '3' })).toBe('e=2&ea=3&é=1');
  });

  it('keeps values raw: no escaping, no trimming; & = < ]]> and whitespace pass through', () => {
    expect(canonicalString({ attach: 'a&b=c<d>]]>e', body: ' 支付 🎉 ', detail: '\t' })).toBe('attach=a&b=c<d>]]>e&body= 支付 🎉 &detail=\t');
  });

  it('an empty field set signs "key=…" as the official SDK does', async () => {
    expect(canonicalString({ sign: 'X', a: '' })).toBe('');
    expect(await signParams({}, KEY, 'MD5')).toBe(md5Hex('key=' + KEY).toUpperCase());
  });
});

describe('signParams', () => {
  const fields = { appid: 'wx1', body: '支付测试🎉', attach: 'x&y=z<]]>', nonce_str: 'n1', total_fee: 1 };
  const plain = 'appid=wx1&attach=x&y=z<]]>&body=支付测试🎉&nonce_str=n1&total_fee=1&key=' + KEY;

  it('MD5 over UTF-8 (Chinese, emoji, markup characters), uppercase', async () => {
    expect(await signParams(fields, KEY, 'MD5')).toBe(md5Hex(plain).toUpperCase());
    expect(md5Hex(plain)).toBe(md5Hex(new TextEncoder().encode(plain)));
  });

  it('HMAC-SHA256 keyed with the API key, over the string that still ends with &key=', async () => {
    expect(await signParams(fields, KEY, 'HMAC-SHA256')).toBe(await hmacUpper(plain, KEY));
  });

  it('gives the same HMAC when many keys go through the key cache', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `FakeKey${String(i).padStart(25, '0')}`);
    for (const round of [0, 1]) {
      for (const k of keys) expect(await signParams(fields, k, 'HMAC-SHA256'), `round ${round}`).toBe(await hmacUpper(plain.replace(KEY, k), k));
    }
  });

  it('refuses a missing key or an unknown algorithm', async () => {
    await expect(signParams(fields, '', 'MD5')).rejects.toThrow(TypeError);
    await expect(signParams(fields, KEY, 'SHA1' as SignType)).rejects.toThrow(TypeError);
  });

  it('SIGN_TYPES lists exactly the two algorithms; isSignType is exact and case-sensitive', () => {
    expect([...SIGN_TYPES]).toEqual(['MD5', 'HMAC-SHA256']);
    expect(SIGN_TYPES.map(isSignType)).toEqual([true, true]);
    for (const v of ['md5', 'HMAC_SHA256', 'SHA1', 'MD5 ', '', null, 5]) expect(isSignType(v), String(v)).toBe(false);
  });
});

describe('verifyParams (fail closed, never throws)', () => {
  const base = { ...V1.params };

  it('accepts a lowercase sign (normalised to uppercase)', async () => {
    expect(await verifyParams({ ...base, sign: V1.expected_sign.toLowerCase() }, KEY, 'MD5')).toBe(true);
    expect(await verifyParams({ ...base, sign: V2.expected_sign.toLowerCase() }, KEY, 'HMAC-SHA256')).toBe(true);
  });

  it('rejects every bad sign', async () => {
    const flipped = (V1.expected_sign[0] === 'A' ? 'B' : 'A') + V1.expected_sign.slice(1);
    for (const sign of [
      undefined,
      null,
      '',
      flipped,
      V1.expected_sign.slice(0, 31),
      V1.expected_sign + '0',
      'Z'.repeat(32),
      ' ' + V1.expected_sign.slice(1),
      12345,
    ]) {
      expect(await verifyParams({ ...base, sign } as never, KEY, 'MD5'), String(sign)).toBe(false);
    }
    // The right sign under the wrong algorithm: wrong length for HMAC.
    expect(await verifyParams({ ...base, sign: V1.expected_sign }, KEY, 'HMAC-SHA256')).toBe(false);
  });

  it('rejects a tampered or extra field', async () => {
    expect(await verifyParams({ ...base, body: 'test2', sign: V1.expected_sign }, KEY, 'MD5')).toBe(false);
    expect(await verifyParams({ ...base, extra: 'x', sign: V1.expected_sign }, KEY, 'MD5')).toBe(false);
    // Empty extra fields are not signed, so they do not break the signature.
    expect(await verifyParams({ ...base, extra: '', sign: V1.expected_sign }, KEY, 'MD5')).toBe(true);
  });

  it('returns false without throwing on weird input', async () => {
    const weird: unknown[] = [
      null,
      undefined,
      'xml',
      42,
      [],
      { ...base, sign: V1.expected_sign, body: { toString: () => 'test' } },
      { ...base, sign: V1.expected_sign, body: true },
      { ...base, sign: V1.expected_sign, body: Symbol('x') },
      { ...base, sign: V1.expected_sign, body: ['test'] },
      {
        sign: V1.expected_sign,
        get body(): string {
          throw new Error('boom');
        },
      },
    ];
    for (const params of weird) expect(await verifyParams(params as never, KEY, 'MD5')).toBe(false);
    expect(await verifyParams({ ...base, sign: V1.expected_sign }, '', 'MD5')).toBe(false);
    expect(await verifyParams({ ...base, sign: V1.expected_sign }, 42 as never, 'MD5')).toBe(false);
    expect(await verifyParams({ ...base, sign: V1.expected_sign }, KEY, 'md5' as SignType)).toBe(false);
  });
});

describe('verifySignedMessage: the algorithm rule (docs/wechatpay-v2.md §3.4, docs/reliability.md T07)', () => {
  const md5Signed = async (extra: Record<string, string> = {}) => {
    const f = { ...V1.params, ...extra };
    return { ...f, sign: await signParams(f, KEY, 'MD5') };
  };
  const hmacSigned = async (extra: Record<string, string> = {}) => {
    const f = { ...V1.params, ...extra };
    return { ...f, sign: await signParams(f, KEY, 'HMAC-SHA256') };
  };
  const ok = (signType: SignType) => ({ ok: true, signType, trimmedReading: false, signedFields: expect.any(Object) });
  const no = (reason: string) => ({ ok: false, reason });

  it('allowlist {MD5}: absent sign_type + 32-char sign → MD5; sign_type=MD5 → MD5; HMAC → refused', async () => {
    expect(await verifySignedMessage(await md5Signed(), KEY, ['MD5'])).toEqual(ok('MD5'));
    expect(await verifySignedMessage(await md5Signed({ sign_type: 'MD5' }), KEY, ['MD5'])).toEqual(ok('MD5'));
    expect(await verifySignedMessage(await hmacSigned({ sign_type: 'HMAC-SHA256' }), KEY, ['MD5'])).toEqual(no('SIGN_TYPE_NOT_ALLOWED'));
    expect(await verifySignedMessage(await hmacSigned(), KEY, ['MD5'])).toEqual(no('SIGN_TYPE_NOT_ALLOWED'));
  });

  it('allowlist {HMAC-SHA256}: an HMAC notify without sign_type verifies; sign_type=MD5 is refused', async () => {
    expect(await verifySignedMessage(await hmacSigned(), KEY, ['HMAC-SHA256'])).toEqual(ok('HMAC-SHA256'));
    expect(await verifySignedMessage(await hmacSigned({ sign_type: 'HMAC-SHA256' }), KEY, ['HMAC-SHA256'])).toEqual(ok('HMAC-SHA256'));
    expect(await verifySignedMessage(await md5Signed({ sign_type: 'MD5' }), KEY, ['HMAC-SHA256'])).toEqual(no('SIGN_TYPE_NOT_ALLOWED'));
    expect(await verifySignedMessage(await md5Signed(), KEY, ['HMAC-SHA256'])).toEqual(no('SIGN_TYPE_NOT_ALLOWED'));
  });

  it('migration allowlist {MD5, HMAC-SHA256}: each verifies under its own algorithm', async () => {
    const both: SignType[] = ['MD5', 'HMAC-SHA256'];
    expect(await verifySignedMessage(await md5Signed(), KEY, both)).toEqual(ok('MD5'));
    expect(await verifySignedMessage(await hmacSigned(), KEY, both)).toEqual(ok('HMAC-SHA256'));
    expect(await verifySignedMessage(await hmacSigned({ sign_type: 'HMAC-SHA256' }), KEY, both)).toEqual(ok('HMAC-SHA256'));
  });

  it('sign_type values other than exactly MD5 / HMAC-SHA256 are refused, even when the sign is right', async () => {
    for (const sign_type of ['SHA1', 'hmac-sha256', 'md5', 'MD5 ', ' MD5', 'HMAC_SHA256', '']) {
      const msg = await md5Signed({ sign_type });
      expect(await verifySignedMessage(msg, KEY, ['MD5', 'HMAC-SHA256']), JSON.stringify(sign_type)).toEqual(no('SIGN_TYPE_NOT_ALLOWED'));
    }
  });

  it('the sign must be 32/64 hex digits matching the chosen algorithm', async () => {
    const md5Msg = await md5Signed({ sign_type: 'HMAC-SHA256' }); // 32-char sign, sign_type says HMAC
    expect(await verifySignedMessage(md5Msg, KEY, ['HMAC-SHA256'])).toEqual(no('SIGN_FORMAT'));
    const hmacMsg = await hmacSigned({ sign_type: 'MD5' }); // 64-char sign, sign_type says MD5
    expect(await verifySignedMessage(hmacMsg, KEY, ['MD5'])).toEqual(no('SIGN_FORMAT'));
    const good = await md5Signed();
    for (const sign of [good.sign.slice(0, 31), good.sign + 'A', 'A'.repeat(40), 'G'.repeat(32), good.sign.slice(0, 31) + 'z', good.sign.slice(1) + ' ']) {
      expect(await verifySignedMessage({ ...good, sign }, KEY, ['MD5']), sign).toEqual(no('SIGN_FORMAT'));
    }
  });

  it('accepts a lowercase sign; rejects a wrong value, a tampered field, another key', async () => {
    const good = await md5Signed();
    expect(await verifySignedMessage({ ...good, sign: good.sign.toLowerCase() }, KEY, ['MD5'])).toEqual(ok('MD5'));
    const flipped = good.sign[31] === '0' ? '1' : '0';
    expect(await verifySignedMessage({ ...good, sign: good.sign.slice(0, 31) + flipped }, KEY, ['MD5'])).toEqual(no('SIGN_MISMATCH'));
    expect(await verifySignedMessage({ ...good, body: 'tampered' }, KEY, ['MD5'])).toEqual(no('SIGN_MISMATCH'));
    expect(await verifySignedMessage({ ...good, unknown_extra: 'x' }, KEY, ['MD5'])).toEqual(no('SIGN_MISMATCH'));
    expect(await verifySignedMessage(good, OTHER_KEY, ['MD5'])).toEqual(no('SIGN_MISMATCH'));
    expect(await verifySignedMessage(good, '', ['MD5'])).toEqual(no('SIGN_MISMATCH'));
  });

  it('missing or empty sign → SIGN_MISSING; an empty allowlist refuses everything', async () => {
    const good = await md5Signed();
    const { sign: _omit, ...unsigned } = good;
    expect(await verifySignedMessage(unsigned, KEY, ['MD5'])).toEqual(no('SIGN_MISSING'));
    expect(await verifySignedMessage({ ...good, sign: '' }, KEY, ['MD5'])).toEqual(no('SIGN_MISSING'));
    expect(await verifySignedMessage(good, KEY, [])).toEqual(no('SIGN_TYPE_NOT_ALLOWED'));
    expect(await verifySignedMessage(good, KEY, ['md5' as SignType])).toEqual(no('SIGN_TYPE_NOT_ALLOWED'));
  });

  it('never throws on weird input', async () => {
    const good = await md5Signed();
    expect(await verifySignedMessage(null as never, KEY, ['MD5'])).toEqual(no('SIGN_MISSING'));
    expect(await verifySignedMessage({ ...good, sign: 123 }, KEY, ['MD5'])).toEqual(no('SIGN_FORMAT'));
    expect(await verifySignedMessage({ ...good, body: { a: 1 } }, KEY, ['MD5'])).toEqual(no('SIGN_FORMAT'));
    expect(await verifySignedMessage({ ...good, sign_type: 5 }, KEY, ['MD5'])).toEqual(no('SIGN_TYPE_NOT_ALLOWED'));
    expect(await verifySignedMessage(good, KEY, null as never)).toEqual(no('SIGN_TYPE_NOT_ALLOWED'));
    expect(await verifySignedMessage(good, undefined as never, ['MD5'])).toEqual(no('SIGN_MISMATCH'));
    const throwing = {
      ...good,
      get body(): string {
        throw new Error('boom');
      },
    };
    expect((await verifySignedMessage(throwing, KEY, ['MD5'])).ok).toBe(false);
  });
});

describe('verifySignedMessage: the inbound Java-trim fallback (docs/wechatpay-v2.md §3.3)', () => {
  // Signed the way the official Java SDK signs: each value trimmed (chars <= U+0020), empty skipped.
  const fields = { appid: 'wx1', attach: ' 支付 ', device_info: ' \t ', nonce_str: 'n1\r\n', total_fee: '1' };
  const javaString = 'appid=wx1&attach=支付&nonce_str=n1&total_fee=1&key=' + KEY;
  const rawString = 'appid=wx1&attach= 支付 &device_info= \t &nonce_str=n1\r\n&total_fee=1&key=' + KEY;
  const trimmedFields = { appid: 'wx1', attach: '支付', nonce_str: 'n1', total_fee: '1' };

  it('verifies under the trimmed reading only after the raw reading fails, and says so', async () => {
    const sign = md5Hex(javaString).toUpperCase();
    expect(await verifySignedMessage({ ...fields, sign }, KEY, ['MD5'])).toEqual({
      ok: true,
      signType: 'MD5',
      trimmedReading: true,
      signedFields: trimmedFields,
    });
    const hsign = await hmacUpper(javaString, KEY);
    expect(await verifySignedMessage({ ...fields, sign: hsign }, KEY, ['HMAC-SHA256'])).toEqual({
      ok: true,
      signType: 'HMAC-SHA256',
      trimmedReading: true,
      signedFields: trimmedFields,
    });
    // verifyParams is the raw reading only.
    expect(await verifyParams({ ...fields, sign }, KEY, 'MD5')).toBe(false);
  });

  it('a raw-reading signature over whitespace values verifies without the fallback', async () => {
    const sign = md5Hex(rawString).toUpperCase();
    expect(canonicalString(fields) + '&key=' + KEY).toBe(rawString);
    expect(await verifySignedMessage({ ...fields, sign }, KEY, ['MD5'])).toEqual({ ok: true, signType: 'MD5', trimmedReading: false, signedFields: fields });
    expect(await verifyParams({ ...fields, sign }, KEY, 'MD5')).toBe(true);
  });

  it('returns the fields the successful reading signed: trimmed values, no whitespace-only field, no sign', async () => {
    const sign = md5Hex(javaString).toUpperCase();
    const verdict = await verifySignedMessage({ ...fields, fee_type: '', sign }, KEY, ['MD5']);
    expect(verdict.ok && verdict.signedFields).toEqual(trimmedFields);
    expect(verdict.ok && Object.keys(verdict.signedFields)).not.toContain('device_info');
    expect(verdict.ok && canonicalString(verdict.signedFields) + '&key=' + KEY).toBe(javaString);
  });

  it('under the raw reading, an unsigned empty field is not among the signed fields either', async () => {
    const signed = { appid: 'wx1', total_fee: '1' };
    const sign = md5Hex('appid=wx1&total_fee=1&key=' + KEY).toUpperCase();
    const verdict = await verifySignedMessage({ ...signed, fee_type: '', attach: '', sign }, KEY, ['MD5']);
    expect(verdict).toEqual({ ok: true, signType: 'MD5', trimmedReading: false, signedFields: signed });
  });

  it('uses Java trim, not JavaScript trim: U+00A0 and U+3000 are kept', async () => {
    const f = { appid: 'wx1', attach: '\u00a0x\u3000' };
    const jsTrimmed = md5Hex('appid=wx1&attach=x&key=' + KEY).toUpperCase();
    expect(await verifySignedMessage({ ...f, sign: jsTrimmed }, KEY, ['MD5'])).toEqual({ ok: false, reason: 'SIGN_MISMATCH' });
  });

  it('a wrong signature still fails under both readings', async () => {
    const sign = md5Hex(javaString + 'x').toUpperCase();
    expect(await verifySignedMessage({ ...fields, sign }, KEY, ['MD5'])).toEqual({ ok: false, reason: 'SIGN_MISMATCH' });
  });
});

describe('hex helpers', () => {
  it('constantTimeEqual: equal, different, different lengths, non-strings', () => {
    expect(constantTimeEqual('ABCDEF', 'ABCDEF')).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('ABCDEF', 'ABCDEE')).toBe(false);
    expect(constantTimeEqual('BBCDEF', 'ABCDEF')).toBe(false);
    expect(constantTimeEqual('ABCDEF', 'ABCDE')).toBe(false);
    expect(constantTimeEqual('abcdef', 'ABCDEF')).toBe(false);
    expect(constantTimeEqual(null as never, 'x')).toBe(false);
  });

  it('bytesToHex / hexToBytes round-trip; hexToBytes is strict', () => {
    const bytes = Uint8Array.from([0, 1, 0x7f, 0x80, 0xab, 0xff]);
    expect(bytesToHex(bytes)).toBe('00017f80abff');
    expect(hexToBytes('00017f80abff')).toEqual(bytes);
    expect(hexToBytes('00017F80ABFF')).toEqual(bytes);
    expect(hexToBytes('')).toEqual(new Uint8Array(0));
    expect(() => hexToBytes('abc')).toThrow(RangeError);
    expect(() => hexToBytes('zz')).toThrow(RangeError);
    expect(() => hexToBytes('0g')).toThrow(RangeError);
  });
});
