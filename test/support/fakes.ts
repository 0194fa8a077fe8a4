// Fakes for the fast tier (test/service, in Node): a use case's dependencies without workerd. A
// scripted WeChat that answers signed XML like the real one (so the v2 client's verification still
// runs), an OrderGate that records calls and answers from a script, a D1 that answers the few
// statements a use case makes from handlers, and a settable clock. Only `fakeDeps` knows the shape of
// GatewayDeps: when that shape changes, this file changes, not the tests. No `cloudflare:*` import.
import { buildXml, parseXml, signParams, type SignType } from '../../src/core';
import type { OrderStatus } from '../../src/core/order-state';
import type { CloseRequest, GateResult, OrderGateRpc, PaymentFacts, RefundApplyResult, RefundFacts } from '../../src/worker/model';
import type { OrderRow } from '../../src/worker/orders/orders-repo';
import { parseConfig, type Config } from '../../src/worker/platform/config';
import { v2Channel } from '../../src/worker/wechat/channel';
import type { GatewayDeps } from '../../src/worker/platform/deps';
import type { RefundRow } from '../../src/worker/refunds/refunds-repo';
import type { WechatDeps } from '../../src/worker/wechat';

/** The sandbox defaults of wrangler.toml [vars]. */
export const SANDBOX_VARS = {
  WECHAT_MODE: 'sandbox',
  WECHAT_APPID: 'wxd930ea5d5a258f4f',
  WECHAT_MCH_ID: '10000100',
  WECHAT_API_KEY: '192006250b4c09247ec02edce69f6a2d',
  WECHAT_APP_SECRET: 'sandbox-app-secret-not-for-live-use',
  WECHAT_SIGN_TYPE: 'HMAC-SHA256',
  MERCHANT_API_TOKEN: 'sandbox-merchant-token-not-for-live-use',
  CHECKOUT_SECRET: 'sandbox-checkout-secret-not-for-live-use',
  PUBLIC_BASE_URL: 'http://127.0.0.1:8787',
  MAX_TOTAL_FEE: '10000000',
  MERCHANT_NAME: '沙箱商户',
};

export function fakeConfig(vars: Record<string, string> = {}): Config {
  const parsed = parseConfig({ ...SANDBOX_VARS, ...vars });
  if (!parsed.ok) throw new Error(`fake config refused: ${parsed.problems.join('; ')}`);
  return parsed.config;
}

// ---- WeChat ----

/** What the fake WeChat does with one call: answer these business fields (signed, SUCCESS), fail with an err_code, or never answer. */
export type WechatReply = { fields: Record<string, string | number> } | { errCode: string } | { hang: true };

export interface WechatCall {
  /** Under the pay base URL, e.g. `/pay/orderquery`. */
  path: string;
  request: Record<string, string>;
}

export interface FakeWechat {
  readonly deps: WechatDeps;
  readonly calls: WechatCall[];
  /** Queues replies for an endpoint path, used in order; the last one repeats. */
  on(path: string, ...replies: WechatReply[]): FakeWechat;
  callsTo(path: string): number;
}

export function fakeWechat(config: Config): FakeWechat {
  const script = new Map<string, WechatReply[]>();
  const calls: WechatCall[] = [];
  const answer = async (url: string, init: RequestInit): Promise<Response> => {
    if (!url.startsWith(config.payBaseUrl)) throw new Error(`fake WeChat: ${url} is not under ${config.payBaseUrl}`);
    const path = url.slice(config.payBaseUrl.length);
    const request = parseXml(String(init.body));
    calls.push({ path, request });
    const queue = script.get(path) ?? [];
    const reply = queue.length > 1 ? queue.shift()! : queue[0];
    if (!reply) throw new Error(`fake WeChat: no reply scripted for ${path}`);
    if ('hang' in reply) {
      return new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    }
    // Like WeChat, the answer names the appid the request was made under (a reply's fields may override it).
    const base: Record<string, string | number> = {
      return_code: 'SUCCESS',
      appid: request.appid ?? config.appId,
      mch_id: config.mchId,
      nonce_str: 'fakenonce',
    };
    const fields = 'errCode' in reply ? { ...base, result_code: 'FAIL', err_code: reply.errCode } : { ...base, result_code: 'SUCCESS', ...reply.fields };
    const signType = (request.sign_type ?? 'MD5') as SignType;
    const signed = { ...fields, sign: await signParams(stringify(fields), config.apiKey, signType) };
    return new Response(buildXml(signed), { status: 200, headers: { 'Content-Type': 'text/xml' } });
  };
  const fake: FakeWechat = {
    deps: { config, transports: { api: answer, cert: answer, certAvailable: true }, timeoutMs: 50, sleep: async () => undefined },
    calls,
    on(path, ...replies) {
      script.set(path, replies);
      return fake;
    },
    callsTo: (path) => calls.filter((c) => c.path === path).length,
  };
  return fake;
}

