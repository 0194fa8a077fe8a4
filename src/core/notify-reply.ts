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
