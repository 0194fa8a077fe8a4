// HMAC-SHA256 with base64url output, for our own tokens (checkout links, OAuth session cookies).
const keys = new Map<string, Promise<CryptoKey>>();

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keys.set(secret, key);
  }
  return key;
}

/** base64url (RFC 4648 §5), no padding. */
export function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function hmacBase64url(secret: string, message: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await keyFor(secret), new TextEncoder().encode(message));
  return base64url(new Uint8Array(mac));
}
