// The WeChat Pay v2 client: one module per endpoint over one signed-call path and an injected transport.
import type { Config } from '../platform/config';
import type { WechatDeps } from './call';
import { wechatTransports } from './transport';

export { closeOrder, CLOSE_MIN_AGE_MS } from './closeorder';
export { downloadBill, downloadBillStream, type BillResult, type BillStreamResult, type BillType } from './downloadbill';
export { WechatError, type WechatErrorCode } from './errors';
export { orderQuery, type OrderQueryResult, type TradeState } from './orderquery';
export { refund, type RefundAccepted, type RefundRequest } from './refund';
export { refundQuery, type RefundQueryResult, type RefundStatus } from './refundquery';
export { unifiedOrder, type UnifiedOrderRequest } from './unifiedorder';
export type { WechatDeps } from './call';

/** Deps for the request at hand: the simulator over loopback in sandbox mode, WeChat in live mode. */
export function wechatDeps(config: Config, env: Env, ctx: object): WechatDeps {
  return { config, transports: wechatTransports(config, env, ctx) };
}
