/**
 * unifiedorder, orderquery, closeorder and the buyer's payment, as WeChat Pay v2 decides them
 * (docs/wechatpay-v2.md §6, §10, §11). Pure over the store and `now`: the Durable Object runs each call
 * synchronously, so a decision and its write are atomic.
 */
import { formatWechatTime, OUT_TRADE_NO, parseFen, parseWechatTime, type SignType } from '../core';
import { newPrepayId, newTransactionId } from './ids';
import { bizFail, ok, pick, returnFail, type Outcome } from './outcome';
import type { SimOrder, SimStore } from './state';

const PREPAY_TTL_MS = 2 * 3600_000;
export const CLOSE_MIN_AGE_MS = 5 * 60_000;
/** Old doc: time_expire − now 「必须大于5分钟」 (docs/wechatpay-v2.md §6; current value unverified). */
const TIME_EXPIRE_MIN_MS = 5 * 60_000;

const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:.]{2,64})$/;

export interface VerifiedRequest {
  fields: Record<string, string>;
  signType: SignType;
}

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

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

function checkNotifyUrl(url: string): boolean {
  if (utf8Bytes(url) > 256) return false;
  try {
    const u = new URL(url);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.search === '' && url.indexOf('?') < 0;
  } catch {
    return false;
  }
}

interface UnifiedOrderContext {
  store: SimStore;
  now: number;
  /** Whether this openid belongs to the merchant's appid (test users and pick-page entries). */
  isOurOpenid: (openid: string) => boolean;
}

