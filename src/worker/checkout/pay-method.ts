// How the checkout page pays, from where the buyer opened it (the User-Agent) and the trade types the
// merchant takes (WECHAT_TRADE_TYPES). One rule for the page and for POST /pay/:no/payments.
import type { Config } from '../platform/config';

/**
 * - JSAPI: inside WeChat (OAuth snsapi_base, then getBrandWCPayRequest);
 * - NATIVE: a desktop browser, a code_url shown as a QR code for WeChat's 扫一扫;
 * - MWEB: a phone browser outside WeChat, sent to WeChat's H5 page (mweb_url);
 * - OPEN_IN_WECHAT: live, and the trade type this browser needs is not configured: a QR of the link.
 */
export type PayMethod = 'JSAPI' | 'NATIVE' | 'MWEB' | 'OPEN_IN_WECHAT';

/** WeChat's in-app browser (also 企业微信 and PC WeChat) carries `MicroMessenger/<version>`. */
export function isWechatUserAgent(ua: string | undefined): boolean {
  return !!ua && /MicroMessenger\//i.test(ua);
}

/**
 * A phone or tablet browser: iOS (`iPhone`, `iPad` of iOS 12 and older, `Mobile/…`), Android (phones and
 * tablets), HarmonyOS. An iPad on iPadOS 13+ asks for desktop pages as a Mac does, and gets the QR
 * code, as does a phone asking for the desktop site: it can still be scanned from another device.
 */
export function isPhoneUserAgent(ua: string | undefined): boolean {
  return !!ua && /iPhone|iPod|iPad|Android|HarmonyOS|OpenHarmony|Windows Phone|\bMobile\b/i.test(ua);
}

export function payMethodFor(ua: string | undefined, config: Pick<Config, 'mode' | 'tradeTypes'>): PayMethod {
  if (isWechatUserAgent(ua)) return 'JSAPI';
  const wanted = isPhoneUserAgent(ua) ? 'MWEB' : 'NATIVE';
  if (config.tradeTypes.has(wanted)) return wanted;
  // Not configured: in the sandbox any browser may pay with the simulator's pay sheet (as before NATIVE and MWEB).
  return config.mode === 'sandbox' ? 'JSAPI' : 'OPEN_IN_WECHAT';
}
