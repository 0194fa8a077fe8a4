/**
 * The API v3 wire of the refund decisions (docs/wechatpay-v3.md §6.4, §8.2): `POST /v3/refund/domestic/refunds`
 * translated to the v2 fields of src/sandbox/refund.ts (no client certificate in v3), and a refund answered
 * as the v3 refund object, or as the decrypted refund notify (`refund_status` where the API says `status`).
 */
import { formatV3Time } from '../../core';
import type { RefundStatus, SimOrder, SimRefund } from '../state';
import { wireRules } from '../wire-rules';
import { v3Error, type V3Error } from './errors';
import { int, type Json, obj, str } from './json';

/** The v3 status of each simulated refund state (v2 CHANGE is v3 ABNORMAL, REFUNDCLOSE is CLOSED). */
export const V3_REFUND_STATUS: Readonly<Record<RefundStatus, 'SUCCESS' | 'ABNORMAL' | 'CLOSED' | 'PROCESSING'>> = {
  SUCCESS: 'SUCCESS',
  CHANGE: 'ABNORMAL',
  REFUNDCLOSE: 'CLOSED',
  PROCESSING: 'PROCESSING',
};

const RECEIVED_ACCOUNT = '支付用户零钱';
const RECHARGE_FUNDS = 'REFUND_SOURCE_RECHARGE_FUNDS';

function put(f: Record<string, string>, name: string, v: string | number | undefined): void {
  if (v !== undefined) f[name] = String(v);
}

/**
 * The refund body as v2 fields: transaction_id, out_trade_no, out_refund_no, refund_desc (reason),
 * notify_url, refund_fee / total_fee (amount.refund / amount.total) and refund_account (funds_account
 * `AVAILABLE` = 可用余额, which the sandbox merchant has none of). v3 adds two wire rules: amount.currency
 * is `CNY`, and notify_url follows the v3 prepay rule. Throws FieldError on a field of the wrong type.
 */
export function refundFields(body: Json): { fields: Record<string, string> } | V3Error {
  const f: Record<string, string> = {};
  put(f, 'transaction_id', str(body, 'transaction_id'));
  put(f, 'out_trade_no', str(body, 'out_trade_no'));
  put(f, 'out_refund_no', str(body, 'out_refund_no'));
  put(f, 'refund_desc', str(body, 'reason'));
  const notifyUrl = str(body, 'notify_url');
  if (notifyUrl !== undefined && !wireRules('RSA').notifyUrl(notifyUrl))
    return v3Error(400, 'PARAM_ERROR', 'notify_url参数格式错误，必须是不带参数的HTTPS地址', { field: 'notify_url', location: 'body' });
  put(f, 'notify_url', notifyUrl);
  const funds = str(body, 'funds_account');
  if (funds !== undefined) f.refund_account = funds === 'AVAILABLE' ? RECHARGE_FUNDS : funds;
  const amount = obj(body, 'amount', true)!;
  put(f, 'refund_fee', int(amount, 'amount.refund', true));
  put(f, 'total_fee', int(amount, 'amount.total', true));
  if (str(amount, 'amount.currency', true) !== 'CNY') return v3Error(400, 'PARAM_ERROR', '退款币种只支持CNY', { field: 'amount.currency', location: 'body' });
  obj(body, 'goods_detail');
  return { fields: f };
}

const time = (at: number) => formatV3Time(new Date(at));

/** The refund object of the apply and query answers (§6.4). */
export function refundObject(r: SimRefund, o: SimOrder): Json {
  return {
    refund_id: r.refund_id,
    out_refund_no: r.out_refund_no,
    transaction_id: r.transaction_id,
    out_trade_no: r.out_trade_no,
    channel: 'ORIGINAL',
    user_received_account: RECEIVED_ACCOUNT,
    ...(r.success_at !== undefined ? { success_time: time(r.success_at) } : {}),
    create_time: time(r.created_at),
    status: V3_REFUND_STATUS[r.status],
    funds_account: r.refund_account === RECHARGE_FUNDS ? 'AVAILABLE' : 'UNSETTLED',
    amount: {
      total: o.total_fee,
      refund: r.refund_fee,
      from: [],
      payer_total: o.total_fee,
      payer_refund: r.refund_fee,
      settlement_refund: r.refund_fee,
      settlement_total: o.total_fee,
      discount_refund: 0,
      currency: 'CNY',
      refund_fee: 0,
    },
    promotion_detail: [],
  };
}

/** The decrypted refund notify (§8.2) of a refund in a final state. */
export function refundNotifyObject(r: SimRefund, mchId: string): Json {
  return {
    mchid: mchId,
    transaction_id: r.transaction_id,
    out_trade_no: r.out_trade_no,
    refund_id: r.refund_id,
    out_refund_no: r.out_refund_no,
    refund_status: V3_REFUND_STATUS[r.status],
    ...(r.success_at !== undefined ? { success_time: time(r.success_at) } : {}),
    user_received_account: RECEIVED_ACCOUNT,
    amount: { total: r.total_fee, refund: r.refund_fee, payer_total: r.total_fee, payer_refund: r.status === 'SUCCESS' ? r.refund_fee : 0 },
  };
}
