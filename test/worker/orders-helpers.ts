// Shared helpers for the merchant API tests: authenticated calls, fresh order numbers, row counts.
import { env, exports } from 'cloudflare:workers';

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

export async function orderRow(outTradeNo: string) {
  return env.DB.prepare('SELECT * FROM orders WHERE out_trade_no = ?1').bind(outTradeNo).first<Record<string, any>>();
}
