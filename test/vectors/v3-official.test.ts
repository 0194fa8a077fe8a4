// API v3 crypto against the official SDKs' published test vectors (docs/wechatpay-v3.md §10, V1–V6 and
// V12–V15), through the production core only. OPT-IN (`npm run test:vectors`), not part of `npm test`:
// the keys, certificates and bodies these vectors need are third-party test material that this
// repository does not redistribute. Put them under test/vectors/v3/ as its README says; a block whose
// files are absent FAILS, naming them, so this check never passes without its inputs.
// The vectors whose values docs/wechatpay-v3.md restates (V10, V11) run in test/core/v3-vectors.test.ts.
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
  jsapiPayParamsV3,
  oaepDecrypt,
  oaepEncrypt,
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
  type V3SignedHeaders,
  v3Authorization,
  v3Lines,
  v3RequestMessage,
  v3SignedMessage,
  verifyV3Signature,
} from '../../src/core';
import { flipFirstChar, parseCertificate, sha256Hex } from '../support/x509';
import { SPKI_SHA256, OFFICIAL, V1, V2, V3, V4, V5, V6, V10, V11, V12, V13 } from './v3-values';

// ---------------------------------------------------------------------------------------------------
// Test data files (test/vectors/v3/README.md), by file name; absent ones are simply not in the map.

const FILES: Record<string, string> = Object.fromEntries(
  Object.entries(import.meta.glob<string>('./v3/*.{pem,json,txt}', { query: '?raw', import: 'default', eager: true })).map(([p, text]) => [
    p.slice(p.lastIndexOf('/') + 1),
    text,
  ]),
);

const file = (name: string): string => {
  const text = FILES[name];
  if (text === undefined) throw new Error(`test/vectors/v3/${name} is missing`);
  return text;
};

/** describe, or a failing test naming the missing files: this check is opt-in, and never passes without its inputs. */
function withFiles(title: string, names: readonly string[], body: () => void): void {
  const missing = names.filter((n) => FILES[n] === undefined);
  if (missing.length === 0) describe(title, body);
  else
    describe(title, () => {
      it('has its input files', () => {
        throw new Error(`test/vectors/v3/${missing.join(', ')} not present: see test/vectors/v3/README.md`);
      });
    });
}

// ---------------------------------------------------------------------------------------------------
// Helpers

const UTF8 = new TextEncoder();
/** UTF-8 bytes over a plain ArrayBuffer (what WebCrypto's typings ask for). */
const utf8 = (text: string): Uint8Array<ArrayBuffer> => new Uint8Array(UTF8.encode(text));


/** The same UTF-8 message with its first byte changed. */
function flipFirstByte(message: string): Uint8Array<ArrayBuffer> {
  const bytes = utf8(message);
  bytes[0] = bytes[0]! ^ 0x01;
  return bytes;
}

// ---------------------------------------------------------------------------------------------------
// docs/wechatpay-v3.md §10: keys, their SPKI SHA-256, and the vectors.

const F = {
  official: 'official-private_key.pem',
  javaMerchantKey: 'java-merchant_private_key.pem',
  javaMerchantCert: 'java-merchant_certificate.pem',
  javaPayKey: 'java-wechat_pay_private_key.pem',
  javaPayPublic: 'java-wechat_pay_public_key.pem',
  javaPayCert: 'java-wechat_pay_certificate.pem',
  javaCertList: 'java-download_certificate_response.json',
  javaOaep: 'java-oaep_ciphertext.txt',
  goKey: 'go-private_key.pem',
  goPublic: 'go-pubkey.pem',
  goCert: 'go-wechatpay_certificate.pem',
  goNotify: 'go-notify_body.json',
  goOaep: 'go-oaep_ciphertext.txt',
} as const;

// ---------------------------------------------------------------------------------------------------

