// Standard base64 (RFC 4648 §4, padded) of bytes: API v3 signatures, AES-GCM ciphertexts, PEM bodies.

export function base64Encode(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes, or null for anything that is not canonical padded base64 (no whitespace, no url alphabet). */
export function base64Decode(encoded: string): Uint8Array<ArrayBuffer> | null {
  if (!BASE64.test(encoded)) return null;
  const bin = atob(encoded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
