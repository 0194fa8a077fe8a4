/**
 * Scenario controls: per out_trade_no (or `*` for every order without its own), set through
 * `POST /sandbox/sim/scenario` and kept in the merchant Durable Object. They bend the simulator's
 * behaviour for tests and demos; without one it behaves like WeChat on a good day.
 */
import type { RefundStatus } from './state';

const ENDPOINTS = ['unifiedorder', 'orderquery', 'closeorder', 'refund', 'refundquery', 'downloadbill'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/**
 * One injected fault. `error`: answer result_code=FAIL with this err_code before touching state.
 * `timeout`: process the call, then never answer (hang until the client gives up; the outcome is
 * unknown to it, as with a real timeout). `delay_ms`: process, then answer late.
 */
export interface Fault {
  endpoint: Endpoint;
  error?: string;
  timeout?: boolean;
  delay_ms?: number;
  /** How many calls it applies to (default 1). */
  times: number;
}

export interface Scenario {
  /** What the buyer does at the pay sheet / `POST /sandbox/sim/pay`: pay (default), cancel, or the payment fails. */
  user_action?: 'pay' | 'cancel' | 'fail';
  /** `never`: the payment/refund notify is never sent; only orderquery/refundquery finds the result. */
  notify?: 'send' | 'never';
  /** First notify attempt this long after the payment (real time), instead of at once. */
  notify_delay_ms?: number;
  /** Each delivery attempt POSTs this many copies concurrently (several WeChat senders). */
  notify_duplicates?: number;
  /** Copies carry the same bytes (`same`), or each its own nonce_str and sign (`resigned`). */
  notify_duplicate_mode?: 'same' | 'resigned';
  /** `amount`: total_fee changed after signing; `sign`: signed with a wrong key; `nosign`: sign removed. */
  notify_tamper?: 'amount' | 'sign' | 'nosign';
  /** Multiplies the retry schedule (15 s, 15 s, 30 s, 3 m, …): 0.001 turns 15 s into 15 ms. */
  notify_time_scale?: number;
  /** Final state of refunds of this order (default SUCCESS); PROCESSING never completes. */
  refund_status?: RefundStatus;
  faults?: Fault[];
}

/** The err_code_des WeChat pairs with each code the simulator can inject. */
export const ERR_CODE_DES: Readonly<Record<string, string>> = {
  SYSTEMERROR: '系统超时，请用相同参数重新调用',
  BIZERR_NEED_RETRY: '退款业务流程错误，需要商户触发重试来解决',
  NOTENOUGH: '基本账户余额不足，请充值后重新发起',
  FREQUENCY_LIMITED: '频率限制，请降低请求频率',
  INVALID_REQ_TOO_MUCH: '无效请求过多，请检查请求参数',
  TRADE_OVERDUE: '订单已经超过退款期限',
  USER_ACCOUNT_ABNORMAL: '退款请求失败，用户账号已注销',
  ERROR: '业务错误',
  NOAUTH: '商户无此接口权限',
  ORDERPAID: '该订单已支付',
  ORDERCLOSED: '该订单已关',
  ORDERNOTEXIST: '订单不存在',
};

export class ScenarioError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function int(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ScenarioError(`${name} must be an integer from ${min} to ${max}`);
  }
  return v;
}

function oneOf<T extends string>(v: unknown, name: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw new ScenarioError(`${name} must be one of ${values.join(', ')}`);
  }
  return v as T;
}

const ERR_CODE = /^[A-Z_]{3,32}$/;

function parseFault(v: unknown, i: number): Fault {
  if (!isObj(v)) throw new ScenarioError(`faults[${i}] must be an object`);
  const fault: Fault = { endpoint: oneOf(v.endpoint, `faults[${i}].endpoint`, ENDPOINTS), times: 1 };
  if (v.times !== undefined) fault.times = int(v.times, `faults[${i}].times`, 1, 10_000);
  const kinds = [v.error, v.timeout, v.delay_ms].filter((k) => k !== undefined).length;
  if (kinds !== 1) throw new ScenarioError(`faults[${i}] needs exactly one of error, timeout, delay_ms`);
  if (v.error !== undefined) {
    if (typeof v.error !== 'string' || !ERR_CODE.test(v.error)) throw new ScenarioError(`faults[${i}].error must be an err_code such as SYSTEMERROR`);
    fault.error = v.error;
  }
  if (v.timeout !== undefined) {
    if (v.timeout !== true) throw new ScenarioError(`faults[${i}].timeout must be true`);
    fault.timeout = true;
  }
  if (v.delay_ms !== undefined) fault.delay_ms = int(v.delay_ms, `faults[${i}].delay_ms`, 1, 60_000);
  return fault;
}

/** Validates a control request body (without its out_trade_no). Throws ScenarioError with a readable message. */
export function parseScenario(body: Record<string, unknown>): Scenario {
  const s: Scenario = {};
  const known = new Set([
    'out_trade_no',
    'user_action',
    'notify',
    'notify_delay_ms',
    'notify_duplicates',
    'notify_duplicate_mode',
    'notify_tamper',
    'notify_time_scale',
    'refund_status',
    'faults',
  ]);
  for (const k of Object.keys(body)) if (!known.has(k)) throw new ScenarioError(`unknown scenario field ${JSON.stringify(k).slice(0, 40)}`);
  if (body.user_action !== undefined) s.user_action = oneOf(body.user_action, 'user_action', ['pay', 'cancel', 'fail'] as const);
  if (body.notify !== undefined) s.notify = oneOf(body.notify, 'notify', ['send', 'never'] as const);
  if (body.notify_delay_ms !== undefined) s.notify_delay_ms = int(body.notify_delay_ms, 'notify_delay_ms', 0, 7 * 24 * 3600_000);
  if (body.notify_duplicates !== undefined) s.notify_duplicates = int(body.notify_duplicates, 'notify_duplicates', 1, 100);
  if (body.notify_duplicate_mode !== undefined)
    s.notify_duplicate_mode = oneOf(body.notify_duplicate_mode, 'notify_duplicate_mode', ['same', 'resigned'] as const);
  if (body.notify_tamper !== undefined) s.notify_tamper = oneOf(body.notify_tamper, 'notify_tamper', ['amount', 'sign', 'nosign'] as const);
  if (body.notify_time_scale !== undefined) {
    const v = body.notify_time_scale;
    if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw new ScenarioError('notify_time_scale must be a number in (0, 1]');
    s.notify_time_scale = v;
  }
  if (body.refund_status !== undefined)
    s.refund_status = oneOf(body.refund_status, 'refund_status', ['SUCCESS', 'CHANGE', 'REFUNDCLOSE', 'PROCESSING'] as const);
  if (body.faults !== undefined) {
    if (!Array.isArray(body.faults) || body.faults.length > 20) throw new ScenarioError('faults must be an array of at most 20 faults');
    s.faults = body.faults.map(parseFault);
  }
  return s;
}

/**
 * Takes one use of the first fault for `endpoint`, if any: returns it, and the scenario with that
 * use spent (faults whose uses run out are removed).
 */
export function takeFault(s: Scenario | undefined, endpoint: Endpoint): { fault?: Fault; rest?: Scenario } {
  const i = s?.faults?.findIndex((f) => f.endpoint === endpoint) ?? -1;
  if (!s || i < 0) return {};
  const faults = s.faults!.map((f) => ({ ...f }));
  const fault = faults[i]!;
  if (fault.times <= 1) faults.splice(i, 1);
  else fault.times -= 1;
  return { fault, rest: { ...s, faults } };
}
