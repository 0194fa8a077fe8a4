// base64url HMAC-SHA256 for our own tokens (checkout links, OAuth session cookies), on the core primitive.
import { hmacSha256 } from '../core';

/** base64url (RFC 4648 §5), no padding. */
export function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function hmacBase64url(secret: string, message: string): Promise<string> {
  return base64url(await hmacSha256(secret, message));
}
