/**
 * How the simulator signs as WeChat Pay under API v3 (docs/wechatpay-v3.md §3, §4): responses and
 * notifies carry Wechatpay-Timestamp/-Nonce/-Signature/-Serial/-Signature-Type over
 * `TIMESTAMP\nNONCE\nBODY\n`, signed with one of its two test-only keys (core/sandbox-v3-keys.ts): the
 * WeChat Pay public key's private half (serial `PUB_KEY_ID_…`) or the platform certificate's. Which one
 * is the signer mode, a simulator setting (`POST /sandbox/sim/v3/signer`).
 */
import {
  bytesToHex,
  importSigningKey,
  rsaSign,
  SANDBOX_MCH_PRIVATE_KEY,
  SANDBOX_PAY_PRIVATE_KEY,
  SANDBOX_PLATFORM_PRIVATE_KEY,
  SANDBOX_PLATFORM_SERIAL,
  SANDBOX_PUB_KEY_ID,
  V3_AUTH_SCHEME,
  v3SignedMessage,
} from '../../core';

/**
 * `public_key`: everything signed with the WeChat Pay public key (微信支付公钥, new merchants; the default).
 * `certificate`: with the platform certificate (平台证书, older merchants).
 * `switching`: a merchant migrating (§4.3): responses follow the request's `Wechatpay-Serial`
 * (`PUB_KEY_ID_…` → public key, absent or the certificate serial → certificate); notifies alternate,
 * the first public key, the next certificate, and so on.
 * `public_key_only`: as `public_key`, and `GET /v3/certificates` finds no platform certificate (404).
 */
export const SIGNER_MODES = ['public_key', 'certificate', 'switching', 'public_key_only'] as const;
export type SignerMode = (typeof SIGNER_MODES)[number];
export const DEFAULT_SIGNER_MODE: SignerMode = 'public_key';

/** One of the simulator's two signing keys. */
export type SimKey = 'public_key' | 'certificate';

/** Any signer: the simulator's own keys by name, or a private key (PKCS#8 PEM) and the serial to name. */
export type V3Signer = SimKey | { readonly serial: string; readonly privateKey: string };

const SIM_KEYS: Readonly<Record<SimKey, { serial: string; privateKey: string }>> = {
  public_key: { serial: SANDBOX_PUB_KEY_ID, privateKey: SANDBOX_PAY_PRIVATE_KEY },
  certificate: { serial: SANDBOX_PLATFORM_SERIAL, privateKey: SANDBOX_PLATFORM_PRIVATE_KEY },
};

/** The platform certificate's validity (its notBefore/notAfter; test/peer checks them against the PEM). */
export const PLATFORM_CERT_VALIDITY = { notBefore: '2026-12-07T18:54:24Z', notAfter: '2036-12-04T18:54:24Z' } as const;

/** What the `sign` tamper scenario signs with: a real RSA key that is not WeChat's (the sandbox merchant's). */
export const WRONG_SIGNING_KEY = SANDBOX_MCH_PRIVATE_KEY;

const keys = new Map<string, Promise<CryptoKey>>();

/** A PKCS#8 signing key, imported once per isolate. */
export function signingKey(pem: string): Promise<CryptoKey> {
  let k = keys.get(pem);
  if (!k) {
    k = importSigningKey(pem);
    k.catch(() => keys.delete(pem));
    keys.set(pem, k);
  }
  return k;
}

export const serialOf = (key: SimKey): string => SIM_KEYS[key].serial;

/** Which key signs a response: in `switching` mode the request's Wechatpay-Serial decides. */
export function responseKey(mode: SignerMode, requestSerial: string | null): SimKey {
  if (mode === 'certificate') return 'certificate';
  if (mode === 'switching') return requestSerial === SANDBOX_PUB_KEY_ID ? 'public_key' : 'certificate';
  return 'public_key';
}

/** Which key signs the `seq`-th notify (0, 1, …): in `switching` mode they alternate, public key first. */
export function notifyKey(mode: SignerMode, seq: number): SimKey {
  if (mode === 'certificate') return 'certificate';
  if (mode === 'switching') return seq % 2 === 0 ? 'public_key' : 'certificate';
  return 'public_key';
}

/** A `Wechatpay-Serial` request header the simulator accepts: none, or one of its two keys (§4.3). */
export const knownSerial = (serial: string | null): boolean => serial === null || serial === SANDBOX_PUB_KEY_ID || serial === SANDBOX_PLATFORM_SERIAL;

function randomHex(bytes: number): string {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return bytesToHex(b);
}

/** A `Request-ID` header value, unique per answer (docs/wechatpay-v3.md §1). */
export const newRequestId = (): string => randomHex(20).toUpperCase();

export interface SignatureOptions {
  /** Unix seconds; default now (real time: the merchant checks it against its own clock, not the sandbox clock). */
  timestamp?: number;
  nonce?: string;
}

/** The five Wechatpay-* headers over `body` (the exact bytes sent; '' for a 204). */
export async function v3SignatureHeaders(body: string | Uint8Array, signer: V3Signer, opts: SignatureOptions = {}): Promise<Record<string, string>> {
  const { serial, privateKey } = typeof signer === 'string' ? SIM_KEYS[signer] : signer;
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? randomHex(16);
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const signature = await rsaSign(await signingKey(privateKey), v3SignedMessage(timestamp, nonce, bytes));
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signature,
    'Wechatpay-Serial': serial,
    'Wechatpay-Signature-Type': V3_AUTH_SCHEME,
  };
}
