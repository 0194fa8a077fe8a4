// How the console shows things: ¥ amounts (exact fen → yuan, core formatYuan), Beijing times and
// days, and the Chinese labels of order, refund and anomaly states.
import { formatYuan, formatYuanMilli } from '../../core';
import type { OrderStatus } from '../../core/order-state';

const BEIJING_OFFSET_MS = 8 * 3600_000;
export const DAY_MS = 86_400_000;

/** ¥1,234.56 — thousands separators on the exact yuan string. */
export function yuan(fen: number): string {
  const [whole = '0', cents = '00'] = formatYuan(fen).split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = sign ? whole.slice(1) : whole;
  return `${sign}¥${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`;
}

/** ¥0.14000 — an exact 1/1000-fen amount (the bill's 5-decimal 手续费), thousands separated. */
export function yuanMilli(milliFen: number): string {
  const [whole = '0', frac = '00000'] = formatYuanMilli(milliFen).split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = sign ? whole.slice(1) : whole;
  return `${sign}¥${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}

/** The Beijing calendar day (yyyy-mm-dd) of an instant. */
export function beijingDay(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** UTC instant (ISO) at which Beijing day `day` (yyyy-mm-dd) begins. */
export function beijingDayStart(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) - BEIJING_OFFSET_MS).toISOString();
}

/** `day` plus `n` days (yyyy-mm-dd arithmetic on the calendar, no time zone involved). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** A valid yyyy-mm-dd, or null. */
export function parseDay(s: string | undefined): string | null {
  if (!s || !DAY_RE.test(s)) return null;
  const t = Date.parse(`${s}T00:00:00.000Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s ? s : null;
}

/** 2026-01-01 12:00:00 (Beijing) for a stored UTC ISO time; '—' for none. */
export function beijingTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  return new Date(t + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

export const ORDER_STATUS_LABELS: Record<OrderStatus, string> = {
  CREATED: '待支付',
  NOTPAY: '未支付',
  CLOSING: '关闭中',
  CLOSED: '已关闭',
  PAID: '已支付',
  PAID_AFTER_CLOSE: '关单后支付',
  PAYERROR: '支付失败',
  FAILED: '下单失败',
  REFUNDING: '退款中',
  PARTIALLY_REFUNDED: '部分退款',
  REFUNDED: '已全额退款',
};

export const REFUND_STATUS_LABELS: Record<string, string> = {
  SUBMITTING: '提交中',
  PROCESSING: '处理中',
  SUCCESS: '退款成功',
  CHANGE: '退款异常',
  REFUNDCLOSE: '退款关闭',
  FAILED: '退款失败',
};

export const ANOMALY_LABELS: Record<string, string> = {
  AMOUNT_MISMATCH: '金额不符',
  FEE_TYPE_MISMATCH: '币种不符',
  APPID_MISMATCH: 'AppID 不符',
  MCH_MISMATCH: '商户号不符',
  UNKNOWN_ORDER: '未知订单',
  RESULT_FAIL: '支付结果失败',
  OPENID_MISMATCH: '付款人不符',
  TRADE_TYPE_MISMATCH: '交易类型不符',
  MALFORMED_FIELD: '字段格式错误',
  PAID_AFTER_CLOSE: '关单后支付',
  LATE_PAYMENT_NOTIFY: '迟到的支付通知',
  TXN_CONFLICT: '交易号冲突',
  REFUND_UNMATCHED: '退款通知无匹配',
  REFUND_AMOUNT_MISMATCH: '退款金额不符',
  REFUND_MISMATCH: '退款单不符',
  REFUND_CHANGE: '退款异常（CHANGE）',
  REFUND_STATE_CONFLICT: '退款状态冲突',
  DUPLICATE_PAYMENT: '重复支付（已自动退款）',
  DUPLICATE_REFUND_FAILED: '重复支付的自动退款失败',
};

export function statusTone(status: string): 'ok' | 'warn' | 'bad' | 'muted' {
  if (status === 'PAID' || status === 'SUCCESS' || status === 'REFUNDED' || status === 'PARTIALLY_REFUNDED') return 'ok';
  if (status === 'PAID_AFTER_CLOSE' || status === 'CHANGE' || status === 'PAYERROR' || status === 'FAILED') return 'bad';
  if (status === 'CLOSED' || status === 'REFUNDCLOSE') return 'muted';
  return 'warn';
}

export const RECON_STATUS_LABELS: Record<string, string> = {
  PENDING: '等待账单',
  RUNNING: '对账中',
  BALANCED: '已平账',
  DISCREPANCIES: '有差异',
  NO_BILL: '无账单',
  ERROR: '出错',
};

export function reconTone(status: string): 'ok' | 'warn' | 'bad' | 'muted' {
  if (status === 'BALANCED') return 'ok';
  if (status === 'DISCREPANCIES' || status === 'ERROR') return 'bad';
  if (status === 'NO_BILL') return 'muted';
  return 'warn';
}

export const RECON_ITEM_LABELS: Record<string, string> = {
  MISSING_LOCALLY: '本地漏单（微信已收款）',
  MISSING_AT_WECHAT: '微信无此笔（本地已支付）',
  AMOUNT_MISMATCH: '金额不符',
  STATUS_MISMATCH: '状态不符',
  REFUND_MISSING_LOCALLY: '本地无此退款',
  REFUND_MISSING_AT_WECHAT: '微信无此退款',
  REFUND_AMOUNT_MISMATCH: '退款金额不符',
};

export const DELIVERY_LABELS: Record<string, string> = { pending: '待投递', delivered: '已送达', failed: '投递失败' };

/** Without WEBHOOK_URL nothing is ever delivered: said plainly instead of counting events as 待投递. */
export const NO_WEBHOOK_URL = '未设置 WEBHOOK_URL：事件已记录，未投递';

export function deliveryTone(status: string): 'ok' | 'warn' | 'bad' | 'muted' {
  return status === 'delivered' ? 'ok' : status === 'failed' ? 'bad' : 'warn';
}

/** yyyyMMdd (a bill date) as yyyy-mm-dd. */
export const billDay = (d: string) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
