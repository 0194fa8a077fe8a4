// API v3's one signature primitive (docs/wechatpay-v3.md §2–§3): RSASSA-PKCS1-v1_5 with SHA-256 over
// newline-terminated lines, base64. Requests, responses, notifies and the client pay params all use it.
import { base64Decode, base64Encode } from './base64';
import { pemToDer } from './pem';

const RSA_PKCS1 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const UTF8 = new TextEncoder();

/** The merchant's API private key (`apiclient_key.pem`, PKCS#8) for signing. Rejects anything else (never throws synchronously). */
export async function importSigningKey(pkcs8Pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', pemToDer(pkcs8Pem, 'PRIVATE KEY'), RSA_PKCS1, false, ['sign']);
}

/** A public key (SPKI PEM or DER: the WeChat Pay public key, a certificate's key) for verifying. */
export async function importVerifyingKey(spki: string | Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  const der = typeof spki === 'string' ? pemToDer(spki, 'PUBLIC KEY') : spki;
  return crypto.subtle.importKey('spki', der, RSA_PKCS1, true, ['verify']);
}

/** Each part followed by `\n`, the last included: the signed message of every v3 signature. */
export function v3Lines(...parts: readonly string[]): string {
  return parts.map((p) => p + '\n').join('');
}

/** base64 RSASSA-PKCS1-v1_5/SHA-256 of `message` (UTF-8 text, or bytes as received). Deterministic. */
export async function rsaSign(key: CryptoKey, message: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const data = typeof message === 'string' ? UTF8.encode(message) : message;
  return base64Encode(new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, data)));
}

/** Whether `signature` (base64, exactly one RSA block) signs `message`. Any malformation is false. */
export async function rsaVerify(key: CryptoKey, message: string | Uint8Array<ArrayBuffer>, signature: string): Promise<boolean> {
  const sig = base64Decode(signature);
  const modulusBytes = ((key.algorithm as { modulusLength?: number }).modulusLength ?? 2048) / 8;
  if (!sig || sig.length !== modulusBytes) return false;
  const data = typeof message === 'string' ? UTF8.encode(message) : message;
  try {
    return await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, sig, data);
  } catch {
    return false;
  }
}

/**
 * The SPKI DER of a PKCS#8 RSA private key's public half (via JWK: n and e), so that configuring the
 * private key alone is enough for whoever must verify the merchant's signatures (the simulator).
 */
export async function publicKeyOfPrivateKey(pkcs8Pem: string): Promise<Uint8Array<ArrayBuffer>> {
  const priv = await crypto.subtle.importKey('pkcs8', pemToDer(pkcs8Pem, 'PRIVATE KEY'), RSA_PKCS1, true, ['sign']);
  const jwk = (await crypto.subtle.exportKey('jwk', priv)) as JsonWebKey;
  const pub = await crypto.subtle.importKey('jwk', { kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RS256', ext: true }, RSA_PKCS1, true, ['verify']);
  return new Uint8Array((await crypto.subtle.exportKey('spki', pub)) as ArrayBuffer);
}
