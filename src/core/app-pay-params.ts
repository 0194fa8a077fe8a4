/**
 * The parameters of the APP's OpenSDK `PayReq` under API v2 (docs/wechatpay-v2.md §23.4): `appid` (the
 * open-platform mobile app's, the order's own), `partnerid` (= mch_id), `prepayid`, `package` =
 * `Sign=WXPay`, `noncestr`, `timestamp`, and `sign`: the v2 signature (sign.ts) over exactly those six
 * lower-case names, under the sign type the order was placed (unifiedorder) with.
 */
import { isSignType, signParams, type SignType } from './sign';

/** The fixed `package` of an APP PayReq. */
export const APP_PAY_PACKAGE = 'Sign=WXPay';

export interface AppPayParams {
  appid: string;
  partnerid: string;
  prepayid: string;
  package: typeof APP_PAY_PACKAGE;
  noncestr: string;
  timestamp: string;
  sign: string;
}

interface AppPaySigner {
  /** The mobile app's appid: the one the order was placed under. */
  appId: string;
  mchId: string;
  /** The APIv2 key. */
  key: string;
  /** Must equal the `sign_type` the order was placed (unifiedorder) with. */
  signType: SignType;
}

/** Printable ASCII without spaces: outbound values never carry whitespace (wechatpay-v2.md §3.3). */
const TOKEN = /^[\x21-\x7e]+$/;
const NONCE = /^[A-Za-z0-9]{1,32}$/;
const SECONDS = /^[0-9]{1,12}$/;

/**
 * `timestamp` is epoch seconds (a string, or a safe integer that is stringified); the caller passes it
 * because the core has no clock. Invalid arguments throw RangeError: they are programming errors,
 * never client input.
 */
export async function appPayParams(
  prepayId: string,
  { appId, mchId, key, signType }: AppPaySigner,
  timestamp: string | number,
  noncestr: string,
): Promise<AppPayParams> {
  const ts = typeof timestamp === 'number' && Number.isSafeInteger(timestamp) ? String(timestamp) : timestamp;
  if (typeof prepayId !== 'string' || !TOKEN.test(prepayId)) throw new RangeError('invalid prepay_id');
  if (typeof appId !== 'string' || !TOKEN.test(appId)) throw new RangeError('invalid appid');
  if (typeof mchId !== 'string' || !TOKEN.test(mchId)) throw new RangeError('invalid mch_id');
  if (typeof ts !== 'string' || !SECONDS.test(ts)) throw new RangeError('timestamp must be epoch seconds');
  if (typeof noncestr !== 'string' || !NONCE.test(noncestr)) throw new RangeError('noncestr must be 1-32 alphanumerics');
  if (!isSignType(signType)) throw new RangeError('unsupported sign type');
  const fields = { appid: appId, partnerid: mchId, prepayid: prepayId, package: APP_PAY_PACKAGE, noncestr, timestamp: ts } as const;
  return { ...fields, sign: await signParams(fields, key, signType) };
}
