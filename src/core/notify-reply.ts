/**
 * The replies to WeChat's notify calls, frozen byte for byte (reliability.md §3.1). WeChat reads
 * only `return_code`; the HTTP status is for our own dashboards. Tests assert these exact bytes.
 */
export type NotifyReplyName = 'OK' | 'PARAM_ERROR' | 'SIGN_ERROR' | 'RETRY' | 'TOO_LARGE' | 'NOT_ALLOWED';

export interface NotifyReply {
  readonly status: number;
  /** Empty only for NOT_ALLOWED. */
  readonly body: string;
}

export const NOTIFY_REPLY_CONTENT_TYPE = 'text/xml; charset=utf-8';

const fail = (code: string) =>
  `<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[${code}]]></return_msg></xml>`;

export const NOTIFY_REPLIES: Readonly<Record<NotifyReplyName, NotifyReply>> = Object.freeze({
  OK: { status: 200, body: '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>' },
  PARAM_ERROR: { status: 200, body: fail('PARAM_ERROR') },
  SIGN_ERROR: { status: 200, body: fail('SIGN_ERROR') },
  RETRY: { status: 503, body: fail('RETRY_LATER') },
  TOO_LARGE: { status: 413, body: fail('BODY_TOO_LARGE') },
  NOT_ALLOWED: { status: 405, body: '' },
});
