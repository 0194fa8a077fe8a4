// Shared helpers for the merchant API tests: authenticated calls, fresh order numbers, row counts,
// orders planted straight into D1.
import { env, exports } from 'cloudflare:workers';
import { openidFor } from '../../src/sandbox/users';
import { orderOfStored } from '../../src/worker/orders';

export const BASE = 'http://127.0.0.1:8787';
export const TOKEN = env.MERCHANT_API_TOKEN;
export const AUTH = { Authorization: `Bearer ${TOKEN}` };

let seq = 0;
/** Storage is shared within a test file: every test gets its own order number. */
export function freshNo(prefix = 'T'): string {
  seq += 1;
  return `${prefix}${Date.now().toString(36)}${seq.toString().padStart(4, '0')}${Math.floor(Math.random() * 1e6)}`.slice(0, 32);
}

export function api(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(BASE + path, init));
}

export function postJson(path: string, body: unknown, headers: Record<string, string> = AUTH): Promise<Response> {
  return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

export async function createOrder(body: Record<string, unknown> = {}) {
  const res = await postJson('/v1/orders', { description: 'Test item', total_fee: 1999, out_trade_no: freshNo(), ...body });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, any>;
}

export async function orderCount(): Promise<number> {
  return (await env.DB.prepare('SELECT count(*) AS n FROM orders').first<{ n: number }>())!.n;
}

/** The orders row, its times as ISO text (stored as epoch ms since 0018) as the repos read them. */
export async function orderRow(outTradeNo: string): Promise<Record<string, any> | null> {
  const row = await env.DB.prepare('SELECT * FROM orders WHERE out_trade_no = ?1').bind(outTradeNo).first<Record<string, any>>();
  return row ? orderOfStored(row) : null;
}

// ---- simulator controls (src/sandbox, mounted at /sandbox) ----

/** Simulator test buyers: openids are derived per appid, like WeChat's. */
export const BUYER = openidFor(env.WECHAT_APPID!, 'alice');
export const BOB = openidFor(env.WECHAT_APPID!, 'bob');
export const CAROL = openidFor(env.WECHAT_APPID!, 'carol');

export async function checkoutTokenFor(outTradeNo: string): Promise<string> {
  const { makeCheckoutToken } = await import('../../src/worker/platform/checkout-link');
  return makeCheckoutToken(env.CHECKOUT_SECRET!, outTradeNo);
}

/** jsapi as the checkout page calls it: with the link token. */
export async function jsapiFor(outTradeNo: string, headers: Record<string, string> = {}): Promise<Response> {
  return api(`/v1/orders/${outTradeNo}/jsapi`, { method: 'POST', headers: { 'X-Checkout-Token': await checkoutTokenFor(outTradeNo), ...headers } });
}

export async function simPay(prepayId: string, openid = BUYER) {
  const res = await postJson('/sandbox/sim/pay', { prepay_id: prepayId, openid }, {});
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

export async function simScenario(outTradeNo: string, scenario: Record<string, unknown>) {
  const res = await postJson('/sandbox/sim/scenario', { out_trade_no: outTradeNo, ...scenario }, {});
  if (res.status >= 300) throw new Error(`scenario refused: ${res.status} ${await res.text()}`);
}

export async function simClock(offsetMs: number) {
  const res = await postJson('/sandbox/sim/clock', { offset_ms: offsetMs }, {});
  if (res.status >= 300) throw new Error(`clock refused: ${res.status} ${await res.text()}`);
}

/** Moves an order's creation (and the simulator's clock) back so WeChat's 5-minute close rule is met. */
export async function ageOrder(outTradeNo: string, byMs: number) {
  const row = await orderRow(outTradeNo);
  const created = Date.parse(row!.created_at) - byMs; // epoch ms since 0018
  await env.DB.prepare('UPDATE orders SET created_at = ?2 WHERE out_trade_no = ?1').bind(outTradeNo, created).run();
}

export function prepayIdOf(params: { package: string }): string {
  return params.package.replace(/^prepay_id=/, '');
}

// ---- orders planted straight into D1 ----

/**
 * Plants `count` NOTPAY orders (100 fen, prepaid by BUYER, the prepay valid 2 h from `issued`) named
 * `${prefix}${now in base 36}000…`, created a second apart backwards from `issued` (the last is the oldest),
 * expiring an hour after `now`: a batch for the lifecycle cron's status checks.
 */
export async function plantNotpayOrders(prefix: string, count: number, now: number, issued: number): Promise<string[]> {
  const nos: string[] = [];
  for (let i = 0; i < count; i++) {
    const no = `${prefix}${now.toString(36)}${String(i).padStart(3, '0')}`;
    nos.push(no);
    await env.DB.prepare(
      `INSERT INTO orders (out_trade_no, description, total_fee, fee_type, status, sign_type, request_hash, prepay_id, prepay_openid, prepay_expires_at, expires_at, created_at, updated_at)
       VALUES (?1, 'Budget item', 100, 'CNY', 'NOTPAY', 'HMAC-SHA256', 'seed', 'wx_prepay_seed', ?2, ?3, ?4, ?5, ?5)`,
    )
      .bind(no, BUYER, issued + 2 * 3600_000, now + 3600_000, issued - i * 1000) // epoch ms since 0018
      .run();
  }
  return nos;
}
