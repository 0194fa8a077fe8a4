// Typed failures of the WeChat Pay v2 client: callers switch on `code`, never on WeChat's text.

export type WechatErrorCode =
  // business errors (result_code=FAIL), by err_code
  | 'ORDERPAID'
  | 'ORDERCLOSED'
  | 'ORDERNOTEXIST'
  | 'OUT_TRADE_NO_USED'
  | 'INVALID_REQUEST' // 订单重入 with different parameters (also "201 商户订单号重复")
  | 'SYSTEMERROR'
  | 'BIZERR_NEED_RETRY'
  | 'NOTENOUGH'
  | 'NOAUTH'
  | 'OPENID_MISMATCH'
  | 'REFUNDNOTEXIST'
  | 'FREQUENCY_LIMITED'
  | 'CONFIG' // APPID_NOT_EXIST, MCHID_NOT_EXIST, APPID_MCHID_NOT_MATCH, SIGNERROR, NOAUTH-like setup problems
  | 'BUSINESS' // any other err_code: definitive, not retryable
  // protocol-level failures
  | 'RETURN_FAIL' // return_code=FAIL (communication, signature or format problem at WeChat)
  | 'SIGN_INVALID' // the response signature did not verify: nothing in it may be trusted
  | 'PROTOCOL' // unparsable body, missing fields, HTTP error status
  | 'TIMEOUT' // no answer within the deadline: outcome unknown
  | 'NETWORK'; // transport failure: outcome unknown

const RETRYABLE: ReadonlySet<WechatErrorCode> = new Set(['SYSTEMERROR', 'BIZERR_NEED_RETRY', 'TIMEOUT', 'NETWORK', 'FREQUENCY_LIMITED']);

export class WechatError extends Error {
  override readonly name = 'WechatError';
  /** Retrying with identical parameters is safe for queries; for unifiedorder/refund query first. */
  readonly retryable: boolean;
  /** TIMEOUT/NETWORK: the request may or may not have taken effect. */
  readonly outcomeUnknown: boolean;
  constructor(
    readonly code: WechatErrorCode,
    /** WeChat's err_code when there was one (for logs; it names no secret). */
    readonly errCode?: string,
  ) {
    super(errCode ? `wechat ${code} (${errCode})` : `wechat ${code}`);
    this.retryable = RETRYABLE.has(code);
    this.outcomeUnknown = code === 'TIMEOUT' || code === 'NETWORK';
  }
}

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
export function wechatErrorFor(errCode: string | undefined): WechatError {
  const code = errCode ?? '';
  if (DIRECT.has(code)) return new WechatError(code as WechatErrorCode, code);
  if (CONFIG.has(code)) return new WechatError('CONFIG', code);
  // "appid and openid not match" arrives under a few spellings.
  if (/OPENID/i.test(code)) return new WechatError('OPENID_MISMATCH', code);
  return new WechatError('BUSINESS', code.slice(0, 64) || undefined);
}
