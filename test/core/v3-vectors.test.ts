// API v3 crypto through the production core, in every `npm test`: the AES-GCM vectors whose values
// docs/wechatpay-v3.md §10 restates (V10 from wechatpay-java, V11 from wechatpay-go), the Authorization
// parser, canonical base64, PEM, and the consistency of the simulator's own test keys. The vectors that
// need the SDKs' key files (V1–V6, V12–V15) are the opt-in test/vectors/v3-official.test.ts.
import { describe, expect, it } from 'vitest';
import {
  base64Decode,
  base64Encode,
  bytesToHex,
  decryptResource,
  encryptResource,
  importApiV3Key,
  importSigningKey,
  importVerifyingKey,
  parseV3Authorization,
  pemToDer,
  publicKeyOfPrivateKey,
  rsaSign,
  rsaVerify,
  SANDBOX_APIV3_KEY,
  SANDBOX_MCH_CERTIFICATE,
  SANDBOX_MCH_PRIVATE_KEY,
  SANDBOX_MCH_SERIAL,
  SANDBOX_PAY_PRIVATE_KEY,
  SANDBOX_PAY_PUBLIC_KEY,
  SANDBOX_PLATFORM_CERTIFICATE,
  SANDBOX_PLATFORM_PRIVATE_KEY,
  SANDBOX_PLATFORM_SERIAL,
  SANDBOX_PUB_KEY_ID,
  v3Authorization,
  v3RequestMessage,
} from '../../src/core';
import { flipFirstChar, parseCertificate, sha256Hex } from '../support/x509';
import { SPKI_SHA256, V1, V10, V11 } from '../vectors/v3-values';

// ---------------------------------------------------------------------------------------------------
// Helpers

const UTF8 = new TextEncoder();

/** The same UTF-8 message with its first byte changed. */

// ---------------------------------------------------------------------------------------------------
// docs/wechatpay-v3.md §10: keys, their SPKI SHA-256, and the vectors.

// ---------------------------------------------------------------------------------------------------

describe('§10 V10: wechatpay-java AeadAesCipher (AES-256-GCM)', () => {
  const resource = { algorithm: 'AEAD_AES_256_GCM', ciphertext: V10.ciphertext, nonce: V10.nonce, associated_data: V10.aad };

  it('decrypts to "message"; encrypting "message" reproduces the ciphertext', async () => {
    const key = await importApiV3Key(V10.key);
    expect(await decryptResource(key, resource)).toBe(V10.plaintext);
    expect(await encryptResource(key, V10.plaintext, V10.nonce, V10.aad)).toEqual({ ...resource });
    expect(base64Decode(V10.ciphertext)!.length).toBe(7 + 16);
  });

  it('bad AAD, bad nonce, tampered ciphertext, another key, another algorithm: throws', async () => {
    const key = await importApiV3Key(V10.key);
    await expect(decryptResource(key, { ...resource, associated_data: 'bad-associatedData' })).rejects.toThrow();
    await expect(decryptResource(key, { ...resource, associated_data: undefined })).rejects.toThrow();
    await expect(decryptResource(key, { ...resource, nonce: 'bad-4a9R25RW' })).rejects.toThrow();
    await expect(decryptResource(key, { ...resource, ciphertext: flipFirstChar(V10.ciphertext) })).rejects.toThrow();
    await expect(decryptResource(key, { ...resource, ciphertext: base64Encode(new Uint8Array(128)) })).rejects.toThrow(); // the SDK's bad-cipher case
    await expect(decryptResource(await importApiV3Key(SANDBOX_APIV3_KEY), resource)).rejects.toThrow();
    await expect(decryptResource(key, { ...resource, algorithm: 'AEAD_SM4_GCM' })).rejects.toThrow(RangeError);
  });
});

