/**
 * The refund notify's `req_info` (docs/wechatpay-v2.md §13): AES-256-ECB with PKCS#7 padding, keyed with
 * the 32 ASCII bytes of lowercase-hex MD5(API key). WebCrypto has no ECB, so each block goes through
 * AES-CBC with a zero IV (§13.3). Every failure is a DecryptError whose message names the failed
 * step only: never key material, ciphertext or plaintext.
 */
import { DecryptError, XmlError } from './errors';
import { md5Hex } from './md5';
import { buildXml, parseXml } from './xml';

const BLOCK = 16;
const ZERO_IV = new Uint8Array(BLOCK);
const utf8 = new TextEncoder();

function aesKey(apiKey: string): Promise<CryptoKey> {
  if (typeof apiKey !== 'string' || apiKey === '') throw new DecryptError('no API key configured');
  const raw = utf8.encode(md5Hex(apiKey)); // 32 ASCII bytes → AES-256
  return crypto.subtle.importKey('raw', raw, { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']);
}

/** AES of one block: CBC-encrypt with a zero IV and keep the first block (the rest is padding). */
async function encryptBlock(key: CryptoKey, block: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const out = await crypto.subtle.encrypt({ name: 'AES-CBC', iv: ZERO_IV }, key, block);
  return new Uint8Array(out, 0, BLOCK);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/**
 * Strict RFC 4648 base64: the standard alphabet, length a multiple of 4, `=` only as the final one
 * or two characters, zero unused bits, no whitespace. Anything else is refused rather than guessed.
 */
function decodeBase64(text: string): Uint8Array {
  const fail = () => new DecryptError('req_info is not valid base64');
  if (typeof text !== 'string' || text.length === 0 || text.length % 4 !== 0) throw fail();
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  const digits = text.length - pad;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < digits; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64_VALUE[c]! : -1;
    if (v < 0) throw fail();
    acc = (acc << 6) | v;
    if ((i & 3) === 3) {
      out[o++] = acc >>> 16;
      out[o++] = (acc >>> 8) & 0xff;
      out[o++] = acc & 0xff;
      acc = 0;
    }
  }
  if (pad === 2) {
    if ((acc & 0x0f) !== 0) throw fail();
    out[o] = acc >>> 4;
  } else if (pad === 1) {
    if ((acc & 0x03) !== 0) throw fail();
    out[o++] = acc >>> 10;
    out[o] = (acc >>> 2) & 0xff;
  }
  return out;
}

function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + B64[(n >>> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + B64[(n >>> 6) & 63]! + '=';
  }
  return out;
}

/** Raw AES-256-ECB decryption of whole blocks, without unpadding (§13.3 steps 1–3). */
async function ecbDecrypt(key: CryptoKey, c: Uint8Array): Promise<Uint8Array> {
  const n = c.length;
  // E = AES(C_last ⊕ 0x10…): appended after C, its CBC decryption is a full PKCS#7 padding block,
  // so WebCrypto's own unpadding succeeds and removes exactly that block.
  const tweaked = c.slice(n - BLOCK);
  for (let i = 0; i < BLOCK; i++) tweaked[i]! ^= BLOCK;
  const extended = new Uint8Array(n + BLOCK);
  extended.set(c);
  extended.set(await encryptBlock(key, tweaked), n);
  const p = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: ZERO_IV }, key, extended));
  if (p.length !== n) throw new DecryptError('req_info could not be decrypted');
  // CBC XORs each block with the previous ciphertext block (the IV for the first); undo it.
  for (let i = BLOCK; i < n; i++) p[i]! ^= c[i - BLOCK]!;
  return p;
}

/** PKCS#7: the last byte p is 1..16 and the last p bytes all equal p. A wrong key fails here. */
function unpad(d: Uint8Array): Uint8Array {
  const p = d[d.length - 1]!;
  let bad = p < 1 || p > BLOCK ? 1 : 0;
  for (let i = d.length - Math.min(p, BLOCK); i < d.length; i++) bad |= d[i]! ^ p;
  if (bad !== 0) throw new DecryptError('req_info padding is invalid (wrong key or corrupted data)');
  return d.subarray(0, d.length - p);
}

/**
 * AES-256-ECB/PKCS#7 decryption of base64 `req_info` to its UTF-8 text. Throws DecryptError (code
 * DECRYPT_FAILED) for bad base64, a length that is not a whole number of blocks, a wrong key or bad
 * padding, or invalid UTF-8.
 */
export async function decryptReqInfoText(reqInfoBase64: string, apiKey: string): Promise<string> {
  try {
    const c = decodeBase64(reqInfoBase64);
    if (c.length === 0 || c.length % BLOCK !== 0) {
      throw new DecryptError('req_info is not a whole number of AES blocks');
    }
    const plain = unpad(await ecbDecrypt(await aesKey(apiKey), c));
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(plain);
    } catch {
      throw new DecryptError('req_info plaintext is not valid UTF-8');
    }
  } catch (e) {
    if (e instanceof DecryptError) throw e;
    throw new DecryptError('req_info could not be decrypted');
  }
}

/** The inverse of decryptReqInfoText: UTF-8, PKCS#7 padding, AES-256-ECB per block, base64. */
export async function encryptReqInfoText(plaintext: string, apiKey: string): Promise<string> {
  const text = utf8.encode(plaintext);
  const p = BLOCK - (text.length % BLOCK);
  const padded = new Uint8Array(text.length + p);
  padded.set(text);
  padded.fill(p, text.length);
  const key = await aesKey(apiKey);
  const blocks: Promise<Uint8Array>[] = [];
  for (let i = 0; i < padded.length; i += BLOCK) blocks.push(encryptBlock(key, padded.subarray(i, i + BLOCK)));
  const out = new Uint8Array(padded.length);
  (await Promise.all(blocks)).forEach((b, i) => out.set(b, i * BLOCK));
  return encodeBase64(out);
}

/**
 * Decrypts a refund notify's `req_info` and parses the `<root>` plaintext with the strict XML
 * rules. Every failure, including a plaintext that is not one valid flat `<root>` message, is a
 * DecryptError (code DECRYPT_FAILED).
 */
export async function decryptRefundInfo(reqInfoBase64: string, apiKey: string): Promise<Record<string, string>> {
  const text = await decryptReqInfoText(reqInfoBase64, apiKey);
  try {
    return parseXml(text, { root: 'root' });
  } catch (e) {
    const code = e instanceof XmlError ? e.code : 'XML_MALFORMED';
    throw new DecryptError(`req_info plaintext is not a valid <root> message (${code})`);
  }
}

/**
 * The inverse, for the simulator: the `<root>` XML of `fields` (buildXml), encrypted as above.
 * Invalid fields throw buildXml's XmlError; a missing key throws DecryptError.
 */
export async function encryptRefundInfo(fields: Record<string, string | number>, apiKey: string): Promise<string> {
  return encryptReqInfoText(buildXml(fields, 'root'), apiKey);
}
