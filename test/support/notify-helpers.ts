// Shared helpers for the notify tests: seeded orders, signed notifies (the sandbox's test signer),
// the route over HTTP-shaped requests, and the "no state change" oracle of docs/reliability.md §7.0.
import { createExecutionContext, listDurableObjectIds, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { NOTIFY_REPLIES, nonceStr, type SignType } from '../../src/core';
import { buildSignedPayNotify, type NotifyMerchant, type PayNotifyInput } from '../../src/sandbox/notify';
import { createApp, type AppOptions } from '../../src/worker/compose/app';
import type { OrderGate } from '../../src/worker/order-gate/durable-object';
import { GATE_TEST_HOOKS, type GateTestHooks } from '../../src/worker/order-gate/test-hooks';
import { orderOfStored } from '../../src/worker/orders';

export const NOTIFY_URL = 'http://127.0.0.1:8787/wechat/notify';
export const MERCHANT: NotifyMerchant = {
  appId: env.WECHAT_APPID!,
  mchId: env.WECHAT_MCH_ID!,
  key: env.WECHAT_API_KEY!,
  signType: env.WECHAT_SIGN_TYPE as SignType,
};
export const OK = NOTIFY_REPLIES.OK.body;
export const PARAM_ERROR = NOTIFY_REPLIES.PARAM_ERROR.body;
export const SIGN_ERROR = NOTIFY_REPLIES.SIGN_ERROR.body;
export const RETRY = NOTIFY_REPLIES.RETRY.body;
export const TOO_LARGE = NOTIFY_REPLIES.TOO_LARGE.body;

let seq = 0;
/** Storage is shared within a file: every test gets its own order number. */
export function freshNo(prefix = 'N'): string {
  seq += 1;
  return `${prefix}${Date.now().toString(36)}${String(seq).padStart(4, '0')}${nonceStr(6)}`.slice(0, 32);
}

export interface SeedOptions {
  status?: string;
  totalFee?: number;
  openid?: string | null;
  prepayOpenid?: string | null;
  transactionId?: string | null;
}

/** Inserts an order row directly (the merchant API is not under test here). */
export async function seedOrder(o: SeedOptions = {}, outTradeNo = freshNo()): Promise<string> {
  const now = Date.now(); // an order's times are epoch ms since 0018
  await env.DB.prepare(
    `INSERT INTO orders (out_trade_no, description, total_fee, fee_type, openid, status, sign_type, request_hash,
       prepay_id, prepay_openid, transaction_id, expires_at, created_at, updated_at)
     VALUES (?1, 'Test item', ?2, 'CNY', ?3, ?4, ?5, 'seed', 'wx_prepay_seed', ?6, ?7, ?8, ?9, ?9)`,
  )
    .bind(
      outTradeNo,
      o.totalFee ?? 1999,
      o.openid ?? null,
      o.status ?? 'NOTPAY',
      MERCHANT.signType,
      o.prepayOpenid ?? null,
      o.transactionId ?? null,
      now + 3600_000,
      now,
    )
    .run();
  return outTradeNo;
}

/** A signed notify for the order; `fields` override the sandbox signer's defaults before signing. */
export function signedNotify(outTradeNo: string, fields: Partial<PayNotifyInput> = {}, merchant: Partial<NotifyMerchant> = {}) {
  return buildSignedPayNotify({ out_trade_no: outTradeNo, total_fee: 1999, ...fields } as PayNotifyInput, { ...MERCHANT, ...merchant });
}

export function postNotify(
  body: BodyInit | null,
  headers: Record<string, string> = { 'Content-Type': 'text/xml' },
  url = NOTIFY_URL,
  method = 'POST',
): Promise<Response> {
  return exports.default.fetch(new Request(url, { method, headers, body }));
}

/** A notify deadline no test reaches: tests that measure outcomes under load must not race a clock. */
export const UNREACHABLE_DEADLINE_MS = 10 * 60_000;

/**
 * POSTs notifies to an app built with `options` (e.g. its own notify deadline), in this test's
 * isolate with the real bindings; each reply waits for the request's waitUntil work.
 */
export function notifyPoster(options: AppOptions): (body: BodyInit | null) => Promise<Response> {
  const app = createApp(options);
  return async (body) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(NOTIFY_URL, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body }), env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}