describe('§10 V11: wechatpay-go DecryptAES256GCM with a 16-byte key (AES-128-GCM)', () => {
  const resource = { algorithm: 'AEAD_AES_256_GCM', ciphertext: V11.ciphertext, nonce: V11.nonce, associated_data: V11.aad };

  it('refused without allowAes128', async () => {
    expect(() => importApiV3Key(V11.key)).toThrow(RangeError);
  });

  it('with allowAes128: decrypts to "Hello World", encrypting reproduces it; bad AAD and the SDK\'s wrong key throw', async () => {
    const key = await importApiV3Key(V11.key, { allowAes128: true });
    expect(await decryptResource(key, resource)).toBe(V11.plaintext);
    expect((await encryptResource(key, V11.plaintext, V11.nonce, V11.aad)).ciphertext).toBe(V11.ciphertext);
    await expect(decryptResource(key, { ...resource, associated_data: 'bad' })).rejects.toThrow();
    await expect(decryptResource(await importApiV3Key('testAPIv3Key1111', { allowAes128: true }), resource)).rejects.toThrow();
    await expect(decryptResource(key, { ...resource, ciphertext: 'invalid cipher' })).rejects.toThrow(RangeError);
  });

  it('allowAes128 admits 16 or 32 bytes only', () => {
    expect(() => importApiV3Key('not a aes key', { allowAes128: true })).toThrow(RangeError);
    expect(() => importApiV3Key(`${V10.key}x`)).toThrow(RangeError);
    expect(() => importApiV3Key('一二三四五六七八九十一')).toThrow(RangeError); // 11 characters, 33 bytes: counted in bytes
  });
});

