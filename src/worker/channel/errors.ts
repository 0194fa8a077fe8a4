// The channel's typed failures: callers switch on `code`, never on WeChat's text. Every implementation
// (the v2 client today) maps its protocol's answers onto this one closed union.

export type ChannelErrorCode =
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

const RETRYABLE: ReadonlySet<ChannelErrorCode> = new Set(['SYSTEMERROR', 'BIZERR_NEED_RETRY', 'TIMEOUT', 'NETWORK', 'FREQUENCY_LIMITED']);

/** Exported by the v2 client as `WechatError` (the same class: `instanceof` holds under either name). */
export class ChannelError extends Error {
  override readonly name = 'WechatError';
  /** Retrying with identical parameters is safe for queries; for a prepay or a refund query first. */
  readonly retryable: boolean;
  /** TIMEOUT/NETWORK, and an answer whose signature did not verify (SIGN_INVALID): the request may or may not have taken effect. */
  readonly outcomeUnknown: boolean;
  constructor(
    readonly code: ChannelErrorCode,
    /** WeChat's err_code when there was one (for logs; it names no secret). */
    readonly errCode?: string,
  ) {
    super(errCode ? `wechat ${code} (${errCode})` : `wechat ${code}`);
    this.retryable = RETRYABLE.has(code);
    this.outcomeUnknown = code === 'TIMEOUT' || code === 'NETWORK' || code === 'SIGN_INVALID';
  }
}
