// What WeChat answers a prepay with, checked the same way whichever API version answered: a value that
// fails here is a PROTOCOL error, because it would end up in a buyer's browser or QR code.

const PREPAY_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** NATIVE 模式二: `weixin://wxpay/bizpayurl?pr=…`, nothing else (it becomes a QR code a buyer scans). */
const CODE_URL = /^weixin:\/\/wxpay\/bizpayurl\?pr=[0-9A-Za-z._~%=&-]+$/;
const CODE_URL_MAX = 256;
const MWEB_URL_MAX = 1024;

export function isPrepayId(value: string | undefined): value is string {
  return value !== undefined && PREPAY_ID.test(value);
}

export function isCodeUrl(value: string): boolean {
  return value.length <= CODE_URL_MAX && CODE_URL.test(value);
}

/** An https URL of sane length without credentials; in sandbox mode also the simulator's own pages (http on loopback). */
export function isMwebUrl(config: { readonly mode: string; readonly payBaseUrl: string }, value: string): boolean {
  if (value.length > MWEB_URL_MAX || !/^[\x21-\x7e]+$/.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (url.protocol === 'https:') return true;
  return config.mode === 'sandbox' && value.startsWith(`${config.payBaseUrl}/`);
}