describe('parseV3Authorization', () => {
  const request = {
    method: 'POST',
    canonicalUrl: '/v3/pay/transactions/jsapi',
    timestamp: 1554208460,
    nonce: '593BEC0C930BF1AFEB40B4A08C8FB242',
    body: '{"a":1}',
  };
  const VALID = `WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str="N",signature="${V1.signature}",timestamp="1554208460",serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB"`;

  it('round-trips v3Authorization (sandbox merchant key), and the signature verifies over the rebuilt message', async () => {
    const key = await importSigningKey(SANDBOX_MCH_PRIVATE_KEY);
    const header = await v3Authorization({ mchId: '1900000109', serialNo: SANDBOX_MCH_SERIAL, key }, request);
    const parsed = parseV3Authorization(header)!;
    expect(parsed).toEqual({
      mchid: '1900000109',
      nonce_str: request.nonce,
      signature: parsed.signature,
      timestamp: '1554208460',
      serial_no: SANDBOX_MCH_SERIAL,
    });
    const verifier = await importVerifyingKey(parseCertificate(SANDBOX_MCH_CERTIFICATE).spki);
    const rebuilt = v3RequestMessage({ ...request, nonce: parsed.nonce_str, timestamp: Number(parsed.timestamp) });
    expect(await rsaVerify(verifier, rebuilt, parsed.signature)).toBe(true);
  });

  it('accepts the pairs in any order and spaces around them', () => {
    expect(parseV3Authorization(VALID)).not.toBeNull();
    const reordered = `WECHATPAY2-SHA256-RSA2048 serial_no="S", timestamp="1", signature="x", nonce_str="N" , mchid="1"`;
    expect(parseV3Authorization(reordered)).toEqual({ mchid: '1', nonce_str: 'N', signature: 'x', timestamp: '1', serial_no: 'S' });
  });

  it.each([
    ['null', null],
    ['empty', ''],
    ['another scheme', VALID.replace('WECHATPAY2-SHA256-RSA2048', 'WECHATPAY2-SM2-WITH-SM3')],
    ['lower-case scheme', VALID.replace('WECHATPAY2-SHA256-RSA2048', 'wechatpay2-sha256-rsa2048')],
    ['no space after the scheme', VALID.replace('RSA2048 ', 'RSA2048')],
    ['a pair missing', VALID.replace(/,serial_no="[^"]*"/, '')],
    ['a pair twice', `${VALID},mchid="1900007291"`],
    ['an unknown pair', `${VALID},extra="1"`],
    ['an unquoted value', VALID.replace('mchid="1900007291"', 'mchid=1900007291')],
    ['a quote inside a value', VALID.replace('nonce_str="N"', 'nonce_str="N"x"')],
    ['a trailing comma', `${VALID},`],
    ['an upper-case name', VALID.replace('mchid=', 'MCHID=')],
  ])('refuses %s', (_name, header) => {
    expect(parseV3Authorization(header)).toBeNull();
  });
});

describe('base64Decode: canonical padded base64 only', () => {
  it('decodes canonical text, including empty', () => {
    expect(base64Decode('')).toEqual(new Uint8Array(0));
    expect(base64Decode('QQ==')).toEqual(new Uint8Array([0x41]));
    expect(base64Decode('QUI=')).toEqual(new Uint8Array([0x41, 0x42]));
    expect(base64Decode('+/+/')).toEqual(new Uint8Array([0xfb, 0xff, 0xbf]));
    expect(base64Decode(V1.signature)!.length).toBe(256);
  });

  it.each([
    ['missing padding', 'QQ'],
    ['missing one pad', 'QUI'],
    ['too much padding', 'QQ==='],
    ['padding in the middle', 'QQ==QUJD'],
    ['a lone pad', '='],
    ['a length of 4n+1', 'QUJDR'],
    ['whitespace', 'QUJD\nRA=='],
    ['a leading space', ' QQ=='],
    ['url-safe alphabet', '-_-_'],
    ['a data URL prefix', 'data:,QQ=='],
    ['non-ASCII', 'QQ＝='],
    // RFC 4648 §3.5: the bits after the last byte must be zero; these decode to the same bytes as QQ== and QUI=
    ['non-zero pad bits before ==', 'QR=='],
    ['non-zero pad bits before =', 'QUJ='],
  ])('refuses %s', (_name, text) => {
    expect(base64Decode(text)).toBeNull();
  });

  it('1- and 2-byte strings round-trip, and no other spelling of the final quantum decodes to them', () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    for (let b = 0; b < 256; b += 5) {
      for (const bytes of [new Uint8Array([b]), new Uint8Array([b, 0x5a])]) {
        const text = base64Encode(bytes);
        expect(base64Decode(text)).toEqual(bytes);
        const last = text.indexOf('=') - 1; // the character holding the pad bits
        for (const c of ALPHABET) {
          if (c === text[last]) continue;
          const other = text.slice(0, last) + c + text.slice(last + 1);
          const decoded = base64Decode(other);
          if (decoded) expect(base64Encode(decoded)).toBe(other); // a different byte string, canonically spelt
        }
      }
    }
  });
});

