// RSA-OAEP (SHA-1, MGF1) for API v3's sensitive fields (docs/wechatpay-v3.md §5.2): encrypted with
// the WeChat Pay public key or a platform certificate's key, decrypted with the merchant's key.
import { base64Decode, base64Encode } from './base64';
import { pemToDer } from './pem';

const OAEP = { name: 'RSA-OAEP', hash: 'SHA-1' } as const;
/** RSA-2048 with SHA-1 OAEP: 256 − 2·20 − 2 bytes per block. */
export const OAEP_MAX_BYTES = 214;

export async function oaepEncrypt(spki: string | Uint8Array<ArrayBuffer>, plaintext: string): Promise<string> {
  const data = new TextEncoder().encode(plaintext);
  if (data.length > OAEP_MAX_BYTES) throw new RangeError('too long for one RSA-OAEP block');
  const der = typeof spki === 'string' ? pemToDer(spki, 'PUBLIC KEY') : spki;
  const key = await crypto.subtle.importKey('spki', der, OAEP, false, ['encrypt']);
  return base64Encode(new Uint8Array(await crypto.subtle.encrypt('RSA-OAEP', key, data)));
}

export async function oaepDecrypt(pkcs8Pem: string, ciphertext: string): Promise<string> {
  const data = base64Decode(ciphertext);
  if (!data) throw new RangeError('ciphertext is not base64');
  const key = await crypto.subtle.importKey('pkcs8', pemToDer(pkcs8Pem, 'PRIVATE KEY'), OAEP, false, ['decrypt']);
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(await crypto.subtle.decrypt('RSA-OAEP', key, data));
}
