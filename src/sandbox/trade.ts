/**
 * unifiedorder, orderquery, closeorder and the buyer's payment, as WeChat Pay decides them
 * (docs/wechatpay-v2.md §6, §10, §11), for every trade type (docs/wechatpay-v2.md §23): JSAPI under the
 * 公众号 or the mini-program appid, NATIVE, MWEB and APP. One decision serves both wires: API v2 and
 * API v3 (docs/wechatpay-v3.md §6) reach it with the same flat field names (src/sandbox/v3/ translates
 * the JSON), and the few rules that differ between the two wires are the WireRules (wire-rules.ts). Pure over the
 * store and `now`: the Durable Object runs each call synchronously, so a decision and its write are atomic.
 */
import { formatWechatTime, OUT_TRADE_NO, parseFen } from '../core';
import { newCodeUrl, newMwebPackage, newPrepayId, newTransactionId } from './ids';
import { bizFail, ok, pick, returnFail, type Outcome } from './outcome';
import type { AppKind } from './settings';
import type { OrderSignType, SimOrder, SimStore } from './state';
import { utf8Bytes, wireRules, type WireRules } from './wire-rules';

const PREPAY_TTL_MS = 2 * 3600_000;
/** An `mweb_url` lives 5 minutes (docs/wechatpay-v2.md §23.2). */
export const MWEB_TTL_MS = 5 * 60_000;
export const CLOSE_MIN_AGE_MS = 5 * 60_000;

export const TRADE_TYPES = ['JSAPI', 'NATIVE', 'APP', 'MWEB'] as const;
type TradeType = (typeof TRADE_TYPES)[number];

/**
 * Which of the merchant's bound applications may place which trade type. WeChat enables each product
 * for an appid type (pay.weixin.qq.com/doc/v3/partner/4013462628, 「可使用的APPID类型」: APP — 移动应用;
 * JSAPI — 公众号; 小程序 — 小程序; H5 — 移动应用/公众号/小程序; Native — all three, also
 * doc/v3/merchant/4012791877 「可以填写这三种类型中的任意一种APPID」). Outside it: NOAUTH.
 */
const APP_KINDS: Readonly<Record<TradeType, readonly AppKind[]>> = {
  JSAPI: ['mp', 'mini'],
  NATIVE: ['mp', 'mini', 'app'],
  MWEB: ['mp', 'mini', 'app'],
  APP: ['app'],
};
/** v2's answer when the product is not enabled for this appid (a live reply: result_code=FAIL, NOAUTH). */
export const NOAUTH_PRODUCT = '商户号该产品权限未开通，请前往商户平台>产品中心检查后重试。';

const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:.]{2,64})$/;

export interface VerifiedRequest {
  /** v2 field names; an API v3 request translated to them (src/sandbox/v3/transactions.ts). */
  fields: Record<string, string>;
  /** The v2 sign type, or `RSA` for API v3. */
  signType: OrderSignType;
}

/** The re-entry key: everything the merchant sent except the per-request nonce and sign. */
function orderParams(fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(fields).sort()) if (k !== 'nonce_str' && k !== 'sign') out[k] = fields[k]!;
  return out;
}

