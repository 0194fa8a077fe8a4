// base64url MACs for our own tokens (checkout links, OAuth cookies). Each purpose has its own key,
// derived from the configured secret by HKDF with the purpose as label: a token seen by a browser
// is never a MAC keyed with the secret itself, and one purpose's tokens cannot stand for another's.
import { base64urlEncode, purposeKeyBytes } from '../../core';

type MacPurpose = 'checkout-link' | 'oauth-openid' | 'oauth-state';

/** Derived, imported keys by purpose and secret; promises, so concurrent first uses share one derivation. */
const keys = new Map<string, Promise<CryptoKey>>();
const KEY_CACHE_MAX = 16;

function purposeKey(secret: string, purpose: MacPurpose): Promise<CryptoKey> {
  const id = `${purpose}\n${secret}`;
  let cached = keys.get(id);
  if (cached === undefined) {
    if (keys.size >= KEY_CACHE_MAX) keys.delete(keys.keys().next().value!);
    cached = purposeKeyBytes(secret, `wxpay-edge ${purpose}`).then((raw) =>
      crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
    );
    cached.catch(() => keys.delete(id));
    keys.set(id, cached);
  }
  return cached;
}

export async function purposeMac(secret: string, purpose: MacPurpose, message: string): Promise<string> {
  const tag = await crypto.subtle.sign('HMAC', await purposeKey(secret, purpose), new TextEncoder().encode(message));
  return base64urlEncode(new Uint8Array(tag));
}
