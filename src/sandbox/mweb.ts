/**
 * What WeChat checks when a browser outside WeChat opens an `mweb_url` (docs/wechatpay-v2.md §23.2), in the
 * order the simulator applies them (WeChat does not document its own order): the Referer is present,
 * the Referer and any `redirect_url` are on the merchant's authorised H5 domains, the parameters name a
 * live `mweb_url` no older than 5 minutes, the caller's IP is the order's `spbill_create_ip`, and the
 * browser is not WeChat's.
 */
import { onH5Domain, type SimMerchant } from './settings';
import { MWEB_TTL_MS } from './trade';

export type MwebRefusal = 'REFERER_MISSING' | 'DOMAIN_NOT_AUTHORISED' | 'PARAMS_INVALID' | 'EXPIRED' | 'IP_MISMATCH' | 'IN_WECHAT';

/** What the buyer sees (the §9.2 table). */
export const MWEB_REFUSAL_TEXT: Readonly<Record<MwebRefusal, string>> = {
  REFERER_MISSING: '商家参数格式有误，请联系商家解决',
  DOMAIN_NOT_AUTHORISED: '商家存在未配置的参数，请联系商家解决',
  PARAMS_INVALID: '商家参数格式有误，请联系商家解决',
  EXPIRED: '支付请求已失效，请重新发起支付',
  IP_MISMATCH: '网络环境未能通过安全验证，请稍后再试',
  IN_WECHAT: '请在微信外打开订单，进行支付',
};

export interface MwebOpen {
  referer: string | undefined;
  /** `&redirect_url=` as appended by the merchant (decoded), if any. */
  redirectUrl: string | undefined;
  userAgent: string | undefined;
  /** CF-Connecting-IP, or 127.0.0.1 when absent (local development). */
  clientIp: string;
  /** The `mweb_url` the parameters name, if the simulator issued it. */
  ticket: { issued_at: number; spbill_create_ip: string } | undefined;
  now: number;
}

/** A URL on an authorised H5 domain (http or https), or false. */
export function onH5(m: SimMerchant, raw: string): boolean {
  try {
    const u = new URL(raw);
    return (u.protocol === 'https:' || u.protocol === 'http:') && onH5Domain(m, u);
  } catch {
    return false;
  }
}

export function mwebRefusal(m: SimMerchant, o: MwebOpen): MwebRefusal | undefined {
  if (!o.referer) return 'REFERER_MISSING';
  if (!onH5(m, o.referer) || (o.redirectUrl !== undefined && !onH5(m, o.redirectUrl))) return 'DOMAIN_NOT_AUTHORISED';
  if (!o.ticket) return 'PARAMS_INVALID';
  if (o.now - o.ticket.issued_at >= MWEB_TTL_MS) return 'EXPIRED';
  if (o.clientIp !== o.ticket.spbill_create_ip) return 'IP_MISMATCH';
  if (o.userAgent?.includes('MicroMessenger')) return 'IN_WECHAT';
  return undefined;
}
