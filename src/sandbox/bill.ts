/**
 * downloadbill (docs/wechatpay-v2.md §15): the day's trade bill for the simulated merchant, in the
 * backtick text format of the core's formatBill, from day T's payments and refunds (Beijing dates).
 * The bill for T exists from 09:00 on T+1, for the last 3 months; a day without trades has none.
 * Each row's appid and trade type are its order's own (§15: 「the appid column is each order's appid」).
 */
import { formatBill, formatWechatTime, formatYuan, parseWechatTime } from '../core';
import { formatRefundTime } from './refund';
import type { SimOrder, SimRefund, SimStore } from './state';

const BILL_TYPES = ['ALL', 'SUCCESS', 'REFUND', 'RECHARGE_REFUND'] as const;
export type BillType = (typeof BILL_TYPES)[number];

export const ALL_COLUMNS = [
  '交易时间',
  '公众账号ID',
  '商户号',
  '特约商户号',
  '设备号',
  '微信订单号',
  '商户订单号',
  '用户标识',
  '交易类型',
  '交易状态',
  '付款银行',
  '货币种类',
  '应结订单金额',
  '代金券金额',
  '微信退款单号',
  '商户退款单号',
  '退款金额',
  '充值券退款金额',
  '退款类型',
  '退款状态',
  '商品名称',
  '商户数据包',
  '手续费',
  '费率',
  '订单金额',
  '申请退款金额',
  '费率备注',
];
/** The SUCCESS bill is the ALL bill without its refund columns. */
const REFUND_ONLY_COLUMNS: ReadonlySet<string> = new Set([
  '微信退款单号',
  '商户退款单号',
  '退款金额',
  '充值券退款金额',
  '退款类型',
  '退款状态',
  '申请退款金额',
]);
const SUCCESS_COLUMNS = ALL_COLUMNS.filter((c) => !REFUND_ONLY_COLUMNS.has(c));
const REFUND_COLUMNS = [...ALL_COLUMNS.slice(0, 14), '退款申请时间', '退款成功时间', ...ALL_COLUMNS.slice(14)];
export const SUMMARY_COLUMNS = ['总交易单数', '应结订单总金额', '退款总金额', '充值券退款总金额', '手续费总金额', '订单总金额', '申请退款总金额'];

/** The simulated merchant's rate: 0.60%, the fee rounded to the fen, shown with 5 decimals. */
const RATE = '0.60%';
const feeFen = (fen: number) => Math.round((fen * 6) / 1000);
const fee5 = (fen: number) => formatYuan(fen) + '000';

export type BillResult = { ok: true; text: string } | { ok: false; return_msg: string; error_code: string };

const DAY_MS = 24 * 3600_000;
const BILL_READY_HOUR = 9;
const HISTORY_DAYS = 92;

const beijingDate = (at: number) => formatWechatTime(new Date(at)).slice(0, 8);

/** The bill is per mch_id; each row names its order's appid. */
export interface BillMerchant {
  mchId: string;
}

