// API v3 failures onto the channel's closed union (channel/errors.ts), so that use cases see the same
// codes whichever version answered (docs/wechatpay-v3.md §6.5). Branch on the HTTP class first, then on
// the code with `_` removed (spellings differ between page generations: ORDER_NOT_EXIST/ORDERNOTEXIST,
// NO_AUTH/NOAUTH). Error bodies are never signed (§3.4): they only ever make a call fail, never
// succeed, and nothing in them is believed beyond choosing the failure.
import { ChannelError, type ChannelErrorCode } from '../channel';

/** What the failed call was about: a 404 means "no such order" or "no such refund" (v2's ORDERNOTEXIST / REFUNDNOTEXIST). */
export type ErrorSubject = 'ORDER' | 'REFUND' | 'BILL' | 'CERTIFICATES';

/** Codes that mean what a v2 err_code means, by their `_`-less spelling. */
const SAME_AS_V2: Readonly<Record<string, ChannelErrorCode>> = {
  ORDERPAID: 'ORDERPAID',
  ORDERCLOSED: 'ORDERCLOSED',
  ORDERNOTEXIST: 'ORDERNOTEXIST',
  OUTTRADENOUSED: 'OUT_TRADE_NO_USED',
  INVALIDREQUEST: 'INVALID_REQUEST',
  SYSTEMERROR: 'SYSTEMERROR',
  BIZERRNEEDRETRY: 'BIZERR_NEED_RETRY',
  NOTENOUGH: 'NOTENOUGH',
  NOAUTH: 'NOAUTH',
  REFUNDNOTEXIST: 'REFUNDNOTEXIST',
  FREQUENCYLIMITED: 'FREQUENCY_LIMITED',
  RATELIMITEXCEEDED: 'FREQUENCY_LIMITED',
};

/** Our own setup is wrong: keys, serial, appid/mchid binding (v2's CONFIG family). */
const SETUP: ReadonlySet<string> = new Set(['SIGNERROR', 'APPIDMCHIDNOTMATCH', 'MCHNOTEXISTS', 'APPIDNOTEXIST', 'MCHIDNOTEXIST']);

/** The `code` of an error body, or null when the body is not the documented `{code, message}`. */
export function errorCodeOf(body: Uint8Array): string | null {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body));
    const code = (parsed as { code?: unknown } | null)?.code;
    return typeof code === 'string' && /^[A-Za-z_]{1,64}$/.test(code) ? code : null;
  } catch {
    return null;
  }
}

/**
 * The ChannelError for a non-2xx answer. 5xx: SYSTEM_ERROR is v2's SYSTEMERROR (retry with identical
 * parameters), anything else there NETWORK (like v2's HTTP 5xx: the outcome is unknown). 429: rate
 * limited, retryable (for a refund the acceptance is unknown: the caller queries before retrying).
 * 404: the order or refund does not exist. Any other 4xx: the code's v2 twin, our setup (CONFIG), or
 * a definitive BUSINESS refusal; a 4xx without a readable code is PROTOCOL (not believed definitive).
 */
export function v3ErrorFor(status: number, body: Uint8Array, subject: ErrorSubject): ChannelError {
  const raw = errorCodeOf(body);
  const code = raw?.replace(/_/g, '').toUpperCase() ?? null;
  const errCode = raw ?? `HTTP_${status}`;
  if (status >= 500) return new ChannelError(code === 'SYSTEMERROR' ? 'SYSTEMERROR' : 'NETWORK', errCode);
  if (status === 429) return new ChannelError('FREQUENCY_LIMITED', errCode);
  if (code === null) return new ChannelError('PROTOCOL', errCode);
  if (status === 404 || code === 'RESOURCENOTEXISTS') {
    if (subject === 'REFUND') return new ChannelError('REFUNDNOTEXIST', errCode);
    if (subject === 'ORDER') return new ChannelError('ORDERNOTEXIST', errCode);
    return new ChannelError('BUSINESS', errCode);
  }
  const same = SAME_AS_V2[code];
  if (same) return new ChannelError(same, errCode);
  if (SETUP.has(code) || status === 401) return new ChannelError('CONFIG', errCode);
  if (/OPENID/.test(code)) return new ChannelError('OPENID_MISMATCH', errCode);
  return new ChannelError('BUSINESS', errCode);
}
