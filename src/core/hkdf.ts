// HKDF-SHA256 (RFC 5869) via WebCrypto: one secret, many independent keys, each bound to a purpose
// label, so a value made with one key says nothing about the secret or about the other keys.

const utf8 = new TextEncoder();
/** TextEncoder's bytes always sit in a plain ArrayBuffer; the DOM typings do not say so. */
const bytes = (text: string) => utf8.encode(text) as Uint8Array<ArrayBuffer>;

/** `length` bytes of HKDF-SHA256 output for `ikm`, `salt` and `info`. */
export async function hkdfSha256(
  ikm: Uint8Array<ArrayBuffer>,
  salt: Uint8Array<ArrayBuffer>,
  info: Uint8Array<ArrayBuffer>,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const base = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, base, length * 8));
}

/** The salt of every key we derive: fixed, so the same secret and label always give the same key. */
const SALT = bytes('wxpay-edge/v1');

/** A 32-byte key derived from a configured secret (UTF-8) for one purpose label. */
export function purposeKeyBytes(secret: string, label: string): Promise<Uint8Array<ArrayBuffer>> {
  return hkdfSha256(bytes(secret), SALT, bytes(label), 32);
}
