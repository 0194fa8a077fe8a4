// Every answer the HTTP shell gives for a failure: domain error codes → HTTP statuses and the JSON
// envelope, beside the notify verdicts → WeChat's frozen replies (v2 XML, v3 status + JSON), and the one 405 rule.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { NOTIFY_REPLIES, NOTIFY_REPLY_CONTENT_TYPE, NOTIFY_V3_REPLIES, NOTIFY_V3_REPLY_CONTENT_TYPE, type NotifyReplyName } from '../../core';
import type { HonoEnv } from './env';
import type { ErrorCode } from './errors';

export function statusOf(code: ErrorCode): ContentfulStatusCode {
  switch (code) {
    case 'INVALID_JSON':
    case 'VALIDATION_FAILED':
    case 'INVALID_OUT_TRADE_NO':
    case 'TOTAL_FEE_TOO_LARGE':
    case 'INVALID_OUT_REFUND_NO':
    case 'INVALID_BILL_DATE':
    case 'CLIENT_IP_REQUIRED':
    case 'JS_CODE_INVALID':
      return 400;
    case 'UNAUTHORIZED':
    case 'OPENID_REQUIRED':
      return 401;
    case 'ORDER_NOT_FOUND':
    case 'EVENT_NOT_FOUND':
    case 'NOT_FOUND':
    case 'REFUND_NOT_FOUND':
    case 'RECONCILIATION_NOT_FOUND':
      return 404;
    case 'METHOD_NOT_ALLOWED':
      return 405;
    case 'IDEMPOTENCY_CONFLICT':
    case 'OUT_TRADE_NO_IN_USE':
    case 'ORDER_PAID':
    case 'ORDER_CLOSED':
    case 'ORDER_EXPIRED':
    case 'ORDER_NOT_PAYABLE':
    case 'PREPAY_OPENID_MISMATCH':
    case 'TRADE_TYPE_UNAVAILABLE':
    case 'CLOSE_TOO_EARLY':
    case 'CLOSE_IN_PROGRESS':
    case 'ORDER_NOT_REFUNDABLE':
    case 'REFUND_EXCEEDS_PAID':
    case 'REFUND_LIMIT_REACHED':
    case 'REFUND_WINDOW_EXPIRED':
    case 'WEBHOOKS_DISABLED':
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
    case 'REFUND_UNAVAILABLE':
      return 503;
    default: {
      const never: never = code;
      return never;
    }
  }
}

const GENERIC: Partial<Record<ErrorCode, string>> = {
  INTERNAL: 'internal error',
  CONFIG_INVALID: 'the payment service is not configured',
};

/** `{ "error": { code, message, requestId, …extra } }` with the code's status; also records the outcome for the log line. */
export function errorResponse(c: Context<HonoEnv>, code: ErrorCode, message?: string, extra: Record<string, string | number> = {}) {
  c.set('outcome', code);
  if (code === 'UNAUTHORIZED') c.header('WWW-Authenticate', 'Bearer');
  if (typeof extra.retry_after === 'number') c.header('Retry-After', String(extra.retry_after));
  const body = { error: { code, message: GENERIC[code] ?? message ?? code, requestId: c.get('requestId'), ...extra } };
  return c.json(body, statusOf(code));
}

/** The XML reply WeChat expects for a notify verdict (§3.1), byte for byte. */
export function notifyReply(name: NotifyReplyName): Response {
  const r = NOTIFY_REPLIES[name];
  if (name === 'NOT_ALLOWED') return new Response(null, { status: r.status, headers: { Allow: 'POST' } });
  return new Response(r.body, { status: r.status, headers: { 'Content-Type': NOTIFY_REPLY_CONTENT_TYPE } });
}

/** The API v3 reply for the same verdict (docs/wechatpay-v3.md §8.4): 204 received, 4xx/5xx with a FAIL body retried. */
export function notifyReplyV3(name: NotifyReplyName): Response {
  const r = NOTIFY_V3_REPLIES[name];
  if (name === 'NOT_ALLOWED') return new Response(null, { status: r.status, headers: { Allow: 'POST' } });
  if (!r.body) return new Response(null, { status: r.status });
  return new Response(r.body, { status: r.status, headers: { 'Content-Type': NOTIFY_V3_REPLY_CONTENT_TYPE } });
}

/** §8.4: OPTIONS (outside a CORS preflight) gets an empty answer; any other unrouted verb a 405. */
export function methodNotAllowed(c: Context<HonoEnv>): Response {
  return c.req.method === 'OPTIONS' ? c.body(null, 204) : errorResponse(c, 'METHOD_NOT_ALLOWED', 'method not allowed');
}
