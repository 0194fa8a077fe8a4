/**
 * The rules that differ between the two wires of the one prepay decision (src/sandbox/trade.ts): API v2
 * (docs/wechatpay-v2.md §6, §23) and API v3 (docs/wechatpay-v3.md §6.1). Every other rule is shared.
 */
import { parseV3Time, parseWechatTime } from '../core';
import { bizFail, type Outcome } from './outcome';
import type { OrderSignType } from './state';

/** Old doc: time_expire − now 「必须大于5分钟」 (docs/wechatpay-v2.md §6; current value unverified). */
const TIME_EXPIRE_MIN_MS = 5 * 60_000;

export const utf8Bytes = (s: string): number => new TextEncoder().encode(s).length;

/** The hosts a local merchant listens on: v3 accepts an http notify_url there, for `npm run dev` (project rule). */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

export interface WireRules {
  /** Present and non-empty (v3 sends no spbill_create_ip outside H5). */
  readonly required: readonly string[];
  readonly attachBytes: number;
  /** NATIVE's product_id: v2 only (v3 has none). */
  readonly productId: boolean;
  /** `scene_info.h5_info.type` (v2 `IOS`, v3 `iOS`). */
  readonly h5Types: readonly string[];
  readonly notifyUrl: (url: string) => boolean;
  readonly timeExpire: (v: string, now: number) => Outcome | undefined;
}

function notifyUrlOk(url: string, maxBytes: number, schemeOk: (u: URL) => boolean): boolean {
  if (utf8Bytes(url) > maxBytes) return false;
  try {
    const u = new URL(url);
    return schemeOk(u) && u.search === '' && url.indexOf('?') < 0;
  } catch {
    return false;
  }
}

const V2_RULES: WireRules = {
  required: ['body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'notify_url', 'trade_type'],
  attachBytes: 127,
  productId: true,
  h5Types: ['Wap', 'IOS', 'Android'],
  notifyUrl: (url) => notifyUrlOk(url, 256, (u) => u.protocol === 'https:' || u.protocol === 'http:'),
  timeExpire: (v, now) => {
    const expire = parseWechatTime(v);
    if (!expire) return bizFail('PARAM_ERROR', 'time_expire参数格式错误');
    if (expire.getTime() - now < TIME_EXPIRE_MIN_MS) return bizFail('PARAM_ERROR', 'time_expire时间过短，刷卡至少1分钟，其他5分钟');
    return undefined;
  },
};

/**
 * API v3 (docs/wechatpay-v3.md §6.1): notify_url ≤ 255 and HTTPS (plain http only on a loopback host, for
 * local development); attach ≤ 128; time_expire in RFC 3339, which WeChat clamps rather than refuses.
 */
const V3_RULES: WireRules = {
  required: ['body', 'out_trade_no', 'total_fee', 'notify_url', 'trade_type'],
  attachBytes: 128,
  productId: false,
  h5Types: ['Wap', 'iOS', 'Android'],
  notifyUrl: (url) => notifyUrlOk(url, 255, (u) => u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname))),
  timeExpire: (v) => (parseV3Time(v) ? undefined : bizFail('PARAM_ERROR', 'time_expire参数格式错误')),
};

export const wireRules = (signType: OrderSignType): WireRules => (signType === 'RSA' ? V3_RULES : V2_RULES);