withFiles(
  '§10 keys: each file is the key the reference names (SPKI SHA-256)',
  Object.values(F).filter((f) => f.endsWith('.pem')),
  () => {
    it.each([
      ['official private key', F.official, SPKI_SHA256.official],
      ['java merchant private key', F.javaMerchantKey, SPKI_SHA256.javaMerchant],
      ['java WeChat Pay private key', F.javaPayKey, SPKI_SHA256.javaWechatPay],
      ['go private key', F.goKey, SPKI_SHA256.go],
    ])('%s: publicKeyOfPrivateKey', async (_name, name, expected) => {
      expect(await sha256Hex(await publicKeyOfPrivateKey(file(name)))).toBe(expected);
    });

    it.each([
      ['java WeChat Pay public key', F.javaPayPublic, SPKI_SHA256.javaWechatPay],
      ['go public key (key id F5765756002FDD77)', F.goPublic, SPKI_SHA256.go],
    ])('%s: pemToDer', async (_name, name, expected) => {
      expect(await sha256Hex(pemToDer(file(name), 'PUBLIC KEY'))).toBe(expected);
    });

    it.each([
      ['java merchant certificate', F.javaMerchantCert, SPKI_SHA256.javaMerchant, V4.merchantSerial],
      ['java WeChat Pay certificate', F.javaPayCert, SPKI_SHA256.javaWechatPay, V4.wechatPaySerial],
      ['go WeChat Pay certificate', F.goCert, SPKI_SHA256.go, V6.serial],
    ])('%s: its SPKI and serial', async (_name, name, expected, serial) => {
      const cert = parseCertificate(file(name));
      expect(await sha256Hex(cert.spki)).toBe(expected);
      expect(cert.serial).toBe(serial);
    });
  },
);

// V1–V3: the official example key (mchid 1900007291, serial 408B07E7…). The expected values are as
// public repositories quote the official pages (docs/wechatpay-v3.md §10, §11): reproducing them with
// the key whose SPKI hash the reference gives is what these tests prove.
withFiles('§10 V1–V3: official request and paySign signatures', [F.official, F.javaMerchantKey], () => {
  const keys = async () => {
    const pem = file(F.official);
    return {
      sign: await importSigningKey(pem),
      verify: await importVerifyingKey(await publicKeyOfPrivateKey(pem)),
      wrong: await importVerifyingKey(await publicKeyOfPrivateKey(file(F.javaMerchantKey))),
    };
  };
  const V1_REQUEST = { method: 'post', canonicalUrl: '/v3/pay/transactions/jsapi', timestamp: OFFICIAL.timestamp, nonce: OFFICIAL.nonce, body: V1.body };
  const V2_REQUEST = { method: 'GET', canonicalUrl: V2.url, timestamp: OFFICIAL.timestamp, nonce: OFFICIAL.nonce, body: '' };

  it('V1 POST with a body: the message, the signature and the whole Authorization header', async () => {
    const k = await keys();
    const message = v3RequestMessage(V1_REQUEST);
    expect(message).toBe(`POST\n/v3/pay/transactions/jsapi\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n${V1.body}\n`);
    expect(await rsaSign(k.sign, message)).toBe(V1.signature);
    expect(await v3Authorization({ mchId: OFFICIAL.mchId, serialNo: OFFICIAL.serialNo, key: k.sign }, V1_REQUEST)).toBe(
      `WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="${V1.signature}",timestamp="1554208460",serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB"`,
    );
    expect(await rsaVerify(k.verify, message, V1.signature)).toBe(true);
    expect(await rsaVerify(k.verify, flipFirstByte(message), V1.signature)).toBe(false);
    expect(await rsaVerify(k.verify, message.replace('"total":100', '"total":101'), V1.signature)).toBe(false);
    expect(await rsaVerify(k.verify, message, flipFirstChar(V1.signature))).toBe(false);
    expect(await rsaVerify(k.wrong, message, V1.signature)).toBe(false);
  });

  it('V2 GET without a body: the message ends in an empty line', async () => {
    const k = await keys();
    const message = v3RequestMessage(V2_REQUEST);
    expect(message.endsWith('593BEC0C930BF1AFEB40B4A08C8FB242\n\n')).toBe(true);
    expect(await rsaSign(k.sign, message)).toBe(V2.signature);
    expect(await rsaVerify(k.verify, message, V2.signature)).toBe(true);
    expect(await rsaVerify(k.verify, v3Lines('GET', V2.url, String(OFFICIAL.timestamp), OFFICIAL.nonce), V2.signature)).toBe(false); // no empty body line
    expect(await rsaVerify(k.verify, flipFirstByte(message), V2.signature)).toBe(false);
    expect(await rsaVerify(k.wrong, message, V2.signature)).toBe(false);
  });

  it('V3 mini-program paySign through jsapiPayParamsV3', async () => {
    const k = await keys();
    const params = await jsapiPayParamsV3(V3.prepayId, V3.appId, k.sign, OFFICIAL.timestamp, OFFICIAL.nonce);
    expect(params).toEqual({
      appId: V3.appId,
      timeStamp: '1554208460',
      nonceStr: OFFICIAL.nonce,
      package: `prepay_id=${V3.prepayId}`,
      signType: 'RSA',
      paySign: V3.signature,
    });
    const message = v3Lines(V3.appId, '1554208460', OFFICIAL.nonce, `prepay_id=${V3.prepayId}`);
    expect(await rsaVerify(k.verify, message, V3.signature)).toBe(true);
    expect(await rsaVerify(k.verify, v3Lines('wx2421b1c4370ec43c', '1554208460', OFFICIAL.nonce, `prepay_id=${V3.prepayId}`), V3.signature)).toBe(false); // another appid
    expect(await rsaVerify(k.wrong, message, V3.signature)).toBe(false);
  });
});

