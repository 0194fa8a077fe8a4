/** Shared helpers for the simulator's contract tests: signed XML calls over HTTP-shaped requests. */
import { env, exports } from 'cloudflare:workers';
import { buildXml, nonceStr, parseXml, SANDBOX_APP_APPID, SANDBOX_MINI_PROGRAM_APPID, signParams, type SignType } from '../../src/core';
import { openidFor } from '../../src/sandbox/users';

export const ORIGIN = 'http://127.0.0.1:8787';
export const BASE = `${ORIGIN}/sandbox`;
export const APPID: string = env.WECHAT_APPID!;
export const MCHID: string = env.WECHAT_MCH_ID!;
export const KEY: string = env.WECHAT_API_KEY!;
/** The sandbox merchant's mini-program and mobile app (the gateway's config names none: the test values). */
export const MINI_APPID = SANDBOX_MINI_PROGRAM_APPID;
export const APP_APPID = SANDBOX_APP_APPID;
export const ALICE = openidFor(APPID, 'alice');
export const BOB = openidFor(APPID, 'bob');
export const CERT_HEADER = { 'X-Sandbox-Client-Cert': MCHID };

let seq = 0;
/** A fresh out_trade_no per test (storage is shared within a file). */
export function newOutTradeNo(prefix = 'SBX'): string {
  seq += 1;
  return `${prefix}${Date.now().toString(36)}${String(seq).padStart(4, '0')}${nonceStr(4)}`.slice(0, 32);
}

export async function signed(fields: Record<string, string | number>, signType: SignType = 'MD5', key = KEY): Promise<string> {
  const all: Record<string, string> = { appid: APPID, mch_id: MCHID, nonce_str: nonceStr(16), ...(signType === 'MD5' ? {} : { sign_type: signType }) };
  for (const [k, v] of Object.entries(fields)) all[k] = String(v);
  all.sign = await signParams(all, key, signType);
  return buildXml(all);
}

export function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(`${BASE}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'text/xml', ...headers } });
}

export async function callXml(
  path: string,
  fields: Record<string, string | number>,
  opts: { signType?: SignType; headers?: Record<string, string>; key?: string } = {},
) {
  const res = await post(path, await signed(fields, opts.signType, opts.key), opts.headers);
  const text = await res.text();
  // A refundquery page of 10 refunds carries ~95 fields, beyond the parser's default of 64.
  return { status: res.status, text, fields: parseXml(text, { maxFields: 256 }) };
}

export function postJson(path: string, body: unknown): Promise<Response> {
  return exports.default.fetch(`${BASE}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
}

export async function getJson<T = any>(path: string): Promise<T> {
  const res = await exports.default.fetch(`${BASE}${path}`);
  return (await res.json()) as T;
}

export function orderFields(outTradeNo: string, overrides: Record<string, string | number> = {}): Record<string, string | number> {
  return {
    body: '沙箱测试-商品',
    out_trade_no: outTradeNo,
    total_fee: 1999,
    spbill_create_ip: '203.0.113.7',
    notify_url: `${BASE}/sim/receiver/${outTradeNo}`,
    trade_type: 'JSAPI',
    openid: ALICE,
    ...overrides,
  };
}

/** unifiedorder with defaults; returns the reply fields. */
export async function placeOrder(outTradeNo: string, overrides: Record<string, string | number> = {}, signType: SignType = 'MD5') {
  return (await callXml('/pay/unifiedorder', orderFields(outTradeNo, overrides), { signType })).fields;
}

export async function pay(prepayId: string, openid = ALICE) {
  const res = await postJson('/sim/pay', { prepay_id: prepayId, openid });
  return { status: res.status, body: (await res.json()) as any };
}

/** POST /sim/pay with any handle: `{prepay_id | code_url | mweb_url, openid}`. */
export async function payBy(handle: { prepay_id?: string; code_url?: string; mweb_url?: string }, openid: string) {
  const res = await postJson('/sim/pay', { ...handle, openid });
  return { status: res.status, body: (await res.json()) as any };
}

/** The notifies the test receiver `name` got, parsed. */
export async function received(name: string): Promise<Record<string, string>[]> {
  const { received } = await getJson<{ received: { body: string }[] }>(`/sim/receiver/${name}`);
  return received.map((r) => parseXml(r.body));
}

export async function setScenario(outTradeNo: string, scenario: Record<string, unknown>) {
  const res = await postJson('/sim/scenario', { out_trade_no: outTradeNo, ...scenario });
  if (res.status !== 200) throw new Error(`scenario refused: ${await res.text()}`);
}

export async function advanceClock(ms: number) {
  const res = await postJson('/sim/clock', { advance_ms: ms });
  if (res.status !== 200) throw new Error('clock refused');
}
