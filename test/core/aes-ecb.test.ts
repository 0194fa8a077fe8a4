import { describe, expect, it } from 'vitest';
import { CoreError, DecryptError, decryptRefundInfo, decryptReqInfoText, encryptRefundInfo, encryptReqInfoText, md5Hex } from '../../src/core';
import vectors from '../vectors/vectors.json';

const [V7, V8] = vectors.refund_req_info as [(typeof vectors.refund_req_info)[0], (typeof vectors.refund_req_info)[1]];
const OTHER_KEY = 'ObviouslyFakeKey0000000000000000';

function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}
function unb64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Awaits a rejection and checks it is a DecryptError whose message leaks nothing listed. */
async function decryptError(p: Promise<unknown>, secrets: string[] = []): Promise<DecryptError> {
  const e = await p.then(
    () => {
      throw new Error('expected a DecryptError');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DecryptError);
  expect(e).toBeInstanceOf(CoreError);
  const de = e as DecryptError;
  expect(de.code).toBe('DECRYPT_FAILED');
  for (const s of secrets) expect(de.message).not.toContain(s);
  return de;
}

describe('req_info vectors', () => {
  it('V7 (IJPay): the AES key is the ASCII of md5Hex(apiKey)', () => {
    expect(md5Hex(V7.api_key)).toBe(V7.aes_key_ascii);
    expect(md5Hex(V8.api_key)).toBe(V8.aes_key_ascii);
  });

  it('V7: decrypts to the published plaintext, and encrypts back to the published req_info', async () => {
    expect(await decryptReqInfoText(V7.req_info, V7.api_key)).toBe(V7.plaintext);
    expect(await encryptReqInfoText(V7.plaintext, V7.api_key)).toBe(V7.req_info);
  });

  it('V7 wrong-key variant (raw API key as AES key) does not decrypt under the derived key', async () => {
    await decryptError(decryptReqInfoText(V7.wrong_key_variant!.req_info, V7.api_key), [V7.api_key, V7.aes_key_ascii, V7.plaintext]);
  });

  it('V8: decrypts to the 812-byte <root> sample and parses to the expected fields', async () => {
    const text = await decryptReqInfoText(V8.req_info, V8.api_key);
    expect(text).toBe(V8.plaintext);
    expect(new TextEncoder().encode(text).length).toBe(V8.plaintext_utf8_bytes);
    const fields = await decryptRefundInfo(V8.req_info, V8.api_key);
    expect({ ...fields }).toEqual(V8.expected_fields);
    expect(Object.getPrototypeOf(fields)).toBe(null);
  });

  it('V8: re-encrypting the plaintext gives the vector byte for byte', async () => {
    expect(await encryptReqInfoText(V8.plaintext, V8.api_key)).toBe(V8.req_info);
  });

  it('encryptRefundInfo → decryptRefundInfo round-trips fields, Chinese and markup included', async () => {
    const fields = { ...V8.expected_fields, refund_recv_accout: '支付用户零钱🎉', note: 'a]]>b<c>&d' };
    const reqInfo = await encryptRefundInfo(fields, V8.api_key);
    expect(reqInfo).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect({ ...(await decryptRefundInfo(reqInfo, V8.api_key)) }).toEqual(fields);
  });

  it('round-trips plaintexts of every length around the block size', async () => {
    for (let n = 0; n <= 33; n++) {
      const text = 'x'.repeat(n);
      const reqInfo = await encryptReqInfoText(text, OTHER_KEY);
      expect(unb64(reqInfo).length).toBe((Math.floor(n / 16) + 1) * 16);
      expect(await decryptReqInfoText(reqInfo, OTHER_KEY)).toBe(text);
    }
  });
});

describe('req_info failures are DecryptError and leak nothing', () => {
  const leaks = [V8.api_key, V8.aes_key_ascii, V8.expected_fields!.out_refund_no, V8.expected_fields!.refund_id];

  it('a wrong key fails on the padding check', async () => {
    const e = await decryptError(decryptRefundInfo(V8.req_info, OTHER_KEY), leaks);
    expect(e.message).toMatch(/padding/);
  });

  it('refuses bad base64 (alphabet, length, padding position, unused bits, whitespace)', async () => {
    const bad = [
      '',
      'K8fdh/6THGfTKio8pxXS6Q=', // length not a multiple of 4
      'K8fdh/6THGfTKio8pxXS6Q', // unpadded
      'K8fdh-6THGfTKio8pxXS6Q==', // base64url alphabet
      'K8fdh/6THGfTKio8pxXS6Q==\n',
      ' K8fdh/6THGfTKio8pxXS6Q=',
      'K8fdh/6THGfT=io8pxXS6Q==', // '=' inside
      'K8fdh/6THGfTKio8pxXS6R==', // non-zero unused bits
      'K8fdh/6THGfTKio8pxXS中==',
    ];
    for (const text of bad) {
      const e = await decryptError(decryptRefundInfo(text, V7.api_key), leaks);
      expect(e.message, JSON.stringify(text)).toMatch(/base64/);
    }
    await decryptError(decryptRefundInfo(undefined as never, V7.api_key));
    await decryptError(decryptRefundInfo(123 as never, V7.api_key));
  });

  it('refuses a ciphertext that is not a whole number of blocks (truncated V8)', async () => {
    const c = unb64(V8.req_info);
    for (const len of [15, 17, c.length - 3]) {
      const e = await decryptError(decryptRefundInfo(b64(c.subarray(0, len)), V8.api_key), leaks);
      expect(e.message).toMatch(/blocks/);
    }
  });

  it('refuses bad padding: a final block of plaintext, or a padding byte in range but inconsistent', async () => {
    const c = unb64(V8.req_info);
    // Dropping the last block leaves plaintext ("…>") where the padding should be.
    await decryptError(decryptRefundInfo(b64(c.subarray(0, c.length - 16)), V8.api_key), leaks);
    // ECB blocks are independent: the first block of a 16-byte plaintext ending in 0x02 but whose
    // previous byte is 'o', alone, looks like 2 bytes of padding that are not both 0x02.
    const first = unb64(await encryptReqInfoText('abcdefghijklmno\u0002', V8.api_key)).subarray(0, 16);
    const e = await decryptError(decryptReqInfoText(b64(first), V8.api_key), ['abcdefghijklmno']);
    expect(e.message).toMatch(/padding/);
    // …whereas two 0x02 bytes are valid padding and are stripped.
    const ok = unb64(await encryptReqInfoText('abcdefghijklmn\u0002\u0002', V8.api_key)).subarray(0, 16);
    expect(await decryptReqInfoText(b64(ok), V8.api_key)).toBe('abcdefghijklmn');
  });

  it('refuses plaintext that is not UTF-8 (a character cut by recombined ECB blocks)', async () => {
    // Block 1: "abcdefghijklmn" + the first two bytes of 中 (E4 B8); block 2: a full padding block.
    const cut = unb64(await encryptReqInfoText('abcdefghijklmn中', V8.api_key)).subarray(0, 16);
    const padBlock = unb64(await encryptReqInfoText('0123456789abcdef', V8.api_key)).subarray(16, 32);
    const spliced = new Uint8Array(32);
    spliced.set(cut);
    spliced.set(padBlock, 16);
    const e = await decryptError(decryptRefundInfo(b64(spliced), V8.api_key), ['abcdefghijklmn']);
    expect(e.message).toMatch(/UTF-8/);
  });

  it('refuses a plaintext that is not one strict <root> message', async () => {
    const cases: [string, string][] = [
      [V7.plaintext, 'XML_MALFORMED'],
      ['<xml><a>1</a></xml>', 'XML_MALFORMED'], // wrong root
      ['<!DOCTYPE root [<!ENTITY x "secret-ish">]><root><a>&x;</a></root>', 'XML_FORBIDDEN'],
      ['<root><a>1</a><a>2</a></root>', 'XML_MALFORMED'],
    ];
    for (const [plaintext, code] of cases) {
      const reqInfo = await encryptReqInfoText(plaintext, V8.api_key);
      const e = await decryptError(decryptRefundInfo(reqInfo, V8.api_key), [plaintext, 'secret-ish', V8.api_key]);
      expect(e.message).toContain(code);
    }
  });

  it('refuses a missing API key', async () => {
    await decryptError(decryptRefundInfo(V8.req_info, ''));
    await decryptError(encryptRefundInfo({ a: '1' }, ''));
  });
});
