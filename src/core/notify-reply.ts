/**
 * The replies to WeChat's notify calls, frozen byte for byte (docs/reliability.md §3.1). WeChat reads
 * only `return_code`; the HTTP status is for our own dashboards. Tests assert these exact bytes.
 */
export type NotifyReplyName = 'OK' | 'PARAM_ERROR' | 'SIGN_ERROR' | 'RETRY' | 'TOO_LARGE' | 'NOT_ALLOWED';

interface NotifyReply {
  readonly status: number;
  /** Empty only for NOT_ALLOWED. */
  readonly body: string;
}

export const NOTIFY_REPLY_CONTENT_TYPE = 'text/xml; charset=utf-8';

const fail = (code: string) => `<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[${code}]]></return_msg></xml>`;

const reply = (status: number, body: string): NotifyReply => Object.freeze({ status, body });

export const NOTIFY_REPLIES: Readonly<Record<NotifyReplyName, NotifyReply>> = Object.freeze({
  OK: reply(200, '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>'),
  PARAM_ERROR: reply(200, fail('PARAM_ERROR')),
  SIGN_ERROR: reply(200, fail('SIGN_ERROR')),
  RETRY: reply(503, fail('RETRY_LATER')),
  TOO_LARGE: reply(413, fail('BODY_TOO_LARGE')),
  NOT_ALLOWED: reply(405, ''),
});

/**
 * The replies to API v3 notifies (docs/wechatpay-v3.md §8.4), by the same verdict names. Here the
 * status decides: 2xx is received (204, no body), 4xx/5xx is not and WeChat retries; the body is
 * `{"code":"FAIL","message":…}`. SIGN_ERROR is 401, PARAM_ERROR (authentic but unopenable) 400.
 */
export const NOTIFY_V3_REPLY_CONTENT_TYPE = 'application/json; charset=utf-8';

const failV3 = (message: string) => JSON.stringify({ code: 'FAIL', message });

export const NOTIFY_V3_REPLIES: Readonly<Record<NotifyReplyName, NotifyReply>> = Object.freeze({
  OK: reply(204, ''),
  PARAM_ERROR: reply(400, failV3('PARAM_ERROR')),
  SIGN_ERROR: reply(401, failV3('SIGN_ERROR')),
  RETRY: reply(503, failV3('RETRY_LATER')),
  TOO_LARGE: reply(413, failV3('BODY_TOO_LARGE')),
  NOT_ALLOWED: reply(405, ''),
});
