// Which appid a payment is placed under, whatever the API version: the 公众号's for JSAPI, NATIVE and
// MWEB, the mini-program's, the mobile app's — null when the merchant has not enabled the trade type.
import type { OrderRef, TradeType } from './channel';

/** The applications the configuration names (platform/config.ts Config has these fields). */
export interface MerchantApps {
  readonly appId: string;
  readonly tradeTypes: ReadonlySet<TradeType>;
  readonly miniProgram: { readonly appId: string } | null;
  readonly appAppId: string | null;
}

/** The appid a trade type pays under, or null when it is not enabled (WECHAT_TRADE_TYPES). */
export function appIdOf(apps: MerchantApps, tradeType: TradeType): string | null {
  if (!apps.tradeTypes.has(tradeType)) return null;
  if (tradeType === 'MINIPROGRAM') return apps.miniProgram?.appId ?? null;
  if (tradeType === 'APP') return apps.appAppId;
  return apps.appId;
}

/**
 * The appid a stored prepay's pay params are signed under: the order's own. A mini-program's or an
 * app's order always names it, since falling back to the 公众号 appid would sign a paySign the
 * buyer's client rejects (the classic 支付验证签名失败).
 */
export function payingAppId(apps: MerchantApps, tradeType: TradeType, order: OrderRef): string {
  if ((tradeType === 'MINIPROGRAM' || tradeType === 'APP') && order.appId === undefined) {
    throw new Error(`a ${tradeType} order names the appid it was placed under (OrderRef.appId)`);
  }
  return order.appId ?? apps.appId;
}