export function downloadBill(store: SimStore, now: number, m: BillMerchant, billDate: string | undefined, billType: string): BillResult {
  const invalidDate = { ok: false as const, return_msg: 'invalid bill_date', error_code: '20001' };
  if (!billDate || !/^\d{8}$/.test(billDate)) return invalidDate;
  const start = parseWechatTime(billDate + '000000');
  if (!start) return invalidDate;
  if (!(BILL_TYPES as readonly string[]).includes(billType)) return { ok: false, return_msg: 'invalid bill_type', error_code: '20001' };
  const today = parseWechatTime(beijingDate(now) + '000000')!.getTime();
  if (start.getTime() >= today || today - start.getTime() > HISTORY_DAYS * DAY_MS) return invalidDate;
  const noBill = { ok: false as const, return_msg: 'No Bill Exist', error_code: '20002' };
  // Day T's bill is generated from 09:00 on T+1.
  if (start.getTime() + DAY_MS + BILL_READY_HOUR * 3600_000 > now) return noBill;

  const orders = [...store.orders()];
  const paid = orders.filter((o) => o.paid_at !== undefined && beijingDate(o.paid_at) === billDate);
  const refunds = [...store.refunds()].filter((r) => r.status !== 'REFUNDCLOSE' && beijingDate(r.created_at) === billDate);
  const byNo = new Map(orders.map((o) => [o.out_trade_no, o]));
  const common = (o: SimOrder, at: number, state: string) => ({
    交易时间: formatRefundTime(at),
    公众账号ID: o.appid,
    商户号: m.mchId,
    特约商户号: '0',
    设备号: o.params.device_info ?? '',
    微信订单号: o.transaction_id!,
    商户订单号: o.out_trade_no,
    用户标识: o.openid ?? '',
    交易类型: o.trade_type,
    交易状态: state,
    付款银行: o.bank_type ?? 'OTHERS',
    货币种类: 'CNY',
    代金券金额: '0.00',
    充值券退款金额: '0.00',
    商品名称: o.params.body ?? '',
    商户数据包: o.params.attach ?? '',
    费率: RATE,
    费率备注: '',
  });
  const payRow = (o: SimOrder): Record<string, string> => ({
    ...common(o, o.paid_at!, 'SUCCESS'),
    应结订单金额: formatYuan(o.total_fee),
    微信退款单号: '0',
    商户退款单号: '0',
    退款金额: '0.00',
    退款类型: '',
    退款状态: '',
    手续费: fee5(feeFen(o.total_fee)),
    订单金额: formatYuan(o.total_fee),
    申请退款金额: '0.00',
  });
  const refundRow = (r: SimRefund): Record<string, string> => ({
    ...common(byNo.get(r.out_trade_no)!, r.created_at, 'REFUND'),
    应结订单金额: '0.00',
    退款申请时间: formatRefundTime(r.created_at),
    退款成功时间: r.success_at !== undefined ? formatRefundTime(r.success_at) : '',
    微信退款单号: r.refund_id,
    商户退款单号: r.out_refund_no,
    退款金额: formatYuan(r.refund_fee),
    退款类型: 'ORIGINAL',
    退款状态: r.status === 'SUCCESS' ? 'SUCCESS' : 'PROCESSING',
    手续费: fee5(-feeFen(r.refund_fee)),
    订单金额: '0.00',
    申请退款金额: formatYuan(r.refund_fee),
  });

  let columns: string[];
  let records: Record<string, string>[];
  if (billType === 'SUCCESS') [columns, records] = [SUCCESS_COLUMNS, paid.map(payRow)];
  else if (billType === 'REFUND') [columns, records] = [REFUND_COLUMNS, refunds.map(refundRow)];
  else if (billType === 'ALL') [columns, records] = [ALL_COLUMNS, [...paid.map(payRow), ...refunds.map(refundRow)]];
  else [columns, records] = [ALL_COLUMNS, []]; // RECHARGE_REFUND: the sandbox has no recharge funds
  if (records.length === 0) return noBill;
  records.sort((a, b) => (a.交易时间! < b.交易时间! ? -1 : a.交易时间! > b.交易时间! ? 1 : 0));

  const payFen = paid.reduce((s, o) => s + o.total_fee, 0);
  const refundFen = refunds.reduce((s, r) => s + r.refund_fee, 0);
  const showPay = billType !== 'REFUND';
  const showRefund = billType !== 'SUCCESS';
  const feeTotal = (showPay ? paid.reduce((s, o) => s + feeFen(o.total_fee), 0) : 0) - (showRefund ? refunds.reduce((s, r) => s + feeFen(r.refund_fee), 0) : 0);
  const summary = [
    String(records.length),
    formatYuan(showPay ? payFen : 0),
    formatYuan(showRefund ? refundFen : 0),
    '0.00',
    fee5(feeTotal),
    formatYuan(showPay ? payFen : 0),
    formatYuan(showRefund ? refundFen : 0),
  ];
  const text = formatBill(
    columns,
    records.map((r) => columns.map((c) => r[c] ?? '')),
    SUMMARY_COLUMNS,
    summary,
  );
  return { ok: true, text };
}
