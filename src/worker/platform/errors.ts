// The gateway's closed set of failure codes. Use cases fail with these and know nothing of HTTP;
// http-answers.ts is the one table from code to HTTP status.

export type ErrorCode =
  | 'UNAUTHORIZED' // missing or wrong bearer token / checkout token absent
  | 'INVALID_JSON' // body is not one JSON value
  | 'UNSUPPORTED_MEDIA_TYPE' // body sent without application/json
  | 'PAYLOAD_TOO_LARGE'
  | 'VALIDATION_FAILED' // body or query fails the schema
  | 'INVALID_OUT_TRADE_NO' // path parameter outside [A-Za-z0-9_-|*]{6,32}
  | 'TOTAL_FEE_TOO_LARGE' // above MAX_TOTAL_FEE
  | 'ORDER_NOT_FOUND' // also a wrong checkout token: no existence oracle
  | 'IDEMPOTENCY_CONFLICT' // same out_trade_no, different body
  | 'OUT_TRADE_NO_IN_USE' // the out_trade_no is another order's payment attempt number at WeChat
  | 'ORDER_PAID'
  | 'ORDER_CLOSED'
  | 'ORDER_EXPIRED'
  | 'ORDER_NOT_PAYABLE' // FAILED, refund states, …
  | 'OPENID_REQUIRED' // jsapi: no openid on the order and no OAuth session
  | 'PREPAY_OPENID_MISMATCH' // jsapi: the order is already bound to another buyer
  | 'TRADE_TYPE_UNAVAILABLE' // a payment attempt of a trade type this merchant has not configured
  | 'CLIENT_IP_REQUIRED' // an MWEB attempt from the merchant's server without the buyer's client_ip
  | 'JS_CODE_INVALID' // a mini-program login code WeChat refused (expired or already used): call wx.login() again
  | 'CLOSE_TOO_EARLY' // WeChat refuses closeorder within 5 minutes of creation
  | 'CLOSE_IN_PROGRESS'
  | 'UPSTREAM_REJECTED' // WeChat gave a definitive business error
  | 'UPSTREAM_UNAVAILABLE' // WeChat timed out, failed or answered unverifiably; safe to retry
  | 'INVALID_BILL_DATE' // reconciliation: not yyyyMMdd, not a real date, or outside yesterday … 3 months back
  | 'RECONCILIATION_NOT_FOUND' // no run for that bill_date
  | 'CONFIG_INVALID' // live configuration failed its checks: payment routes are off
  | 'INVALID_OUT_REFUND_NO' // path parameter outside [A-Za-z0-9_-|*@]{1,64}
  | 'REFUND_NOT_FOUND'
  | 'ORDER_NOT_REFUNDABLE' // not PAID, PAID_AFTER_CLOSE or PARTIALLY_REFUNDED
  | 'REFUND_EXCEEDS_PAID' // more than refundable_fee (sent along)
  | 'REFUND_LIMIT_REACHED' // WeChat's 50 refunds per order
  | 'REFUND_WINDOW_EXPIRED' // WeChat refunds only within a year of payment
  | 'REFUND_UNAVAILABLE' // live mode without the WECHAT_MTLS certificate binding: refunds fail closed
  | 'EVENT_NOT_FOUND' // no webhook event with this id
  | 'WEBHOOKS_DISABLED' // redeliver without WEBHOOK_URL: events are recorded, not delivered
  | 'NOT_FOUND' // no such route
  | 'METHOD_NOT_ALLOWED'
  | 'INTERNAL';

/** An expected failure, thrown by use cases and the shell alike; the HTTP shell turns it into the envelope. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra public fields, e.g. `{ retry_after: 120 }`. Never secrets or upstream text. */
    readonly extra: Readonly<Record<string, string | number>> = {},
  ) {
    super(message);
  }
}