withFiles('§10 V4: wechatpay-java RSASigner/RSAVerifier', [F.javaMerchantKey, F.javaMerchantCert, F.javaPayPublic], () => {
  it('signing "message" with the merchant key reproduces it; it verifies under the merchant certificate only', async () => {
    expect(await rsaSign(await importSigningKey(file(F.javaMerchantKey)), V4.message)).toBe(V4.signature);
    const merchant = await importVerifyingKey(parseCertificate(file(F.javaMerchantCert)).spki);
    expect(await rsaVerify(merchant, V4.message, V4.signature)).toBe(true);
    expect(await rsaVerify(merchant, flipFirstByte(V4.message), V4.signature)).toBe(false);
    expect(await rsaVerify(merchant, V4.message, flipFirstChar(V4.signature))).toBe(false);
    expect(await rsaVerify(await importVerifyingKey(file(F.javaPayPublic)), V4.message, V4.signature)).toBe(false); // the SDK's own negative case
  });
});

withFiles('§10 V5: wechatpay-go SignSHA256WithRSA / the public-key verifier', [F.goKey, F.goPublic, F.javaPayPublic], () => {
  it('signing "source" reproduces it; it verifies under the public key; "wrong source" and another key fail', async () => {
    expect(await rsaSign(await importSigningKey(file(F.goKey)), V5.message)).toBe(V5.signature);
    const pub = await importVerifyingKey(file(F.goPublic));
    expect(await rsaVerify(pub, V5.message, V5.signature)).toBe(true);
    expect(await rsaVerify(pub, 'wrong source', V5.signature)).toBe(false);
    expect(await rsaVerify(pub, flipFirstByte(V5.message), V5.signature)).toBe(false);
    expect(await rsaVerify(pub, V5.message, flipFirstChar(V5.signature))).toBe(false);
    expect(await rsaVerify(await importVerifyingKey(file(F.javaPayPublic)), V5.message, V5.signature)).toBe(false);
  });
});

