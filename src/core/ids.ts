// The one definition of each identifier shape the gateway and the simulator share (WeChat's own rules).

/** 商户订单号: 6–32 of [A-Za-z0-9_-|*]. */
export const OUT_TRADE_NO = /^[A-Za-z0-9_\-|*]{6,32}$/;

/** An openid as WeChat issues them (28 characters today); a wider bound so a format change is not an outage. */
export const OPENID = /^[A-Za-z0-9_-]{6,64}$/;

/** Logs keep the first 4 characters of an openid: enough to correlate, not enough to identify a buyer. */
export function maskOpenid(openid: string | null | undefined): string | undefined {
  return openid ? `${openid.slice(0, 4)}…` : undefined;
}

/** 商户退款单号: up to 64 of [A-Za-z0-9_-|*@]; unique per merchant, one number = one refund (docs/wechatpay-v2.md §12). */
export const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
