// Standard base64 (RFC 4648 §4, padded) of bytes: API v3 signatures, AES-GCM ciphertexts, PEM bodies.

export function base64Encode(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

// The character before the padding carries bits past the last byte; RFC 4648 §3.5 makes them zero in a
// canonical encoding, so only `[AQgw]==` and `[AEIMQUYcgkosw048]=` may end it. Without this check `QR==`
// decoded like `QQ==` (atob ignores those bits), and one signature had several accepted spellings.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/;

/** The bytes, or null for anything that is not canonical padded base64 (no whitespace, no url alphabet, zero pad bits). */
export function base64Decode(encoded: string): Uint8Array<ArrayBuffer> | null {
  if (!BASE64.test(encoded)) return null;
  const bin = atob(encoded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
