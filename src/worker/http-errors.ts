// The merchant API's closed set of error codes, their HTTP statuses and the JSON envelope.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { HonoEnv } from './env';

export type ApiErrorCode =
  | 'UNAUTHORIZED' // missing or wrong bearer token / checkout token absent
  | 'INVALID_JSON' // body is not one JSON value
  | 'UNSUPPORTED_MEDIA_TYPE' // body sent without application/json
  | 'PAYLOAD_TOO_LARGE'
  | 'VALIDATION_FAILED' // body or query fails the schema
  | 'INVALID_OUT_TRADE_NO' // path parameter outside [A-Za-z0-9_-|*]{6,32}
  | 'TOTAL_FEE_TOO_LARGE' // above MAX_TOTAL_FEE
  | 'ORDER_NOT_FOUND' // also a wrong checkout token: no existence oracle
  | 'IDEMPOTENCY_CONFLICT' // same out_trade_no, different body
  | 'ORDER_PAID'
  | 'ORDER_CLOSED'
  | 'ORDER_EXPIRED'
  | 'ORDER_NOT_PAYABLE' // FAILED, refund states, …
  | 'OPENID_REQUIRED' // jsapi: no openid on the order and no OAuth session
  | 'PREPAY_OPENID_MISMATCH' // jsapi: the order is already bound to another buyer
  | 'CLOSE_TOO_EARLY' // WeChat refuses closeorder within 5 minutes of creation
  | 'CLOSE_IN_PROGRESS'
  | 'UPSTREAM_REJECTED' // WeChat gave a definitive business error
  | 'UPSTREAM_UNAVAILABLE' // WeChat timed out, failed or answered unverifiably; safe to retry
  | 'CONFIG_INVALID' // live configuration failed its checks: payment routes are off
  | 'NOT_FOUND' // no such route
  | 'METHOD_NOT_ALLOWED'
  | 'INTERNAL';

export function statusOf(code: ApiErrorCode): ContentfulStatusCode {
  switch (code) {
    case 'INVALID_JSON':
    case 'VALIDATION_FAILED':
    case 'INVALID_OUT_TRADE_NO':
    case 'TOTAL_FEE_TOO_LARGE':
      return 400;
    case 'UNAUTHORIZED':
    case 'OPENID_REQUIRED':
      return 401;
    case 'ORDER_NOT_FOUND':
    case 'NOT_FOUND':
      return 404;
    case 'METHOD_NOT_ALLOWED':
      return 405;
    case 'IDEMPOTENCY_CONFLICT':
    case 'ORDER_PAID':
    case 'ORDER_CLOSED':
    case 'ORDER_EXPIRED':
    case 'ORDER_NOT_PAYABLE':
    case 'PREPAY_OPENID_MISMATCH':
    case 'CLOSE_TOO_EARLY':
    case 'CLOSE_IN_PROGRESS':
      return 409;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'INTERNAL':
      return 500;
    case 'UPSTREAM_REJECTED':
    case 'UPSTREAM_UNAVAILABLE':
      return 502;
    case 'CONFIG_INVALID':
      return 503;
    default: {
      const never: never = code;
      return never;
    }
  }
}

/** Thrown by handlers for an expected failure; onError turns it into the envelope. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Extra public fields, e.g. `{ retry_after: 120 }`. Never secrets or upstream text. */
    readonly extra: Readonly<Record<string, string | number>> = {},
  ) {
    super(message);
  }
}

const GENERIC: Partial<Record<ApiErrorCode, string>> = {
  INTERNAL: 'internal error',
  CONFIG_INVALID: 'the payment service is not configured',
};

/** `{ "error": { code, message, requestId, …extra } }` with the code's status; also records the outcome for the log line. */
export function errorResponse(c: Context<HonoEnv>, code: ApiErrorCode, message?: string, extra: Record<string, string | number> = {}) {
  c.set('outcome', code);
  c.header('Cache-Control', 'no-store');
  if (code === 'UNAUTHORIZED') c.header('WWW-Authenticate', 'Bearer');
  if (typeof extra.retry_after === 'number') c.header('Retry-After', String(extra.retry_after));
  const body = { error: { code, message: GENERIC[code] ?? message ?? code, requestId: c.get('requestId'), ...extra } };
  return c.json(body, statusOf(code));
}