/** The app under a modified configuration (e.g. WECHAT_SIGN_TYPE=MD5), with the real bindings. */
export async function postNotifyWithEnv(overrides: Record<string, string>, body: string): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request(NOTIFY_URL, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body }),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

export async function replyOf(res: Response): Promise<{ status: number; body: string; type: string | null }> {
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

async function dump(sql: string): Promise<unknown[]> {
  return (await env.DB.prepare(sql).all()).results;
}

/** Every row of the money tables, in a fixed order: byte-identical before and after = no state change. */
export async function snap(): Promise<string> {
  return JSON.stringify({
    orders: await dump('SELECT * FROM orders ORDER BY out_trade_no'),
    ledger: await dump('SELECT * FROM ledger ORDER BY id'),
    notifications: await dump('SELECT * FROM notifications ORDER BY id'),
    anomalies: await dump('SELECT * FROM anomalies ORDER BY id'),
  });
}

export async function doIds(): Promise<string[]> {
  return (await listDurableObjectIds(env.ORDER_GATE)).map((id) => id.toString()).sort();
}

/**
 * The Durable Objects created since `before`, other than the gate named by `number` (an authentic
 * notify asks its number's gate for the facts it keeps before anything is read: issue 20).
 */
export async function doIdsBeyond(before: readonly string[], number: string): Promise<string[]> {
  const own = env.ORDER_GATE.idFromName(number).toString();
  return (await doIds()).filter((id) => !before.includes(id) && id !== own);
}

/** The keys the gate named `number` keeps in its storage (paid-memo, facts, alias). */
export async function gateKeeps(number: string): Promise<string[]> {
  return runInDurableObject(env.ORDER_GATE.getByName(number), (_: OrderGate, state) => [...state.storage.kv.list()].map(([key]) => key));
}

/** The orders row, its times as ISO text (stored as epoch ms since 0018) as the repos read them. */
export async function orderRow(outTradeNo: string): Promise<Record<string, any> | null> {
  const row = await env.DB.prepare('SELECT * FROM orders WHERE out_trade_no = ?1').bind(outTradeNo).first<Record<string, any>>();
  return row ? orderOfStored(row) : null;
}

export async function ledgerRows(outTradeNo: string) {
  return (await env.DB.prepare('SELECT * FROM ledger WHERE out_trade_no = ?1 ORDER BY id').bind(outTradeNo).all<Record<string, any>>()).results;
}

export async function anomalyRows(outTradeNo: string | null) {
  const q =
    outTradeNo === null
      ? env.DB.prepare('SELECT * FROM anomalies WHERE out_trade_no IS NULL ORDER BY id')
      : env.DB.prepare('SELECT * FROM anomalies WHERE out_trade_no = ?1 ORDER BY id').bind(outTradeNo);
  return (await q.all<Record<string, any>>()).results;
}

export async function notificationRows(outTradeNo: string) {
  return (await env.DB.prepare('SELECT * FROM notifications WHERE out_trade_no = ?1 ORDER BY id').bind(outTradeNo).all<Record<string, any>>()).results;
}

export async function rejectionCount(reason: string): Promise<number> {
  const r = await env.DB.prepare('SELECT COALESCE(SUM(count), 0) AS n FROM notify_rejections WHERE reason = ?1').bind(reason).first<{ n: number }>();
  return r!.n;
}

/**
 * Installs fault points on the order's DO instance (docs/reliability.md §7.0). Only a test holding the
 * instance through runInDurableObject can do this: the hooks sit under a Symbol key RPC cannot reach.
 */
export async function installGateHooks(outTradeNo: string, make: (state: DurableObjectState) => GateTestHooks): Promise<void> {
  await runInDurableObject(env.ORDER_GATE.getByName(outTradeNo), (instance: OrderGate, state) => {
    instance[GATE_TEST_HOOKS] = make(state);
  });
}

/** How many duplicates this DO instance answered from its cache (they leave no D1 row). */
export async function gateDuplicates(outTradeNo: string): Promise<number> {
  return runInDurableObject(env.ORDER_GATE.getByName(outTradeNo), (instance: OrderGate) => instance.duplicatesAnswered);
}

export function gate(outTradeNo: string) {
  return env.ORDER_GATE.getByName(outTradeNo);
}
