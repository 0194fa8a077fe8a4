/**
 * refund (/secapi/pay/refund) and refundquery as WeChat Pay v2 decides them (docs/wechatpay-v2.md §12,
 * §14), pure over the store and `now`, plus the decrypted refund-notify payload (§13).
 */
import { formatWechatTime, OUT_REFUND_NO, parseFen } from '../core';
import { newRefundId } from './ids';
import { bizFail, ok, type Outcome } from './outcome';
import type { RefundStatus, SimOrder, SimRefund, SimStore } from './state';
import type { VerifiedRequest } from './trade';
import { findOrder } from './trade';

export { OUT_REFUND_NO };
export const MAX_REFUNDS_PER_ORDER = 50;
const YEAR_MS = 365 * 24 * 3600_000;
const PAGE = 10;
const RECV_ACCOUNT = '支付用户的零钱';

const INCONSISTENT = '订单金额或退款金额与之前请求不一致，请核实后再试';

/** `yyyy-MM-dd HH:mm:ss`, Beijing: the refund's success_time form. */
export function formatRefundTime(at: number): string {
  const t = formatWechatTime(new Date(at));
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}`;
}

function refundReplyFields(r: SimRefund, o: SimOrder): Record<string, string> {
  return {
    transaction_id: r.transaction_id,
    out_trade_no: r.out_trade_no,
    out_refund_no: r.out_refund_no,
    refund_id: r.refund_id,
    refund_fee: String(r.refund_fee),
    total_fee: String(o.total_fee),
    cash_fee: String(o.total_fee),
    cash_refund_fee: String(r.refund_fee),
    coupon_refund_fee: '0',
    coupon_refund_count: '0',
    refund_channel: '', // present and empty on the wire; skipped by the signer, like WeChat's
  };
}

interface RefundContext {
  store: SimStore;
  now: number;
  /** The final state this refund reaches (scenario `refund_status`; SUCCESS by default). */
  finalStatus: RefundStatus;
}

/** Accepts a refund, or replays an accepted one (same out_refund_no, same amounts). */
export function refund({ store, now, finalStatus }: RefundContext, req: VerifiedRequest): Outcome & { refund?: SimRefund; created?: boolean } {
  const f = req.fields;
  if (!f.transaction_id && !f.out_trade_no) return bizFail('PARAM_ERROR', 'transaction_id、out_trade_no至少填一个');
  if (!f.out_refund_no) return bizFail('LACK_PARAMS', '缺少参数out_refund_no');
  if (!OUT_REFUND_NO.test(f.out_refund_no)) return bizFail('PARAM_ERROR', 'out_refund_no参数格式错误');
  let totalFee: number, refundFee: number;
  try {
    totalFee = parseFen(f.total_fee ?? '');
    refundFee = parseFen(f.refund_fee ?? '');
  } catch {
    return bizFail('PARAM_ERROR', 'total_fee或refund_fee参数格式错误');
  }
  if (f.refund_account !== undefined && !['REFUND_SOURCE_UNSETTLED_FUNDS', 'REFUND_SOURCE_RECHARGE_FUNDS'].includes(f.refund_account)) {
    return bizFail('PARAM_ERROR', 'refund_account参数格式错误');
  }
  const o = findOrder(store, f);
  if (!o) return f.transaction_id ? bizFail('INVALID_TRANSACTIONID', '无效transaction_id') : bizFail('ORDERNOTEXIST', '订单不存在');

  const prior = store.refund(f.out_refund_no);
  if (prior) {
    if (prior.out_trade_no !== o.out_trade_no || prior.refund_fee !== refundFee || prior.total_fee !== totalFee)
      return bizFail('INVALID_REQUEST', INCONSISTENT);
    return { ...ok(refundReplyFields(prior, o)), refund: prior, created: false };
  }
  if (o.state !== 'SUCCESS' && o.state !== 'REFUND') return bizFail('ORDERNOTEXIST', '订单不存在');
  if (now - (o.paid_at ?? now) > YEAR_MS) return bizFail('TRADE_OVERDUE', '订单已经超过退款期限');
  if (totalFee !== o.total_fee) return bizFail('INVALID_REQUEST', INCONSISTENT);
  if (o.out_refund_nos.length >= MAX_REFUNDS_PER_ORDER) return bizFail('ERROR', '退款次数超过限制');
  if (refundFee > o.total_fee - o.refunded_fee) return bizFail('ERROR', '累计退款金额大于支付金额');
  // The sandbox merchant's 可用余额 (recharge funds) is always empty.
  if (f.refund_account === 'REFUND_SOURCE_RECHARGE_FUNDS') return bizFail('NOTENOUGH', '基本账户余额不足，请充值后重新发起');

  const r: SimRefund = {
    out_refund_no: f.out_refund_no,
    refund_id: newRefundId(now),
    out_trade_no: o.out_trade_no,
    transaction_id: o.transaction_id!,
    total_fee: totalFee,
    refund_fee: refundFee,
    status: finalStatus,
    created_at: now,
    ...(finalStatus === 'SUCCESS' ? { success_at: now } : {}),
    ...(f.notify_url ? { notify_url: f.notify_url } : {}),
    refund_account: f.refund_account ?? 'REFUND_SOURCE_UNSETTLED_FUNDS',
    ...(f.refund_desc ? { refund_desc: f.refund_desc } : {}),
    sign_type: req.signType,
    appid: o.appid,
  };
  store.putRefund(r);
  // A closed refund returns the money to the order's refundable balance.
  const refunded = o.refunded_fee + (finalStatus === 'REFUNDCLOSE' ? 0 : refundFee);
  const updated: SimOrder = { ...o, state: 'REFUND', refunded_fee: refunded, out_refund_nos: [...o.out_refund_nos, r.out_refund_no] };
  store.putOrder(updated);
  return { ...ok(refundReplyFields(r, updated)), refund: r, created: true };
}

function refundItem(r: SimRefund, n: number): Record<string, string> {
  return {
    [`out_refund_no_${n}`]: r.out_refund_no,
    [`refund_id_${n}`]: r.refund_id,
    [`refund_channel_${n}`]: 'ORIGINAL',
    [`refund_fee_${n}`]: String(r.refund_fee),
    [`refund_status_${n}`]: r.status,
    [`refund_account_${n}`]: r.refund_account,
    [`refund_recv_accout_${n}`]: RECV_ACCOUNT,
    ...(r.success_at !== undefined ? { [`refund_success_time_${n}`]: formatRefundTime(r.success_at) } : {}),
  };
}

export function refundQuery(store: SimStore, req: VerifiedRequest): Outcome {
  const f = req.fields;
  let list: SimRefund[];
  let order: SimOrder | undefined;
  // Priority when several are sent: refund_id > out_refund_no > transaction_id > out_trade_no (§14).
  if (f.refund_id || f.out_refund_no) {
    const r = f.refund_id ? store.refundById(f.refund_id) : store.refund(f.out_refund_no!);
    list = r ? [r] : [];
    order = r ? store.order(r.out_trade_no) : undefined;
  } else if (f.transaction_id || f.out_trade_no) {
    order = findOrder(store, f);
    list = order ? order.out_refund_nos.map((no) => store.refund(no)!).filter(Boolean) : [];
  } else {
    return bizFail('PARAM_ERROR', 'refund_id、out_refund_no、transaction_id、out_trade_no至少填一个');
  }
  let offset = 0;
  if (f.offset !== undefined) {
    if (!/^(0|[1-9]\d{0,3})$/.test(f.offset)) return bizFail('PARAM_ERROR', 'offset参数格式错误');
    offset = Number(f.offset);
  }
  const page = list.slice(offset, offset + PAGE);
  if (!order || page.length === 0) return bizFail('REFUNDNOTEXIST', 'not exist');
  const fields: Record<string, string> = {
    ...(f.offset !== undefined ? { total_refund_count: String(list.length) } : {}),
    transaction_id: order.transaction_id!,
    out_trade_no: order.out_trade_no,
    total_fee: String(order.total_fee),
    cash_fee: String(order.total_fee),
    refund_count: String(page.length),
  };
  page.forEach((r, n) => {
    Object.assign(fields, refundItem(r, n));
  });
  return ok(fields);
}

/** The `<root>` fields the refund notify encrypts into req_info (§13.2), for a refund in a final state. */
export function refundNotifyPlain(r: SimRefund): Record<string, string> {
  return {
    transaction_id: r.transaction_id,
    out_trade_no: r.out_trade_no,
    refund_id: r.refund_id,
    out_refund_no: r.out_refund_no,
    total_fee: String(r.total_fee),
    settlement_total_fee: String(r.total_fee),
    refund_fee: String(r.refund_fee),
    settlement_refund_fee: String(r.status === 'SUCCESS' ? r.refund_fee : 0),
    refund_status: r.status,
    ...(r.success_at !== undefined ? { success_time: formatRefundTime(r.success_at) } : {}),
    refund_recv_accout: RECV_ACCOUNT,
    refund_account: r.refund_account,
    refund_request_source: 'API',
  };
}