describe('pemToDer', () => {
  /** The sandbox merchant key as PKCS#1: the RSAPrivateKey inside the PKCS#8 OCTET STRING. */
  function pkcs1Pem(): string {
    const der = pemToDer(SANDBOX_MCH_PRIVATE_KEY, 'PRIVATE KEY');
    // 30 82 LL LL | 02 01 00 | 30 0d <rsaEncryption, NULL> | 04 82 LL LL <RSAPrivateKey>
    expect([der[22], der[23]]).toEqual([0x04, 0x82]);
    const inner = der.subarray(26);
    expect([inner[0], inner[1], (inner[2]! << 8) | inner[3]!]).toEqual([0x30, 0x82, inner.length - 4]);
    return `-----BEGIN RSA PRIVATE KEY-----\n${base64Encode(inner).replace(/.{1,64}/g, '$&\n')}-----END RSA PRIVATE KEY-----\n`;
  }

  it('refuses a PKCS#1 key (BEGIN RSA PRIVATE KEY), and importSigningKey with it', async () => {
    const pem = pkcs1Pem();
    expect(() => pemToDer(pem, 'PRIVATE KEY')).toThrow(RangeError);
    // importSigningKey throws before it returns a promise (pemToDer runs first): either way it fails
    await expect(async () => importSigningKey(pem)).rejects.toThrow(RangeError);
  });

  it('refuses another label, a body that is not base64, and an empty body', () => {
    expect(() => pemToDer(SANDBOX_PAY_PUBLIC_KEY, 'CERTIFICATE')).toThrow(RangeError);
    expect(() => pemToDer(SANDBOX_PAY_PUBLIC_KEY.replace(/PUBLIC KEY/g, 'RSA PUBLIC KEY'), 'PUBLIC KEY')).toThrow(RangeError);
    expect(() => pemToDer('-----BEGIN PUBLIC KEY-----\nQUJD\nR===\n-----END PUBLIC KEY-----', 'PUBLIC KEY')).toThrow(RangeError);
    expect(() => pemToDer('-----BEGIN PUBLIC KEY-----\n\n-----END PUBLIC KEY-----', 'PUBLIC KEY')).toThrow(RangeError);
  });

  it('takes CRLF line ends and surrounding text', () => {
    const crlf = `a comment\r\n${SANDBOX_PAY_PUBLIC_KEY.replace(/\n/g, '\r\n')}trailer`;
    expect(pemToDer(crlf, 'PUBLIC KEY')).toEqual(pemToDer(SANDBOX_PAY_PUBLIC_KEY, 'PUBLIC KEY'));
  });
});

describe("the simulator's test keys (src/core/sandbox-v3-keys.ts) are consistent", () => {
  it.each([
    ['merchant API certificate', SANDBOX_MCH_CERTIFICATE, SANDBOX_MCH_PRIVATE_KEY, SANDBOX_MCH_SERIAL],
    ['platform certificate', SANDBOX_PLATFORM_CERTIFICATE, SANDBOX_PLATFORM_PRIVATE_KEY, SANDBOX_PLATFORM_SERIAL],
  ])("%s: its public key is the private key's public half, its serial the constant", async (_name, certificate, privateKey, serial) => {
    const cert = parseCertificate(certificate);
    expect(bytesToHex(cert.spki)).toBe(bytesToHex(await publicKeyOfPrivateKey(privateKey)));
    expect(cert.serial).toBe(serial);
    const signature = await rsaSign(await importSigningKey(privateKey), 'probe');
    expect(await rsaVerify(await importVerifyingKey(cert.spki), 'probe', signature)).toBe(true);
  });

  it('the WeChat Pay public key is the public half of its private key; its id has the PUB_KEY_ID_ form', async () => {
    expect(bytesToHex(pemToDer(SANDBOX_PAY_PUBLIC_KEY, 'PUBLIC KEY'))).toBe(bytesToHex(await publicKeyOfPrivateKey(SANDBOX_PAY_PRIVATE_KEY)));
    expect(SANDBOX_PUB_KEY_ID).toMatch(/^PUB_KEY_ID_[0-9]{32}$/);
  });

  it('the three key pairs are distinct, and none is a published SDK or official key', async () => {
    const hashes = await Promise.all(
      [SANDBOX_MCH_PRIVATE_KEY, SANDBOX_PAY_PRIVATE_KEY, SANDBOX_PLATFORM_PRIVATE_KEY].map(async (k) => sha256Hex(await publicKeyOfPrivateKey(k))),
    );
    expect(new Set(hashes).size).toBe(3);
    for (const h of hashes) expect(Object.values(SPKI_SHA256)).not.toContain(h);
  });

  it('SANDBOX_APIV3_KEY is 32 bytes and imports as the AES-256-GCM key', async () => {
    expect(UTF8.encode(SANDBOX_APIV3_KEY).length).toBe(32);
    const key = await importApiV3Key(SANDBOX_APIV3_KEY);
    expect((key.algorithm as { length?: number }).length).toBe(256);
    const sealed = await encryptResource(key, '{"a":1}', '0123456789ab', 'transaction');
    expect(await decryptResource(key, sealed)).toBe('{"a":1}');
  });
});