withFiles('§10 V6: wechatpay-go notify, signed by the certificate D7CE59D1F522D701', [F.goKey, F.goCert, F.goNotify, F.javaPayPublic], () => {
  const body = () => utf8(file(F.goNotify));
  const headers = (over: Partial<V3SignedHeaders> = {}): V3SignedHeaders => ({
    timestamp: V6.timestamp,
    nonce: V6.nonce,
    signature: V6.signature,
    serial: V6.serial,
    signatureType: null,
    ...over,
  });
  const certKey = async () => importVerifyingKey(parseCertificate(file(F.goCert)).spki);
  const keyFor = async (serial: string) => (serial === V6.serial ? certKey() : null);
  const NOW = Number(V6.timestamp);

  it('the body is the 568 bytes the reference hashes', async () => {
    expect(body().length).toBe(568);
    expect(await sha256Hex(body())).toBe(V6.bodySha256);
  });

  it('v3SignedMessage + rsaVerify: true; signing with the private half reproduces it; one extra space or another key: false', async () => {
    const message = v3SignedMessage(V6.timestamp, V6.nonce, body());
    expect(await rsaVerify(await certKey(), message, V6.signature)).toBe(true);
    expect(await rsaSign(await importSigningKey(file(F.goKey)), message)).toBe(V6.signature);
    const spaced = utf8(file(F.goNotify).replace('{"id"', '{ "id"'));
    expect(await rsaVerify(await certKey(), v3SignedMessage(V6.timestamp, V6.nonce, spaced), V6.signature)).toBe(false);
    expect(await rsaVerify(await certKey(), message, flipFirstChar(V6.signature))).toBe(false);
    expect(await rsaVerify(await importVerifyingKey(file(F.javaPayPublic)), message, V6.signature)).toBe(false);
  });

  it('verifyV3Signature with the clock pinned at the signed time: ok', async () => {
    expect(await verifyV3Signature(headers(), body(), keyFor, NOW)).toEqual({ ok: true, serial: V6.serial });
    expect(await verifyV3Signature(headers({ signatureType: 'WECHATPAY2-SHA256-RSA2048' }), body(), keyFor, NOW)).toEqual({ ok: true, serial: V6.serial });
    // the ±300 s window, both edges
    expect((await verifyV3Signature(headers(), body(), keyFor, NOW + 300)).ok).toBe(true);
    expect((await verifyV3Signature(headers(), body(), keyFor, NOW - 300)).ok).toBe(true);
  });

  it('verifyV3Signature: 10 minutes off → TIMESTAMP_STALE, before any key is looked up', async () => {
    let lookups = 0;
    const counting = async (serial: string) => {
      lookups++;
      return keyFor(serial);
    };
    expect(await verifyV3Signature(headers(), body(), counting, NOW + 600)).toEqual({ ok: false, reason: 'TIMESTAMP_STALE' });
    expect(await verifyV3Signature(headers(), body(), counting, NOW - 600)).toEqual({ ok: false, reason: 'TIMESTAMP_STALE' });
    expect(await verifyV3Signature(headers(), body(), counting, NOW + 301)).toEqual({ ok: false, reason: 'TIMESTAMP_STALE' });
    expect(lookups).toBe(0);
  });

  it('verifyV3Signature: unknown serial → SERIAL_UNKNOWN; tampered body or signature → SIGNATURE_INVALID; others refused', async () => {
    expect(await verifyV3Signature(headers({ serial: 'D7CE59D1F522D702' }), body(), keyFor, NOW)).toEqual({ ok: false, reason: 'SERIAL_UNKNOWN' });
    expect(await verifyV3Signature(headers({ serial: 'PUB_KEY_ID_0114232134912410000000000000000000' }), body(), keyFor, NOW)).toEqual({
      ok: false,
      reason: 'SERIAL_UNKNOWN',
    });
    const tampered = body();
    tampered[tampered.length - 2] = 0x20; // a byte inside the resource object
    expect(await verifyV3Signature(headers(), tampered, keyFor, NOW)).toEqual({ ok: false, reason: 'SIGNATURE_INVALID' });
    expect(await verifyV3Signature(headers({ signature: flipFirstChar(V6.signature) }), body(), keyFor, NOW)).toEqual({
      ok: false,
      reason: 'SIGNATURE_INVALID',
    });
    expect(await verifyV3Signature(headers({ signature: `WECHATPAY/SIGNTEST/${V6.signature}` }), body(), keyFor, NOW)).toEqual({
      ok: false,
      reason: 'SIGNATURE_INVALID',
    });
    expect(await verifyV3Signature(headers({ nonce: 'EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBy' }), body(), keyFor, NOW)).toEqual({
      ok: false,
      reason: 'SIGNATURE_INVALID',
    });
    expect(await verifyV3Signature(headers({ signatureType: 'WECHATPAY2-SM2-WITH-SM3' }), body(), keyFor, NOW)).toEqual({
      ok: false,
      reason: 'SIGNATURE_TYPE',
    });
    for (const missing of ['timestamp', 'nonce', 'signature', 'serial'] as const) {
      expect(await verifyV3Signature(headers({ [missing]: null }), body(), keyFor, NOW)).toEqual({ ok: false, reason: 'SIGNATURE_MISSING' });
    }
  });
});

