/**
 * The parameters of `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` (docs/wechatpay-v2.md §7).
 * paySign is a new signature, by the same signer, over exactly the five other fields.
 */
import { isSignType, signParams, type SignType } from './sign';

export interface JsapiPayParams {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: SignType;
  paySign: string;
}

interface JsapiSigner {
  appId: string;
  /** The APIv2 key. */
  key: string;
  /** Must equal the `sign_type` the order was placed (unifiedorder) with. */
  signType: SignType;
}

/** Printable ASCII without spaces: outbound values never carry whitespace (§3.3). */
const TOKEN = /^[\x21-\x7e]+$/;
const NONCE = /^[A-Za-z0-9]{1,32}$/;
const SECONDS = /^[0-9]{1,12}$/;

/**
 * `timeStamp` is epoch seconds (a string, or a safe integer that is stringified); the caller passes
 * it in because the core has no clock. Invalid arguments throw RangeError: they are programming
 * errors, never client input.
 */
export async function jsapiPayParams(
  prepayId: string,
  { appId, key, signType }: JsapiSigner,
  timeStamp: string | number,
  nonceStr: string,
): Promise<JsapiPayParams> {
  const ts = typeof timeStamp === 'number' && Number.isSafeInteger(timeStamp) ? String(timeStamp) : timeStamp;
  if (typeof prepayId !== 'string' || !TOKEN.test(prepayId)) throw new RangeError('invalid prepay_id');
  if (typeof appId !== 'string' || !TOKEN.test(appId)) throw new RangeError('invalid appId');
  if (typeof ts !== 'string' || !SECONDS.test(ts)) throw new RangeError('timeStamp must be epoch seconds');
  if (typeof nonceStr !== 'string' || !NONCE.test(nonceStr)) throw new RangeError('nonceStr must be 1-32 alphanumerics');
  if (!isSignType(signType)) throw new RangeError('unsupported signType');
  const fields = { appId, timeStamp: ts, nonceStr, package: 'prepay_id=' + prepayId, signType };
  return { ...fields, paySign: await signParams(fields, key, signType) };
}
