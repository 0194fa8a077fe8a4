// API v3 client pay parameters (docs/wechatpay-v3.md §7): JSAPI/mini-program `paySign` with
// signType "RSA" over `appId\ntimeStamp\nnonceStr\npackage\n`, and the APP PayReq `sign` over
// `appid\ntimestamp\nnoncestr\nprepayid\n`, both with the merchant's API key.
import { rsaSign, v3Lines } from './v3-rsa';

export interface JsapiPayParamsV3 {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

export interface AppPayParamsV3 {
  appid: string;
  partnerid: string;
  prepayid: string;
  package: 'Sign=WXPay';
  noncestr: string;
  timestamp: string;
  sign: string;
}

const TOKEN = /^[\x21-\x7e]+$/;
const NONCE = /^[A-Za-z0-9]{1,32}$/;

function check(prepayId: string, appId: string, timeStamp: number, nonce: string): void {
  if (!TOKEN.test(prepayId)) throw new RangeError('invalid prepay_id');
  if (!TOKEN.test(appId)) throw new RangeError('invalid appId');
  if (!Number.isSafeInteger(timeStamp) || timeStamp < 0) throw new RangeError('timeStamp must be epoch seconds');
  if (!NONCE.test(nonce)) throw new RangeError('nonceStr must be 1-32 alphanumerics');
}

export async function jsapiPayParamsV3(prepayId: string, appId: string, key: CryptoKey, timeStamp: number, nonceStr: string): Promise<JsapiPayParamsV3> {
  check(prepayId, appId, timeStamp, nonceStr);
  const pkg = `prepay_id=${prepayId}`;
  const paySign = await rsaSign(key, v3Lines(appId, String(timeStamp), nonceStr, pkg));
  return { appId, timeStamp: String(timeStamp), nonceStr, package: pkg, signType: 'RSA', paySign };
}

export async function appPayParamsV3(
  prepayId: string,
  appId: string,
  mchId: string,
  key: CryptoKey,
  timeStamp: number,
  nonceStr: string,
): Promise<AppPayParamsV3> {
  check(prepayId, appId, timeStamp, nonceStr);
  const sign = await rsaSign(key, v3Lines(appId, String(timeStamp), nonceStr, prepayId));
  return { appid: appId, partnerid: mchId, prepayid: prepayId, package: 'Sign=WXPay', noncestr: nonceStr, timestamp: String(timeStamp), sign };
}
