// The channel seam (see channel.ts): its interface, its typed error and the rules every WeChat Pay version shares.
export type * from './channel';
export { TRADE_TYPES } from './channel';
export { ChannelError, type ChannelErrorCode } from './errors';
export { appIdOf, payingAppId, type MerchantApps } from './appids';
export { withRetries, type RetryOptions } from './retry';
export type { WechatTransport, WechatTransports } from './transport';

/** WeChat refuses a close within 5 minutes of the order's creation (docs/wechatpay-v2.md §10, reliability.md I9). */
export const CLOSE_MIN_AGE_MS = 5 * 60 * 1000;
export { isCodeUrl, isMwebUrl, isPrepayId } from './pay-urls';
