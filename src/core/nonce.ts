/** Random nonces (`nonce_str`, paySign's `nonceStr`) from crypto.getRandomValues, never Math.random. */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 248 = 4 × 62: bytes at or above it are discarded, so every character is equally likely. */
const UNBIASED_LIMIT = 256 - (256 % ALPHABET.length);

/** `length` (1..32, WeChat's limit) uniformly random alphanumeric characters. */
export function nonceStr(length = 32): string {
  if (!Number.isInteger(length) || length < 1 || length > 32) {
    throw new RangeError('nonceStr length must be an integer from 1 to 32');
  }
  const bytes = new Uint8Array(64);
  let out = '';
  while (out.length < length) {
    crypto.getRandomValues(bytes);
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const b = bytes[i]!;
      if (b < UNBIASED_LIMIT) out += ALPHABET[b % ALPHABET.length];
    }
  }
  return out;
}
