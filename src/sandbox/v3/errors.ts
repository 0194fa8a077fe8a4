/**
 * API v3 error answers (docs/wechatpay-v3.md §1, §6.5): `{code, message[, detail]}` with the HTTP status
 * of the code. The simulator's decisions are the v2 ones (src/sandbox/trade.ts, refund.ts), so a v2
 * outcome is translated here: its err_code to the v3 code and status, its field names to the v3 ones.
 */
import type { Outcome } from '../outcome';

export interface V3Error {
  status: number;
  code: string;
  message: string;
  detail?: Record<string, unknown>;
}

export const v3Error = (status: number, code: string, message: string, detail?: Record<string, unknown>): V3Error => ({
  status,
  code,
  message,
  ...(detail ? { detail } : {}),
});

/** The status of each v3 code (§6.5): a code injected by a scenario fault answers with its own. */
const STATUS: Readonly<Record<string, number>> = {
  PARAM_ERROR: 400,
  INVALID_REQUEST: 400,
  APPID_MCHID_NOT_MATCH: 400,
  MCH_NOT_EXISTS: 400,
  ORDER_CLOSED: 400,
  ORDER_PAID: 400,
  NO_STATEMENT_EXIST: 400,
  STATEMENT_CREATING: 400,
  SIGN_ERROR: 401,
  NO_AUTH: 403,
  OUT_TRADE_NO_USED: 403,
  RULE_LIMIT: 403,
  TRADE_ERROR: 403,
  NOT_ENOUGH: 403,
  ACCOUNT_ERROR: 403,
  USER_ACCOUNT_ABNORMAL: 403,
  ORDER_NOT_EXIST: 404,
  RESOURCE_NOT_EXISTS: 404,
  RATELIMIT_EXCEEDED: 429,
  FREQUENCY_LIMITED: 429,
  SYSTEM_ERROR: 500,
  BANK_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};

/**
 * v2 err_code → v3 code. ORDERPAID → ORDER_PAID is the simulator's pick: no v3 page names a counterpart
 * (docs/wechatpay-v3.md §11); 400 like ORDER_CLOSED. Refund rule breaches (over-refund, too late, too
 * many) are INVALID_REQUEST, as the v3 refund page groups 「不符合业务规则」.
 */
const FROM_V2: Readonly<Record<string, string>> = {
  LACK_PARAMS: 'PARAM_ERROR',
  PARAM_ERROR: 'PARAM_ERROR',
  INVALID_REQUEST: 'INVALID_REQUEST',
  ORDERPAID: 'ORDER_PAID',
  ORDERCLOSED: 'ORDER_CLOSED',
  OUT_TRADE_NO_USED: 'OUT_TRADE_NO_USED',
  ORDERNOTEXIST: 'ORDER_NOT_EXIST',
  NOAUTH: 'NO_AUTH',
  NOTENOUGH: 'NOT_ENOUGH',
  TRADE_OVERDUE: 'INVALID_REQUEST',
  ERROR: 'INVALID_REQUEST',
  INVALID_TRANSACTIONID: 'RESOURCE_NOT_EXISTS',
  REFUNDNOTEXIST: 'RESOURCE_NOT_EXISTS',
  SYSTEMERROR: 'SYSTEM_ERROR',
  BIZERR_NEED_RETRY: 'SYSTEM_ERROR',
  INVALID_REQ_TOO_MUCH: 'FREQUENCY_LIMITED',
  BANKERROR: 'BANK_ERROR',
};

/** v2 field names in decision messages → their v3 JSON paths. */
const FIELD_NAMES: readonly [RegExp, string][] = (
  [
    ['body', 'description'],
    ['total_fee', 'amount.total'],
    ['fee_type', 'amount.currency'],
    ['refund_fee', 'amount.refund'],
    ['spbill_create_ip', 'scene_info.payer_client_ip'],
    ['openid', 'payer.openid'],
    ['mch_id', 'mchid'],
    ['refund_desc', 'reason'],
    ['refund_account', 'funds_account'],
  ] as const
).map(([v2, v3]) => [new RegExp(`\\b${v2}\\b`, 'g'), v3]);

export const v3Message = (v2Message: string): string => FIELD_NAMES.reduce((s, [re, v3]) => s.replace(re, v3), v2Message);

/**
 * A failed decision as v3 answers it. `overrides` re-maps a code for one endpoint (a refund of an unknown
 * order is RESOURCE_NOT_EXISTS, not ORDER_NOT_EXIST).
 */
export function fromOutcome(o: Exclude<Outcome, { kind: 'ok' }>, overrides: Readonly<Record<string, [string, string]>> = {}): V3Error {
  if (o.kind === 'return_fail') return v3Error(400, 'PARAM_ERROR', v3Message(o.return_msg));
  const special = overrides[o.err_code];
  if (special) return v3Error(STATUS[special[0]] ?? 400, special[0], special[1]);
  const code = FROM_V2[o.err_code] ?? o.err_code;
  return v3Error(STATUS[code] ?? 400, code, v3Message(o.err_code_des));
}

/** `{code, message[, detail]}` with its status and a Request-ID (error answers are not signed: §3.4). */
export function errorResponse(e: V3Error, requestId: string): Response {
  const body = { code: e.code, message: e.message, ...(e.detail ? { detail: e.detail } : {}) };
  return new Response(JSON.stringify(body), { status: e.status, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Request-ID': requestId } });
}
