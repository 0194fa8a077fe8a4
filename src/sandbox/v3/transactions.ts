/**
 * The API v3 wire of the trade decisions (docs/wechatpay-v3.md §6.1–§6.3): a prepay body is type-checked
 * and translated to the flat v2 field names the one decision reads (src/sandbox/trade.ts), and an order
 * is answered as the v3 transaction object (also the decrypted payment notify, §8.2). Presence and
 * business rules stay in the decision; only JSON shape and identity are checked here.
 */
import { formatV3Time } from '../../core';
import { appKindOf, type AppKind, type SimMerchant } from '../settings';
import type { SimOrder } from '../state';
import { TRADE_STATE_DESC } from '../trade';
import { v3Error, type V3Error } from './errors';
import { bool, canonicalJson, int, type Json, obj, str } from './json';

/** `POST /v3/pay/transactions/<path>` → the trade type (H5 is WeChat's MWEB; a mini-program is JSAPI by its appid). */
export const PREPAY_PATHS = { jsapi: 'JSAPI', native: 'NATIVE', h5: 'MWEB', app: 'APP' } as const;
export type PrepayPath = keyof typeof PREPAY_PATHS;

/** The `mchid` of a body or query: the merchant's own (the one the Authorization header was verified for). */
export function checkMchid(value: string | undefined, m: SimMerchant, where: 'body' | 'query'): V3Error | null {
  if (!value) return v3Error(400, 'PARAM_ERROR', '缺少参数mchid', { field: 'mchid', issue: '缺少参数', location: where });
  return value === m.mchId ? null : v3Error(400, 'MCH_NOT_EXISTS', '商户号不存在或与请求的认证信息不一致', { field: 'mchid', location: where });
}

function put(f: Record<string, string>, name: string, v: string | number | boolean | undefined): void {
  if (v !== undefined) f[name] = String(v);
}

/**
 * The prepay body as v2 fields: appid, mch_id, trade_type, body (description), out_trade_no, total_fee
 * (amount.total), fee_type (amount.currency), notify_url, attach, goods_tag, time_expire, openid
 * (payer.openid, JSAPI), spbill_create_ip (scene_info.payer_client_ip), device_info
 * (scene_info.device_id), scene_info (H5: `{"h5_info": …}`), and `v3_body`, the canonical body: every
 * parameter takes part in the re-entry comparison (the same out_trade_no with other parameters is refused).
 * Throws FieldError on a field of the wrong JSON type.
 */
export function prepayFields(body: Json, path: PrepayPath, m: SimMerchant): { fields: Record<string, string>; appKind: AppKind } | V3Error {
  const appid = str(body, 'appid', true)!;
  const mchError = checkMchid(str(body, 'mchid', true), m, 'body');
  if (mchError) return mchError;
  const appKind = appKindOf(m, appid);
  if (!appKind) return v3Error(400, 'APPID_MCHID_NOT_MATCH', 'appid和mchid不匹配', { field: 'appid', location: 'body' });
  const f: Record<string, string> = { appid, mch_id: m.mchId, trade_type: PREPAY_PATHS[path] };
  put(f, 'body', str(body, 'description'));
  put(f, 'out_trade_no', str(body, 'out_trade_no'));
  put(f, 'notify_url', str(body, 'notify_url'));
  put(f, 'attach', str(body, 'attach'));
  put(f, 'goods_tag', str(body, 'goods_tag'));
  put(f, 'time_expire', str(body, 'time_expire'));
  put(f, 'support_fapiao', bool(body, 'support_fapiao'));
  const amount = obj(body, 'amount');
  if (amount) {
    put(f, 'total_fee', int(amount, 'amount.total'));
    put(f, 'fee_type', str(amount, 'amount.currency'));
  }
  if (path === 'jsapi') {
    const payer = obj(body, 'payer');
    if (payer) put(f, 'openid', str(payer, 'payer.openid'));
  }
  const scene = obj(body, 'scene_info');
  if (scene) {
    put(f, 'spbill_create_ip', str(scene, 'scene_info.payer_client_ip'));
    put(f, 'device_info', str(scene, 'scene_info.device_id'));
    // The decision checks h5_info.type (Wap, iOS, Android) in the v2 scene_info string form.
    if (path === 'h5') f.scene_info = JSON.stringify({ h5_info: obj(scene, 'scene_info.h5_info') ?? null });
  }
  obj(body, 'detail');
  obj(body, 'settle_info');
  f.v3_body = canonicalJson(body);
  return { fields: f, appKind };
}

/** The prepay answer: `{prepay_id}` (JSAPI, APP), `{code_url}` (NATIVE) or `{h5_url}` (H5). */
export function prepayAnswer(path: PrepayPath, v2: Record<string, string>): Json {
  if (path === 'native') return { code_url: v2.code_url };
  if (path === 'h5') return { h5_url: v2.mweb_url };
  return { prepay_id: v2.prepay_id };
}

const paidStates: ReadonlySet<SimOrder['state']> = new Set(['SUCCESS', 'REFUND']);

/**
 * The transaction object (§6.2) of any order, placed through v2 or v3: appid and trade_type its own,
 * `success_time` in RFC 3339 (+08:00), amounts in fen. Unpaid orders carry no transaction_id, payer_total,
 * bank_type or success_time.
 */
export function transactionObject(o: SimOrder, mchId: string): Json {
  const paid = paidStates.has(o.state);
  return {
    appid: o.appid,
    mchid: mchId,
    out_trade_no: o.out_trade_no,
    ...(paid ? { transaction_id: o.transaction_id } : {}),
    trade_type: o.trade_type,
    trade_state: o.state,
    trade_state_desc: TRADE_STATE_DESC[o.state],
    ...(paid ? { bank_type: o.bank_type ?? 'OTHERS' } : {}),
    ...(o.params.attach !== undefined ? { attach: o.params.attach } : {}),
    ...(paid && o.paid_at !== undefined ? { success_time: formatV3Time(new Date(o.paid_at)) } : {}),
    ...(o.openid ? { payer: { openid: o.openid } } : {}),
    amount: paid
      ? { total: o.total_fee, payer_total: o.total_fee, currency: 'CNY', payer_currency: 'CNY' }
      : { total: o.total_fee, currency: 'CNY', payer_currency: 'CNY' },
    ...(o.params.device_info ? { scene_info: { device_id: o.params.device_info } } : {}),
  };
}
