/**
 * 关闭订单. WeChat refuses it within 5 minutes of creation; ORDERPAID means the order was paid
 * (confirm with orderquery), ORDERCLOSED is an idempotent success — both surface as WechatError.
 * @see https://pay.weixin.qq.com/doc/v2/merchant/4011987803
 */
import type { SignType } from '../../core';
import { callWechat, type WechatDeps } from './call';

export { CLOSE_MIN_AGE_MS } from '../channel';

/** `appId`: the appid the order was placed under (absent: the 公众号 appid), sent and required of the answer. */
export async function closeOrder(deps: WechatDeps, outTradeNo: string, signType: SignType, appId?: string): Promise<void> {
  await callWechat(deps, { path: '/pay/closeorder', signType, appId, fields: { out_trade_no: outTradeNo } });
}
