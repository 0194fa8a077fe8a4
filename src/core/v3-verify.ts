// Verifying what WeChat Pay signs in API v3 (docs/wechatpay-v3.md §3): responses and notifies carry
// Wechatpay-Timestamp/-Nonce/-Signature/-Serial over `TIMESTAMP\nNONCE\nBODY\n`, the body as the
// raw bytes received. The key is chosen by serial (a PUB_KEY_ID_… or a certificate serial).
import { rsaVerify } from './v3-rsa';
import { V3_AUTH_SCHEME } from './v3-auth';

/** ±5 minutes between the signed timestamp and our clock (project rule, both SDKs' bound). */
export const V3_TIMESTAMP_WINDOW_S = 300;

export interface V3SignedHeaders {
  readonly timestamp: string | null;
  readonly nonce: string | null;
  readonly signature: string | null;
  readonly serial: string | null;
  readonly signatureType: string | null;
}

export function v3SignedHeaders(headers: Headers): V3SignedHeaders {
  return {
    timestamp: headers.get('wechatpay-timestamp'),
    nonce: headers.get('wechatpay-nonce'),
    signature: headers.get('wechatpay-signature'),
    serial: headers.get('wechatpay-serial'),
    signatureType: headers.get('wechatpay-signature-type'),
  };
}

export type V3VerifyFailure = 'SIGNATURE_MISSING' | 'SIGNATURE_TYPE' | 'TIMESTAMP_STALE' | 'SERIAL_UNKNOWN' | 'SIGNATURE_INVALID';
export type V3Verification = { readonly ok: true; readonly serial: string } | { readonly ok: false; readonly reason: V3VerifyFailure };

/** `TIMESTAMP\nNONCE\n` + body bytes + `\n`, never re-serialised. */
export function v3SignedMessage(timestamp: string, nonce: string, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = new TextEncoder().encode(`${timestamp}\n${nonce}\n`);
  const out = new Uint8Array(head.length + body.length + 1);
  out.set(head, 0);
  out.set(body, head.length);
  out[out.length - 1] = 0x0a;
  return out;
}

const SECONDS = /^[0-9]{1,12}$/;
const NONCE = /^[\x21-\x7e]{1,64}$/;
const SERIAL = /^[0-9A-Za-z_]{1,64}$/;

/**
 * Fails closed on a missing header, another signature type, a timestamp outside the window, a serial
 * with no key, or a signature that does not verify. Nothing looks at a `WECHATPAY/SIGNTEST/` prefix:
 * such probes simply fail verification (§3.3).
 */
export async function verifyV3Signature(
  h: V3SignedHeaders,
  body: Uint8Array,
  keyFor: (serial: string) => Promise<CryptoKey | null> | CryptoKey | null,
  nowSeconds: number,
): Promise<V3Verification> {
  const { timestamp, nonce, signature, serial } = h;
  if (!timestamp || !nonce || !signature || !serial || !SECONDS.test(timestamp) || !NONCE.test(nonce) || !SERIAL.test(serial)) {
    return { ok: false, reason: 'SIGNATURE_MISSING' };
  }
  if (h.signatureType !== null && h.signatureType !== V3_AUTH_SCHEME) return { ok: false, reason: 'SIGNATURE_TYPE' };
  if (Math.abs(nowSeconds - Number(timestamp)) > V3_TIMESTAMP_WINDOW_S) return { ok: false, reason: 'TIMESTAMP_STALE' };
  const key = await keyFor(serial);
  if (!key) return { ok: false, reason: 'SERIAL_UNKNOWN' };
  const ok = await rsaVerify(key, v3SignedMessage(timestamp, nonce, body), signature);
  return ok ? { ok: true, serial } : { ok: false, reason: 'SIGNATURE_INVALID' };
}