function stringify(fields: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
}

// ---- OrderGate ----

export type GateCall =
  | { method: 'applyPayment'; outTradeNo: string; facts: PaymentFacts }
  | { method: 'closeOrder'; outTradeNo: string; req: CloseRequest }
  | { method: 'applyRefundResult'; outTradeNo: string; facts: RefundFacts };

export interface GateScript {
  applyPayment?: (facts: PaymentFacts) => GateResult;
  /** By phase; a phase not given answers CLOSE_STEP_DONE with the status that phase leads to. */
  closeOrder?: Partial<Record<CloseRequest['phase'], GateResult>>;
  applyRefundResult?: (facts: RefundFacts) => RefundApplyResult;
}

export interface FakeGate {
  readonly gate: (outTradeNo: string) => OrderGateRpc;
  readonly calls: GateCall[];
}

const PHASE_STATUS: Record<CloseRequest['phase'], OrderStatus> = { BEGIN: 'CLOSING', CLOSED: 'CLOSED', ABORT: 'NOTPAY' };

export function fakeGate(script: GateScript = {}): FakeGate {
  const calls: GateCall[] = [];
  const gate = (outTradeNo: string): OrderGateRpc =>
    ({
      async applyPayment(facts: PaymentFacts) {
        calls.push({ method: 'applyPayment', outTradeNo, facts });
        if (!script.applyPayment) throw new Error('fake gate: applyPayment not scripted');
        return script.applyPayment(facts);
      },
      async closeOrder(req: CloseRequest) {
        calls.push({ method: 'closeOrder', outTradeNo, req });
        return script.closeOrder?.[req.phase] ?? { outcome: 'CLOSE_STEP_DONE', status: PHASE_STATUS[req.phase] };
      },
      async applyRefundResult(facts: RefundFacts) {
        calls.push({ method: 'applyRefundResult', outTradeNo, facts });
        if (!script.applyRefundResult) throw new Error('fake gate: applyRefundResult not scripted');
        return script.applyRefundResult(facts);
      },
    }) as unknown as OrderGateRpc;
  return { gate, calls };
}

// ---- D1 ----

/** Answers the statements whose SQL matches `sql`: `run` gives meta.changes, `first` a row, `all` rows. */
export interface StatementHandler {
  sql: RegExp;
  run?: (binds: unknown[]) => number;
  first?: (binds: unknown[]) => unknown;
  all?: (binds: unknown[]) => unknown[];
}

export interface FakeDb {
  readonly db: D1Database;
  /** Every statement run, in order. */
  readonly statements: Array<{ sql: string; binds: unknown[] }>;
}

