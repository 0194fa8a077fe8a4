// AEAD_AES_256_GCM resources of API v3 (docs/wechatpay-v3.md §5.1): notify payloads and the platform
// certificate list. Key: the APIv3 key's 32 ASCII bytes; IV: the 12-character nonce; AAD:
// associated_data; data: ciphertext ‖ 16-byte tag, base64.
import { base64Decode, base64Encode } from './base64';

export const AES_GCM_ALGORITHM = 'AEAD_AES_256_GCM';

export interface EncryptedResource {
  readonly algorithm: string;
  readonly ciphertext: string;
  readonly nonce: string;
  readonly associated_data?: string;
  readonly original_type?: string;
}

const UTF8 = new TextEncoder();
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The APIv3 key as an AES-GCM key. Exactly 32 bytes: with 16 WebCrypto would silently run AES-128,
 * so shorter keys throw (`allowAes128` exists only for the official vectors made with one).
 */
export function importApiV3Key(apiV3Key: string, { allowAes128 = false } = {}): Promise<CryptoKey> {
  const raw = UTF8.encode(apiV3Key);
  if (raw.length !== 32 && !(allowAes128 && raw.length === 16)) throw new RangeError('the APIv3 key must be 32 bytes');
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** The plaintext (strict UTF-8). Throws on another algorithm or any authentication failure. */
export async function decryptResource(key: CryptoKey, r: EncryptedResource): Promise<string> {
  if (r.algorithm !== AES_GCM_ALGORITHM) throw new RangeError('unsupported resource algorithm');
  const data = base64Decode(r.ciphertext);
  const iv = UTF8.encode(r.nonce);
  if (!data || data.length < 16 || iv.length !== 12) throw new RangeError('malformed resource');
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: UTF8.encode(r.associated_data ?? ''), tagLength: 128 }, key, data);
  return STRICT_UTF8.decode(plain);
}

/** What WeChat does: the simulator's notifies and certificate list, and tests. `nonce`: 12 ASCII characters. */
export async function encryptResource(
  key: CryptoKey,
  plaintext: string,
  nonce: string,
  associatedData: string,
  originalType?: string,
): Promise<EncryptedResource> {
  const iv = UTF8.encode(nonce);
  if (iv.length !== 12) throw new RangeError('the nonce must be 12 bytes');
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: UTF8.encode(associatedData), tagLength: 128 }, key, UTF8.encode(plaintext));
  return {
    algorithm: AES_GCM_ALGORITHM,
    ciphertext: base64Encode(new Uint8Array(sealed)),
    nonce,
    associated_data: associatedData,
    ...(originalType ? { original_type: originalType } : {}),
  };
}