function sameParams(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function missing(fields: Record<string, string>, names: readonly string[]): string | undefined {
  return names.find((n) => !fields[n]);
}

interface UnifiedOrderContext {
  store: SimStore;
  now: number;
  /** Which bound application the request's appid is (the wire layer refused any other appid). */
  appKind: AppKind;
  /** Whether this openid is a buyer under the request's appid (test users and entered names). */
  isOurOpenid: (openid: string) => boolean;
  /** The simulator's own base URL (`<PUBLIC_BASE_URL origin>/sandbox`): `mweb_url` points under it. */
  sandboxBase: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** MWEB `scene_info`: a JSON string `{"h5_info": {"type": "Wap" | "IOS" | "Android", …}}` (docs/wechatpay-v2.md §23.2; v3: `iOS`). */
function sceneInfoOk(v: string, types: readonly string[]): boolean {
  try {
    const j: unknown = JSON.parse(v);
    return isObj(j) && isObj(j.h5_info) && typeof j.h5_info.type === 'string' && types.includes(j.h5_info.type);
  } catch {
    return false;
  }
}

/** The trade-type rules WeChat applies beyond the common fields: undefined when the request passes them. */
function tradeTypeRefusal(f: Record<string, string>, { appKind, isOurOpenid }: UnifiedOrderContext, rules: WireRules): Outcome | undefined {
  const tradeType = f.trade_type as TradeType;
  if (!APP_KINDS[tradeType].includes(appKind)) return bizFail('NOAUTH', NOAUTH_PRODUCT);
  if (tradeType === 'JSAPI' && !f.openid) return returnFail('JSAPI支付必须传openid');
  // openid is JSAPI's; another trade type may carry one, which must then be a buyer of this appid too.
  if (f.openid && !isOurOpenid(f.openid)) return bizFail('PARAM_ERROR', 'appid和openid不匹配');
  if (tradeType === 'NATIVE' && rules.productId) {
    if (!f.product_id) return bizFail('LACK_PARAMS', '缺少参数product_id');
    if (utf8Bytes(f.product_id) > 32) return bizFail('PARAM_ERROR', 'product_id参数长度有误');
  }
  if (tradeType === 'MWEB') {
    if (!f.scene_info) return bizFail('LACK_PARAMS', '缺少参数scene_info');
    if (!f.spbill_create_ip) return bizFail('LACK_PARAMS', '缺少参数spbill_create_ip');
    if (utf8Bytes(f.scene_info) > 256) return bizFail('PARAM_ERROR', 'scene_info参数长度有误');
    if (!sceneInfoOk(f.scene_info, rules.h5Types)) return bizFail('PARAM_ERROR', 'scene_info参数格式错误');
  }
  return undefined;
}

/** `mweb_url`: the simulator's stand-in for `https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=…&package=…`. */
export function mwebUrl(sandboxBase: string, prepayId: string, pkg: string): string {
  return `${sandboxBase}/mweb?prepay_id=${encodeURIComponent(prepayId)}&package=${pkg}`;
}

/** The success reply: prepay_id, plus code_url (NATIVE) or a fresh mweb_url (MWEB, one per answer). */
function prepayAnswer(ctx: UnifiedOrderContext, o: SimOrder, f: Record<string, string>): Outcome {
  const fields: Record<string, string> = { ...pick(f, ['device_info']), trade_type: o.trade_type, prepay_id: o.prepay_id };
  if (o.trade_type === 'NATIVE') fields.code_url = o.code_url!;
  if (o.trade_type === 'MWEB') {
    const pkg = newMwebPackage();
    ctx.store.putMweb(pkg, { out_trade_no: o.out_trade_no, prepay_id: o.prepay_id, issued_at: ctx.now });
    fields.mweb_url = mwebUrl(ctx.sandboxBase, o.prepay_id, pkg);
  }
  return ok(fields);
}

export function unifiedOrder(ctx: UnifiedOrderContext, req: VerifiedRequest): Outcome {
  const { store, now } = ctx;
  const f = req.fields;
  const rules = wireRules(req.signType);
  const lack = missing(f, rules.required);
  if (lack) return bizFail('LACK_PARAMS', `缺少参数${lack}`);
  if (!OUT_TRADE_NO.test(f.out_trade_no!)) return bizFail('PARAM_ERROR', 'out_trade_no参数格式错误');
  let totalFee: number;
  try {
    totalFee = parseFen(f.total_fee!);
  } catch {
    return bizFail('PARAM_ERROR', 'total_fee参数格式错误');
  }
  if (utf8Bytes(f.body!) > 127) return bizFail('PARAM_ERROR', 'body参数长度有误');
  if (f.attach !== undefined && utf8Bytes(f.attach) > rules.attachBytes) return bizFail('PARAM_ERROR', 'attach参数长度有误');
  if (f.fee_type !== undefined && f.fee_type !== 'CNY') return bizFail('PARAM_ERROR', 'fee_type参数错误');
  if (f.spbill_create_ip !== undefined && !IP.test(f.spbill_create_ip)) return bizFail('PARAM_ERROR', 'spbill_create_ip参数格式错误');
  if (!rules.notifyUrl(f.notify_url!)) return bizFail('PARAM_ERROR', 'notify_url参数格式错误，必须是不带参数的完整URL');
  if (!(TRADE_TYPES as readonly string[]).includes(f.trade_type!)) return bizFail('PARAM_ERROR', 'trade_type参数格式错误');
  const refused = tradeTypeRefusal(f, ctx, rules) ?? (f.time_expire !== undefined ? rules.timeExpire(f.time_expire, now) : undefined);
  if (refused) return refused;

  const params = orderParams(f);
  const existing = store.order(f.out_trade_no!);
  if (existing) {
    if (existing.state === 'SUCCESS' || existing.state === 'REFUND') return bizFail('ORDERPAID', '该订单已支付');
    if (existing.state === 'CLOSED') return bizFail('ORDERCLOSED', '该订单已关');
    // The appid and the trade type are parameters too: another one under the same number is a new order.
    if (!sameParams(existing.params, params)) return bizFail('OUT_TRADE_NO_USED', '201 商户订单号重复');
    if (now - existing.prepay_at >= PREPAY_TTL_MS) {
      // The old prepay_id (and code_url) has lapsed; same order, fresh prepay (the gateway must not reuse the old one).
      store.putOrder({ ...existing, prepay_id: newPrepayId(now), prepay_at: now, ...(existing.code_url ? { code_url: newCodeUrl() } : {}) });
    }
    return prepayAnswer(ctx, store.order(f.out_trade_no!)!, f);
  }
  const order: SimOrder = {
    out_trade_no: f.out_trade_no!,
    params,
    sign_type: req.signType,
    total_fee: totalFee,
    trade_type: f.trade_type!,
    appid: f.appid!,
    ...(f.openid ? { openid: f.openid } : {}),
    ...(f.trade_type === 'NATIVE' ? { code_url: newCodeUrl() } : {}),
    created_at: now,
    prepay_id: newPrepayId(now),
    prepay_at: now,
    state: 'NOTPAY',
    refunded_fee: 0,
    out_refund_nos: [],
  };
  store.putOrder(order);
  return prepayAnswer(ctx, order, f);
}

/**
 * The payment fields shared by orderquery and the notify (docs/wechatpay-v2.md §9.1, §10): the order's
 * own appid and trade_type, and the payer's openid under that appid.
 */
export function paymentFields(o: SimOrder): Record<string, string> {
  return {
    appid: o.appid,
    ...pick(o.params, ['device_info']),
    openid: o.openid ?? '',
    is_subscribe: 'N',
    trade_type: o.trade_type,
    bank_type: o.bank_type ?? 'OTHERS',
    total_fee: String(o.total_fee),
    fee_type: 'CNY',
    cash_fee: String(o.total_fee),
    transaction_id: o.transaction_id ?? '',
    out_trade_no: o.out_trade_no,
    ...pick(o.params, ['attach']),
    time_end: o.time_end ?? '',
  };
}

export const TRADE_STATE_DESC: Record<SimOrder['state'], string> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  CLOSED: '订单已关闭',
  REFUND: '订单发生过退款，退款详情请查询退款单',
};

export function findOrder(store: SimStore, f: Record<string, string>): SimOrder | undefined {
  // transaction_id wins when both are sent.
  if (f.transaction_id) return store.orderByTransaction(f.transaction_id);
  return f.out_trade_no ? store.order(f.out_trade_no) : undefined;
}

export function orderQuery(store: SimStore, req: VerifiedRequest): Outcome {
  const f = req.fields;
  if (!f.transaction_id && !f.out_trade_no) return bizFail('PARAM_ERROR', 'transaction_id、out_trade_no至少填一个');
  const o = findOrder(store, f);
  if (!o) return bizFail('ORDERNOTEXIST', '订单不存在');
  const state = { trade_state: o.state, trade_state_desc: TRADE_STATE_DESC[o.state] };
  if (o.state === 'NOTPAY' || o.state === 'CLOSED') {
    return ok({
      appid: o.appid,
      ...pick(o.params, ['device_info', 'attach']),
      trade_type: o.trade_type,
      out_trade_no: o.out_trade_no,
      total_fee: String(o.total_fee),
      ...state,
    });
  }
  return ok({ ...paymentFields(o), ...state });
}

export function closeOrder(store: SimStore, now: number, req: VerifiedRequest): Outcome {
  const f = req.fields;
  if (!f.out_trade_no) return bizFail('LACK_PARAMS', '缺少参数out_trade_no');
  const o = store.order(f.out_trade_no);
  if (!o) return bizFail('ORDERNOTEXIST', '订单不存在');
  if (o.state === 'SUCCESS' || o.state === 'REFUND') return bizFail('ORDERPAID', '订单已支付，不能发起关单');
  if (o.state === 'CLOSED') return bizFail('ORDERCLOSED', '订单已关闭，无需重复关闭');
  // 「订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟」 (§11): refused, order untouched.
  if (now - o.created_at < CLOSE_MIN_AGE_MS) return bizFail('INVALID_REQUEST', '订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟');
  store.putOrder({ ...o, state: 'CLOSED', closed_at: now });
  return ok({ result_msg: 'OK' });
}

/**
 * How a buyer reaches an order: its prepay_id (JSAPI bridge, wx.requestPayment, the APP SDK), its
 * code_url (NATIVE, scanned) or its mweb_url (MWEB, opened outside WeChat: prepay_id + package).
 */
export type PayHandle =
  | { kind: 'prepay_id'; prepay_id: string }
  | { kind: 'code_url'; code_url: string }
  | { kind: 'mweb_url'; prepay_id: string; package: string };

/** Why the buyer cannot pay (for the pay sheet, the buyer pages and `POST /sandbox/sim/pay`). */
export type PayRefusal = 'PREPAY_NOT_FOUND' | 'PREPAY_EXPIRED' | 'MWEB_URL_EXPIRED' | 'ORDER_PAID' | 'ORDER_CLOSED' | 'OPENID_MISMATCH';

export const PAY_REFUSAL_DESC: Record<PayRefusal, string> = {
  PREPAY_NOT_FOUND: '订单不存在',
  PREPAY_EXPIRED: '订单已过期，请重新下单',
  MWEB_URL_EXPIRED: '支付请求已失效，请重新发起支付',
  ORDER_PAID: '该订单已支付',
  ORDER_CLOSED: '该订单已关闭',
  OPENID_MISMATCH: '当前微信用户与下单用户不一致',
};

type Payable = { order: SimOrder } | { refusal: PayRefusal };

/** `current`: the handle is the order's latest (a renewed prepay or code_url supersedes the old one). */
function payableOrder(o: SimOrder, now: number, current: boolean): Payable {
  if (o.state === 'SUCCESS' || o.state === 'REFUND') return { refusal: 'ORDER_PAID' };
  if (o.state === 'CLOSED') return { refusal: 'ORDER_CLOSED' };
  if (!current || now - o.prepay_at >= PREPAY_TTL_MS) return { refusal: 'PREPAY_EXPIRED' };
  return { order: o };
}

/** A prepay the buyer may pay now, or why not. */
export function payablePrepay(store: SimStore, now: number, prepayId: string): Payable {
  const o = store.orderByPrepay(prepayId);
  return o ? payableOrder(o, now, o.prepay_id === prepayId) : { refusal: 'PREPAY_NOT_FOUND' };
}

/** The order a handle reaches, if the buyer may pay it now: a code_url lives as long as its prepay (2 h), an mweb_url 5 minutes. */
export function payableHandle(store: SimStore, now: number, h: PayHandle): Payable {
  if (h.kind === 'prepay_id') return payablePrepay(store, now, h.prepay_id);
  if (h.kind === 'code_url') {
    const o = store.orderByCodeUrl(h.code_url);
    return o?.trade_type === 'NATIVE' ? payableOrder(o, now, o.code_url === h.code_url) : { refusal: 'PREPAY_NOT_FOUND' };
  }
  const t = store.mweb(h.package);
  const o = t && t.prepay_id === h.prepay_id ? store.order(t.out_trade_no) : undefined;
  if (!t || !o) return { refusal: 'PREPAY_NOT_FOUND' };
  const found = payableOrder(o, now, o.prepay_id === t.prepay_id);
  if ('order' in found && now - t.issued_at >= MWEB_TTL_MS) return { refusal: 'MWEB_URL_EXPIRED' };
  return found;
}

/**
 * Whether `openid` may pay `o`: the order's own buyer when unifiedorder named one (JSAPI), otherwise
 * any buyer under the order's appid (NATIVE, MWEB, APP: the payer is whoever scans, opens or pays).
 */
export function payerAllowed(o: SimOrder, openid: string, isBuyerOf: (appId: string, openid: string) => boolean): boolean {
  return o.openid !== undefined ? o.openid === openid : isBuyerOf(o.appid, openid);
}

/** The buyer pays a payable order: NOTPAY → SUCCESS, once; the payer's openid is recorded. */
export function markPaid(store: SimStore, now: number, o: SimOrder, openid: string): SimOrder {
  const paid: SimOrder = {
    ...o,
    openid,
    state: 'SUCCESS',
    transaction_id: newTransactionId(now),
    time_end: formatWechatTime(new Date(now)),
    paid_at: now,
    bank_type: 'CMB_DEBIT',
  };
  store.putOrder(paid);
  return paid;
}