export function fakeDb(handlers: StatementHandler[] = []): FakeDb {
  const statements: Array<{ sql: string; binds: unknown[] }> = [];
  const handlerFor = (sql: string) => {
    const h = handlers.find((x) => x.sql.test(sql));
    if (!h) throw new Error(`fake D1: no handler for ${sql.replace(/\s+/g, ' ').slice(0, 120)}`);
    return h;
  };
  const statement = (sql: string, binds: unknown[] = []) => ({
    bind: (...values: unknown[]) => statement(sql, values),
    async run() {
      statements.push({ sql, binds });
      const changes = handlerFor(sql).run?.(binds) ?? 0;
      return { success: true, results: [], meta: { changes } };
    },
    async first() {
      statements.push({ sql, binds });
      return handlerFor(sql).first?.(binds) ?? null;
    },
    async all() {
      statements.push({ sql, binds });
      return { success: true, results: handlerFor(sql).all?.(binds) ?? [], meta: {} };
    },
  });
  const db = { prepare: (sql: string) => statement(sql) } as unknown as D1Database;
  return { db, statements };
}

// ---- clock and deps ----

export interface FakeClock {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function fakeClock(startMs = Date.parse('2026-05-01T02:00:00.000Z')): FakeClock {
  let t = startMs;
  return {
    now: () => t,
    set: (ms) => {
      t = ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

export interface Fakes {
  deps: GatewayDeps;
  wechat: FakeWechat;
  gate: FakeGate;
  db: FakeDb;
  clock: FakeClock;
  config: Config;
}

/** A use case's dependencies, every one a fake. */
export function fakeDeps(opts: { gate?: GateScript; db?: StatementHandler[]; clock?: FakeClock; config?: Config } = {}): Fakes {
  const config = opts.config ?? fakeConfig();
  const wechat = fakeWechat(config);
  const gate = fakeGate(opts.gate);
  // Orders from before payment attempts, unless a test scripts them: no attempt rows, nothing to close.
  const db = fakeDb([
    ...(opts.db ?? []),
    { sql: /FROM payment_attempts WHERE out_trade_no/, all: () => [] },
    { sql: /^UPDATE payment_attempts SET status = 'CLOSED'/, run: () => 1 },
    { sql: /FROM payment_attempts WHERE payment_no/, first: () => null },
  ]);
  const clock = opts.clock ?? fakeClock();
  const deps: GatewayDeps = { db: db.db, gate: gate.gate, config, channel: v2Channel(wechat.deps), now: clock.now, waitUntil: () => undefined };
  return { deps, wechat, gate, db, clock, config };
}

// ---- rows ----

const ISO = (ms: number) => new Date(ms).toISOString();

export function orderRow(overrides: Partial<OrderRow> = {}, nowMs = fakeClock().now()): OrderRow {
  return {
    out_trade_no: 'FAST0001',
    payment_no: null,
    trade_type: null,
    description: 'Test item',
    total_fee: 1999,
    fee_type: 'CNY',
    attach: null,
    metadata: null,
    openid: null,
    status: 'NOTPAY',
    sign_type: 'HMAC-SHA256',
    request_hash: 'h',
    prepay_id: 'wx_prepay',
    prepay_openid: null,
    prepay_expires_at: ISO(nowMs + 2 * 3600_000 - 10 * 60_000),
    prepay_client_ip: null,
    transaction_id: null,
    bank_type: null,
    cash_fee: null,
    time_end: null,
    paid_at: null,
    closed_at: null,
    last_notify_at: null,
    last_synced_at: null,
    refund_reserved_fee: 0,
    refunded_fee: 0,
    refund_version: 0,
    expires_at: ISO(nowMs + 20 * 60_000),
    created_at: ISO(nowMs - 10 * 60_000),
    updated_at: ISO(nowMs - 10 * 60_000),
    ...overrides,
  };
}

export function refundRow(overrides: Partial<RefundRow> = {}, nowMs = fakeClock().now()): RefundRow {
  return {
    out_refund_no: 'FAST0001-r1',
    out_trade_no: 'FAST0001',
    refund_fee: 500,
    total_fee: 1999,
    reason: null,
    status: 'PROCESSING',
    refund_id: 'wx_refund_1',
    failure_reason: null,
    request_hash: 'h',
    attempts: 1,
    last_attempt_at: ISO(nowMs - 5 * 60_000),
    last_synced_at: null,
    created_at: ISO(nowMs - 5 * 60_000),
    updated_at: ISO(nowMs - 5 * 60_000),
    succeeded_at: null,
    ...overrides,
  };
}