export function unifiedOrder({ store, now, isOurOpenid }: UnifiedOrderContext, req: VerifiedRequest): Outcome {
  const f = req.fields;
  const lack = missing(f, ['body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'notify_url', 'trade_type']);
  if (lack) return bizFail('LACK_PARAMS', `缺少参数${lack}`);
  if (!OUT_TRADE_NO.test(f.out_trade_no!)) return bizFail('PARAM_ERROR', 'out_trade_no参数格式错误');
  let totalFee: number;
  try {
    totalFee = parseFen(f.total_fee!);
  } catch {
    return bizFail('PARAM_ERROR', 'total_fee参数格式错误');
  }
  if (utf8Bytes(f.body!) > 127) return bizFail('PARAM_ERROR', 'body参数长度有误');
  if (f.attach !== undefined && utf8Bytes(f.attach) > 127) return bizFail('PARAM_ERROR', 'attach参数长度有误');
  if (f.fee_type !== undefined && f.fee_type !== 'CNY') return bizFail('PARAM_ERROR', 'fee_type参数错误');
  if (!IP.test(f.spbill_create_ip!)) return bizFail('PARAM_ERROR', 'spbill_create_ip参数格式错误');
  if (!checkNotifyUrl(f.notify_url!)) return bizFail('PARAM_ERROR', 'notify_url参数格式错误，必须是不带参数的完整URL');
  if (!['JSAPI', 'NATIVE', 'APP', 'MWEB'].includes(f.trade_type!)) return bizFail('PARAM_ERROR', 'trade_type参数格式错误');
  if (f.trade_type !== 'JSAPI') return bizFail('NOAUTH', '商户无此接口权限');
  if (!f.openid) return returnFail('JSAPI支付必须传openid');
  if (!isOurOpenid(f.openid)) return bizFail('PARAM_ERROR', 'appid和openid不匹配');
  if (f.time_expire !== undefined) {
    const expire = parseWechatTime(f.time_expire);
    if (!expire) return bizFail('PARAM_ERROR', 'time_expire参数格式错误');
    if (expire.getTime() - now < TIME_EXPIRE_MIN_MS) return bizFail('PARAM_ERROR', 'time_expire时间过短，刷卡至少1分钟，其他5分钟');
  }

  const params = orderParams(f);
  const existing = store.order(f.out_trade_no!);
  if (existing) {
    if (existing.state === 'SUCCESS' || existing.state === 'REFUND') return bizFail('ORDERPAID', '该订单已支付');
    if (existing.state === 'CLOSED') return bizFail('ORDERCLOSED', '该订单已关');
    if (!sameParams(existing.params, params)) return bizFail('OUT_TRADE_NO_USED', '201 商户订单号重复');
    if (now - existing.prepay_at >= PREPAY_TTL_MS) {
      // The old prepay_id has lapsed; same order, fresh prepay (the gateway must not reuse the old one).
      store.putOrder({ ...existing, prepay_id: newPrepayId(now), prepay_at: now });
    }
    const o = store.order(f.out_trade_no!)!;
    return ok({ ...pick(f, ['device_info']), trade_type: o.trade_type, prepay_id: o.prepay_id });
  }
  const order: SimOrder = {
    out_trade_no: f.out_trade_no!,
    params,
    sign_type: req.signType,
    total_fee: totalFee,
    trade_type: f.trade_type!,
    openid: f.openid,
    created_at: now,
    prepay_id: newPrepayId(now),
    prepay_at: now,
    state: 'NOTPAY',
    refunded_fee: 0,
    out_refund_nos: [],
  };
  store.putOrder(order);
  return ok({ ...pick(f, ['device_info']), trade_type: order.trade_type, prepay_id: order.prepay_id });
}

/** The payment fields shared by orderquery and the notify (docs/wechatpay-v2.md §9.1, §10). */
export function paymentFields(o: SimOrder): Record<string, string> {
  return {
    ...pick(o.params, ['device_info']),
    openid: o.openid,
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

const TRADE_STATE_DESC: Record<SimOrder['state'], string> = {
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
    return ok({ ...pick(o.params, ['device_info', 'attach']), out_trade_no: o.out_trade_no, total_fee: String(o.total_fee), ...state });
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

/** Why the buyer cannot pay this prepay (for the pay sheet and `POST /sandbox/sim/pay`). */
export type PayRefusal = 'PREPAY_NOT_FOUND' | 'PREPAY_EXPIRED' | 'ORDER_PAID' | 'ORDER_CLOSED' | 'OPENID_MISMATCH';

export const PAY_REFUSAL_DESC: Record<PayRefusal, string> = {
  PREPAY_NOT_FOUND: '订单不存在',
  PREPAY_EXPIRED: '订单已过期，请重新下单',
  ORDER_PAID: '该订单已支付',
  ORDER_CLOSED: '该订单已关闭',
  OPENID_MISMATCH: '当前微信用户与下单用户不一致',
};

/** A prepay the buyer may pay now, or why not. */
export function payablePrepay(store: SimStore, now: number, prepayId: string): { order: SimOrder } | { refusal: PayRefusal } {
  const o = store.orderByPrepay(prepayId);
  if (!o) return { refusal: 'PREPAY_NOT_FOUND' };
  if (o.state === 'SUCCESS' || o.state === 'REFUND') return { refusal: 'ORDER_PAID' };
  if (o.state === 'CLOSED') return { refusal: 'ORDER_CLOSED' };
  if (o.prepay_id !== prepayId || now - o.prepay_at >= PREPAY_TTL_MS) return { refusal: 'PREPAY_EXPIRED' };
  return { order: o };
}

/** The buyer pays: NOTPAY → SUCCESS, once. */
export function payOrder(store: SimStore, now: number, prepayId: string, openid: string): { order: SimOrder } | { refusal: PayRefusal } {
  const found = payablePrepay(store, now, prepayId);
  if ('refusal' in found) return found;
  if (found.order.openid !== openid) return { refusal: 'OPENID_MISMATCH' };
  const paid: SimOrder = {
    ...found.order,
    state: 'SUCCESS',
    transaction_id: newTransactionId(now),
    time_end: formatWechatTime(new Date(now)),
    paid_at: now,
    bank_type: 'CMB_DEBIT',
  };
  store.putOrder(paid);
  return { order: paid };
}
