// The WeChat Pay v2 client: one module per endpoint over one signed-call path and an injected
// transport, and v2Channel, its implementation of the channel seam (channel/channel.ts) that use
// cases go through.
export { v2Channel, v2NotifyReader } from './channel';
export { CLOSE_MIN_AGE_MS, closeOrder } from './closeorder';
export { downloadBill, downloadBillStream, type BillResult } from './downloadbill';
export { WechatError, type WechatErrorCode } from './errors';
export { exchangeCode, jscode2session, wechatIdentity } from './oauth';
export { orderQuery } from './orderquery';
export { refund } from './refund';
export { refundQuery } from './refundquery';
export { unifiedOrder, type UnifiedOrderRequest } from './unifiedorder';
export type { WechatDeps } from './call';
export type { WechatTransport, WechatTransports } from './transport';
