/**
 * WeChat's checks on every API v3 merchant request (docs/wechatpay-v3.md §1, §2), before anything is
 * read or changed: `Accept` and `User-Agent` present (else 400 INVALID_REQUEST), then the `Authorization`
 * header — its scheme and five pairs, the merchant's mchid, the merchant API certificate's serial, a
 * timestamp within ±5 minutes of real time, and the signature over `METHOD\nPATH?QUERY\nTS\nNONCE\nBODY\n`
 * under the merchant's public key (else 401 SIGN_ERROR). The message WeChat rebuilt is shown in the
 * detail, as WeChat does; the signature it expected never is.
 */
import { importVerifyingKey, parseV3Authorization, publicKeyOfPrivateKey, rsaVerify, V3_TIMESTAMP_WINDOW_S, v3Lines } from '../../core';
import type { SimMerchant } from '../settings';
import { v3Error, type V3Error } from './errors';

const keys = new Map<string, Promise<CryptoKey>>();

/** The public half of the merchant's API key (verifies its requests and its RSA pay parameters), once per isolate. */
export function merchantVerifyingKey(m: SimMerchant): Promise<CryptoKey> {
  const pem = m.v3.mchPrivateKey;
  let k = keys.get(pem);
  if (!k) {
    k = publicKeyOfPrivateKey(pem).then((der) => importVerifyingKey(der));
    k.catch(() => keys.delete(pem));
    keys.set(pem, k);
  }
  return k;
}

const SHOWN_MESSAGE_CHARS = 256;

const signError = (issue: string, extra: Record<string, unknown> = {}): V3Error =>
  v3Error(401, 'SIGN_ERROR', '签名错误', { field: 'Authorization', location: 'header', issue, ...extra });

export interface SignedRequest {
  method: string;
  /** Path and query exactly as sent (the request line), which the merchant signed. */
  canonicalUrl: string;
  headers: Headers;
  /** The body text exactly as received ('' for GET). */
  body: string;
}

/** null when WeChat would accept the request; otherwise its answer. `nowSeconds` is real time. */
export async function authenticate(r: SignedRequest, m: SimMerchant, nowSeconds: number): Promise<V3Error | null> {
  if (!r.headers.get('Accept') || !r.headers.get('User-Agent')) return v3Error(400, 'INVALID_REQUEST', 'Http头缺少Accept或User-Agent');
  const auth = parseV3Authorization(r.headers.get('Authorization'));
  if (!auth) return signError('Authorization头缺失或格式错误（WECHATPAY2-SHA256-RSA2048 mchid,nonce_str,signature,timestamp,serial_no）');
  if (auth.mchid !== m.mchId) return signError('mchid与商户号不一致');
  if (auth.serial_no.toUpperCase() !== m.v3.mchSerial.toUpperCase()) return signError('serial_no不是商户API证书的序列号');
  if (!/^[0-9]{1,12}$/.test(auth.timestamp) || Math.abs(nowSeconds - Number(auth.timestamp)) > V3_TIMESTAMP_WINDOW_S)
    return signError('timestamp与当前时间相差超过5分钟');
  // The timestamp as sent, not re-formatted: what the merchant signed.
  const message = v3Lines(r.method, r.canonicalUrl, auth.timestamp, auth.nonce_str, r.body);
  if (await rsaVerify(await merchantVerifyingKey(m), message, auth.signature)) return null;
  return signError('sign not match', {
    sign_information: {
      method: r.method,
      url: r.canonicalUrl,
      sign_message_length: new TextEncoder().encode(message).length,
      truncated_sign_message: message.slice(0, SHOWN_MESSAGE_CHARS),
    },
  });
}
