// Typed failures of the WeChat Pay v2 client: the channel's ChannelError (channel/errors.ts) under its
// v2 name, and the mapping of v2 err_codes onto its closed union.
import { ChannelError, type ChannelErrorCode } from '../channel';

export { ChannelError as WechatError } from '../channel';
export type { ChannelErrorCode as WechatErrorCode } from '../channel';

const DIRECT: ReadonlySet<string> = new Set([
  'ORDERPAID',
  'ORDERCLOSED',
  'ORDERNOTEXIST',
  'OUT_TRADE_NO_USED',
  'INVALID_REQUEST',
  'SYSTEMERROR',
  'BIZERR_NEED_RETRY',
  'NOTENOUGH',
  'NOAUTH',
  'OPENID_MISMATCH',
  'REFUNDNOTEXIST',
  'FREQUENCY_LIMITED',
]);
const CONFIG: ReadonlySet<string> = new Set([
  'APPID_NOT_EXIST',
  'MCHID_NOT_EXIST',
  'APPID_MCHID_NOT_MATCH',
  'SIGNERROR',
  'LACK_PARAMS',
  'XML_FORMAT_ERROR',
  'REQUIRE_POST_METHOD',
  'POST_DATA_EMPTY',
  'NOT_UTF8',
]);

/** Maps a verified result_code=FAIL answer's err_code onto the closed union. */
export function wechatErrorFor(errCode: string | undefined): ChannelError {
  const code = errCode ?? '';
  if (DIRECT.has(code)) return new ChannelError(code as ChannelErrorCode, code);
  if (CONFIG.has(code)) return new ChannelError('CONFIG', code);
  // "appid and openid not match" arrives under a few spellings.
  if (/OPENID/i.test(code)) return new ChannelError('OPENID_MISMATCH', code);
  return new ChannelError('BUSINESS', code.slice(0, 64) || undefined);
}
