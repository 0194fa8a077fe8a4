const utf8 = new TextEncoder();

/**
 * Imported HMAC keys by key string. Almost always one or two entries (the API key, our own token
 * secret); the cap keeps a misuse with many keys from growing it without bound. Promises are cached
 * so that concurrent first uses share one import.
 */
const hmacKeys = new Map<string, Promise<CryptoKey>>();
const HMAC_KEY_CACHE_MAX = 8;

function hmacKey(key: string): Promise<CryptoKey> {
  let cached = hmacKeys.get(key);
  if (cached === undefined) {
    if (hmacKeys.size >= HMAC_KEY_CACHE_MAX) hmacKeys.delete(hmacKeys.keys().next().value!);
    cached = crypto.subtle.importKey('raw', utf8.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    cached.catch(() => hmacKeys.delete(key));
    hmacKeys.set(key, cached);
  }
  return cached;
}

/** HMAC-SHA256 of the UTF-8 message under the UTF-8 key, via WebCrypto. */
export async function hmacSha256(key: string, message: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(key), utf8.encode(message)));
}
