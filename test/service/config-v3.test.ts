// The API v3 configuration (src/worker/platform/config-v3.ts): the version switch, the sandbox's test
// keys as defaults, what live mode requires and refuses (the sandbox keys, a 16-byte APIv3 key, a
// PKCS#1 key, half a public key), and problems that name variables, never values.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SANDBOX_APIV3_KEY,
  SANDBOX_MCH_PRIVATE_KEY,
  SANDBOX_MCH_SERIAL,
  SANDBOX_PAY_PUBLIC_KEY,
  SANDBOX_PLATFORM_PRIVATE_KEY,
  SANDBOX_PUB_KEY_ID,
} from '../../src/core';
import { configuredSecrets } from '../../src/worker/platform/config';
import { SANDBOX_VARS } from '../support/fakes';
import { LIVE_VARS } from '../support/live-vars';
import { accepted, refused } from '../support/config-checks';

// Fresh keys for "the merchant's own": generated, never published.
const { privateKey: ownPkcs8, publicKey: ownSpki } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const { privateKey: ownPkcs1 } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const { privateKey: smallKey } = generateKeyPairSync('rsa', {
  modulusLength: 1024,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

const LIVE_V3 = {
  ...SANDBOX_VARS,
  ...LIVE_VARS,
  WECHAT_API_VERSION: 'v3',
  WECHAT_APIV3_KEY: 'FAKEliveAPIv3KEYforTESTSonly0000',
  WECHAT_MCH_PRIVATE_KEY: ownPkcs8,
  WECHAT_MCH_SERIAL: '5f1c72e2a8931b72a2e13af8dee92471eb397115',
};
const PUBLIC_KEY = { WECHAT_PAY_PUBLIC_KEY: ownSpki, WECHAT_PAY_PUBLIC_KEY_ID: 'PUB_KEY_ID_0114232134912410000000000000000' };

describe('WECHAT_API_VERSION', () => {
  it('defaults to v2; v2 and v3 are the only values', () => {
    expect(accepted(SANDBOX_VARS).apiVersion).toBe('v2');
    expect(accepted({ ...SANDBOX_VARS, WECHAT_API_VERSION: '' }).apiVersion).toBe('v2');
    expect(accepted({ ...SANDBOX_VARS, WECHAT_API_VERSION: 'v3' }).apiVersion).toBe('v3');
    expect(refused({ ...SANDBOX_VARS, WECHAT_API_VERSION: 'V3' })).toEqual(['WECHAT_API_VERSION must be v2 or v3']);
  });

  it('sandbox: the simulator test keys are the defaults, in v2 mode too, with the public key (public-key mode)', () => {
    for (const version of ['v2', 'v3']) {
      expect(accepted({ ...SANDBOX_VARS, WECHAT_API_VERSION: version }).v3).toEqual({
        apiV3Key: SANDBOX_APIV3_KEY,
        mchPrivateKey: SANDBOX_MCH_PRIVATE_KEY,
        mchSerial: SANDBOX_MCH_SERIAL,
        payPublicKey: { id: SANDBOX_PUB_KEY_ID, pem: SANDBOX_PAY_PUBLIC_KEY },
      });
    }
  });

  it('sandbox: both public-key variables empty = platform-certificate mode', () => {
    const c = accepted({ ...SANDBOX_VARS, WECHAT_API_VERSION: 'v3', WECHAT_PAY_PUBLIC_KEY: '', WECHAT_PAY_PUBLIC_KEY_ID: '' });
    expect(c.v3?.payPublicKey).toBeNull();
  });

  it('live v2 ignores the v3 variables', () => {
    expect(accepted({ ...LIVE_V3, WECHAT_API_VERSION: 'v2', WECHAT_APIV3_KEY: 'short' }).v3).toBeNull();
  });
});

describe('live v3', () => {
  it('accepts the merchant own keys; the serial is kept upper-case; without a public key: certificates', () => {
    const c = accepted(LIVE_V3);
    expect(c.apiVersion).toBe('v3');
    expect(c.v3).toEqual({
      apiV3Key: LIVE_V3.WECHAT_APIV3_KEY,
      mchPrivateKey: ownPkcs8,
      mchSerial: LIVE_V3.WECHAT_MCH_SERIAL.toUpperCase(),
      payPublicKey: null,
    });
    expect(accepted({ ...LIVE_V3, ...PUBLIC_KEY }).v3?.payPublicKey).toEqual({ id: PUBLIC_KEY.WECHAT_PAY_PUBLIC_KEY_ID, pem: ownSpki });
  });

  it('requires the APIv3 key, the private key and the serial', () => {
    const { WECHAT_APIV3_KEY: _a, WECHAT_MCH_PRIVATE_KEY: _b, WECHAT_MCH_SERIAL: _c, ...rest } = LIVE_V3;
    expect(refused(rest)).toEqual([
      'WECHAT_APIV3_KEY is missing (required with WECHAT_API_VERSION=v3)',
      'WECHAT_MCH_PRIVATE_KEY is missing (required with WECHAT_API_VERSION=v3)',
      'WECHAT_MCH_SERIAL is missing (required with WECHAT_API_VERSION=v3)',
    ]);
  });

  it('refuses every sandbox test key and id', () => {
    expect(
      refused({
        ...LIVE_V3,
        WECHAT_APIV3_KEY: SANDBOX_APIV3_KEY,
        WECHAT_MCH_PRIVATE_KEY: SANDBOX_MCH_PRIVATE_KEY,
        WECHAT_MCH_SERIAL: SANDBOX_MCH_SERIAL,
        WECHAT_PAY_PUBLIC_KEY: SANDBOX_PAY_PUBLIC_KEY,
        WECHAT_PAY_PUBLIC_KEY_ID: SANDBOX_PUB_KEY_ID,
      }),
    ).toEqual([
      'WECHAT_APIV3_KEY is a documented example value and is refused in live mode',
      'WECHAT_MCH_PRIVATE_KEY is a sandbox test key and is refused in live mode',
      'WECHAT_MCH_SERIAL is the sandbox test serial and is refused in live mode',
      'WECHAT_PAY_PUBLIC_KEY_ID is the sandbox test id and is refused in live mode',
      "WECHAT_PAY_PUBLIC_KEY is the sandbox's test key and is refused in live mode",
    ]);
    // The simulator's own signing keys are published too.
    expect(refused({ ...LIVE_V3, WECHAT_MCH_PRIVATE_KEY: SANDBOX_PLATFORM_PRIVATE_KEY })).toEqual([
      'WECHAT_MCH_PRIVATE_KEY is a sandbox test key and is refused in live mode',
    ]);
    // The official SDK test key (docs/wechatpay-v3.md §10 V10).
    expect(refused({ ...LIVE_V3, WECHAT_APIV3_KEY: 'a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb' })).toHaveLength(1);
  });

  it('refuses an APIv3 key that is not exactly 32 bytes (16 would silently be AES-128), or has whitespace', () => {
    expect(refused({ ...LIVE_V3, WECHAT_APIV3_KEY: 'testAPIv3Key0000' })).toEqual(['WECHAT_APIV3_KEY must be exactly 32 bytes']);
    expect(refused({ ...LIVE_V3, WECHAT_APIV3_KEY: `${LIVE_V3.WECHAT_APIV3_KEY}0` })).toEqual(['WECHAT_APIV3_KEY must be exactly 32 bytes']);
    expect(refused({ ...LIVE_V3, WECHAT_APIV3_KEY: 'FAKEliveAPIv3KEY forTESTSonly000' })).toEqual(['WECHAT_APIV3_KEY contains whitespace']);
  });

  it('refuses a PKCS#1 private key with the conversion to make, and other malformed keys', () => {
    const [pkcs1] = refused({ ...LIVE_V3, WECHAT_MCH_PRIVATE_KEY: ownPkcs1 });
    expect(pkcs1).toMatch(/^WECHAT_MCH_PRIVATE_KEY is a PKCS#1 key \(BEGIN RSA PRIVATE KEY\).*openssl pkcs8 -topk8 -nocrypt/);
    const bad = (pem: string) => refused({ ...LIVE_V3, WECHAT_MCH_PRIVATE_KEY: pem });
    expect(bad('not a key at all, just text')).toEqual(['WECHAT_MCH_PRIVATE_KEY is not one PEM block BEGIN PRIVATE KEY with a base64 body']);
    expect(bad(ownPkcs8.replace(/[A-Za-z0-9+/]{10}\n/, '!!!!!!!!!!\n'))).toEqual([
      'WECHAT_MCH_PRIVATE_KEY is not one PEM block BEGIN PRIVATE KEY with a base64 body',
    ]);
    expect(bad(ownPkcs8 + ownPkcs8)).toEqual(['WECHAT_MCH_PRIVATE_KEY is not one PEM block BEGIN PRIVATE KEY with a base64 body']);
    expect(bad(smallKey)).toEqual(['WECHAT_MCH_PRIVATE_KEY is not a PKCS#8 RSA private key of 2048 to 4096 bits']);
    // Truncated DER: the outer SEQUENCE no longer spans the bytes.
    const body = ownPkcs8.split('\n').filter((l) => l && !l.startsWith('-----'));
    const truncated = `-----BEGIN PRIVATE KEY-----\n${body.slice(0, -2).join('\n')}\n-----END PRIVATE KEY-----\n`;
    expect(bad(truncated)).toEqual(['WECHAT_MCH_PRIVATE_KEY is not a PKCS#8 RSA private key of 2048 to 4096 bits']);
    // A public key where the private key belongs.
    expect(bad(ownSpki)).toEqual(['WECHAT_MCH_PRIVATE_KEY is not one PEM block BEGIN PRIVATE KEY with a base64 body']);
  });

  it('the public key and its id: both or neither, each well-formed', () => {
    const half = 'WECHAT_PAY_PUBLIC_KEY and WECHAT_PAY_PUBLIC_KEY_ID must be set together (or neither: platform certificates)';
    expect(refused({ ...LIVE_V3, WECHAT_PAY_PUBLIC_KEY: ownSpki })).toEqual([half]);
    expect(refused({ ...LIVE_V3, WECHAT_PAY_PUBLIC_KEY_ID: PUBLIC_KEY.WECHAT_PAY_PUBLIC_KEY_ID })).toEqual([half]);
    expect(refused({ ...LIVE_V3, ...PUBLIC_KEY, WECHAT_PAY_PUBLIC_KEY: '' })).toEqual([half]);
    expect(refused({ ...LIVE_V3, ...PUBLIC_KEY, WECHAT_PAY_PUBLIC_KEY_ID: '5F1C72E2A8931B72' })).toEqual([
      'WECHAT_PAY_PUBLIC_KEY_ID is not a public key id (PUB_KEY_ID_ and digits)',
    ]);
    expect(refused({ ...LIVE_V3, ...PUBLIC_KEY, WECHAT_PAY_PUBLIC_KEY: ownPkcs8 })).toEqual([
      'WECHAT_PAY_PUBLIC_KEY is not one PEM block BEGIN PUBLIC KEY with a base64 body',
    ]);
    expect(accepted({ ...LIVE_V3, WECHAT_PAY_PUBLIC_KEY: '', WECHAT_PAY_PUBLIC_KEY_ID: '' }).v3?.payPublicKey).toBeNull();
  });

  it('the serial is hex', () => {
    expect(refused({ ...LIVE_V3, WECHAT_MCH_SERIAL: 'serial-0001' })).toEqual(['WECHAT_MCH_SERIAL is not a certificate serial (up to 40 hex digits)']);
  });

  it('the APIv3 key and the private key are secrets the log scrubber knows (whole, and the PEM body alone)', () => {
    const secrets = configuredSecrets(LIVE_V3);
    expect(secrets).toContain(LIVE_V3.WECHAT_APIV3_KEY);
    expect(secrets).toContain(ownPkcs8);
    const body = ownPkcs8.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    expect(secrets).toContain(body);
    expect(secrets).not.toContain(LIVE_V3.WECHAT_MCH_SERIAL);
  });
});