withFiles('§10 V12: wechatpay-java DOWNLOAD_CERTIFICATE_RESPONSE (the platform certificate list)', [F.javaCertList], () => {
  const entry = () => {
    const list = JSON.parse(file(F.javaCertList)) as {
      data: {
        serial_no: string;
        effective_time: string;
        expire_time: string;
        encrypt_certificate: { algorithm: string; nonce: string; associated_data: string; ciphertext: string };
      }[];
    };
    expect(list.data).toHaveLength(1);
    return list.data[0]!;
  };

  it('decrypts with the V10 key to a PEM certificate whose serial is serial_no', async () => {
    const e = entry();
    expect(e.serial_no).toBe(V12.serial);
    expect(e.encrypt_certificate).toMatchObject({ algorithm: 'AEAD_AES_256_GCM', associated_data: 'certificate', nonce: '14b16c03dc1b' });
    const pem = await decryptResource(await importApiV3Key(V10.key), e.encrypt_certificate);
    expect(pem.startsWith('-----BEGIN CERTIFICATE-----')).toBe(true);
    const cert = parseCertificate(pem);
    expect(cert.serial).toBe(V12.serial);
    expect(cert.notBefore.toISOString().slice(0, 10)).toBe(V12.notBefore);
    expect(cert.notAfter.toISOString().slice(0, 10)).toBe(V12.notAfter);
    expect(new Date(e.effective_time).getTime()).toBe(cert.notBefore.getTime());
    expect(new Date(e.expire_time).getTime()).toBe(cert.notAfter.getTime());
    // what the key store keeps: the certificate's public key imports for verifying
    await expect(importVerifyingKey(cert.spki)).resolves.toBeDefined();
  });

  it('another AAD throws', async () => {
    const e = entry();
    await expect(decryptResource(await importApiV3Key(V10.key), { ...e.encrypt_certificate, associated_data: 'transaction' })).rejects.toThrow();
  });
});

withFiles('§10 V13: wechatpay-go notify resource (16-byte key)', [F.goNotify], () => {
  const resource = () =>
    (JSON.parse(file(F.goNotify)) as { resource: { algorithm: string; ciphertext: string; nonce: string; associated_data: string } }).resource;

  it('refused without allowAes128; with it, decrypts to the payscore payload; bad AAD throws', async () => {
    expect(resource()).toMatchObject({ algorithm: 'AEAD_AES_256_GCM', nonce: 'Kj7QIyUiYx1q', associated_data: 'payscore' });
    expect(() => importApiV3Key(V13.key)).toThrow(RangeError);
    const key = await importApiV3Key(V13.key, { allowAes128: true });
    expect(await decryptResource(key, resource())).toBe(V13.plaintext);
    await expect(decryptResource(key, { ...resource(), associated_data: 'transaction' })).rejects.toThrow();
  });
});

withFiles('§10 V14–V15: RSA-OAEP (SHA-1) sensitive fields', [F.javaMerchantKey, F.javaOaep, F.goKey, F.goOaep, F.goPublic], () => {
  it('V14 wechatpay-java RSAPrivacyDecryptor: "plaintext"; "MTIzNA==" throws', async () => {
    expect(await oaepDecrypt(file(F.javaMerchantKey), file(F.javaOaep).trim())).toBe('plaintext');
    await expect(oaepDecrypt(file(F.javaMerchantKey), 'MTIzNA==')).rejects.toThrow();
  });

  it('V15 wechatpay-go WechatPayDecryptor: "hello world"; under another key it throws', async () => {
    expect(await oaepDecrypt(file(F.goKey), file(F.goOaep).trim())).toBe('hello world');
    await expect(oaepDecrypt(file(F.javaMerchantKey), file(F.goOaep).trim())).rejects.toThrow();
  });

  it('oaepEncrypt under the go public key decrypts with its private half (OAEP is randomised: no fixed value)', async () => {
    const sealed = await oaepEncrypt(file(F.goPublic), '张三');
    expect(base64Decode(sealed)!.length).toBe(256);
    expect(await oaepDecrypt(file(F.goKey), sealed)).toBe('张三');
    expect(await oaepEncrypt(file(F.goPublic), '张三')).not.toBe(sealed);
  });
});
