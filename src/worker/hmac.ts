// base64url HMAC-SHA256 for our own tokens (checkout links, OAuth session cookies), on the core primitive.
import { base64urlEncode, hmacSha256 } from '../core';

export async function hmacBase64url(secret: string, message: string): Promise<string> {
  return base64urlEncode(await hmacSha256(secret, message));
}
