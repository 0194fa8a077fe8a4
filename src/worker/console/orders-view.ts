// 订单 and 订单详情: the searchable list with filters and pagination, and one order's timeline
// (created, prepay, every notify with its verdict, syncs, close, refunds, anomalies) with the refund form.
import { formatYuan, maskOpenid, parseXml } from '../../core';
import { ORDER_STATUSES } from '../../core/order-state';
import { html, type Html } from '../platform/html';
import type { AnomalyRow, NotificationRow } from './console-repo';
import type { AttemptRow, EventRow } from '../webhooks';
import type { OrderRow, PaymentAttemptRow } from '../orders';
import type { RefundRow } from '../refunds';
import { refundableFee } from '../orders';
import { ANOMALY_LABELS, beijingTime, DELIVERY_LABELS, ORDER_STATUS_LABELS, REFUND_STATUS_LABELS, statusTone, yuan } from './format';
import { csrfField, pager, tag, type Frame } from './layout';

interface OrdersQuery {
  status: string;
  from: string;
  to: string;
  q: string;
}

function orderStatusTag(status: string): Html {
  return tag(ORDER_STATUS_LABELS[status as keyof typeof ORDER_STATUS_LABELS] ?? status, statusTone(status));
}

export const payerOf = (o: Pick<OrderRow, 'prepay_openid' | 'openid'>) => maskOpenid(o.prepay_openid ?? o.openid) ?? '—';

export function ordersBody(q: OrdersQuery, rows: readonly OrderRow[], next: string | null, params: URLSearchParams, error: string | null): Html {
  const csv = new URLSearchParams({ from: q.from, to: q.to, ...(q.status ? { status: q.status } : {}) });
  return html`<form class="filters" method="get" action="/admin/orders">
<label>搜索<input name="q" id="q" value="${q.q}" placeholder="商户订单号 / 微信支付单号 / openid（可用 oD2V…）" size="36"></label>
<label>状态<select name="status" id="status"><option value="">全部</option>${ORDER_STATUSES.map(
    (s) => html`<option value="${s}"${s === q.status ? html` selected` : ''}>${ORDER_STATUS_LABELS[s]}</option>`,
  )}</select></label>
<label>起始日期<input type="date" name="from" id="from" value="${q.from}"></label>
<label>结束日期<input type="date" name="to" id="to" value="${q.to}"></label>
<button type="submit">查询</button>
<a class="button secondary" id="export-csv" href="/admin/orders.csv?${csv}">导出 CSV</a>
</form>
${error ? html`<div class="alert">${error}</div>` : ''}
<div class="table-wrap"><table id="orders">
<thead><tr><th>商户订单号</th><th>状态</th><th class="num">金额</th><th class="num">已退款</th><th>商品</th><th>付款人</th><th>微信支付单号</th><th>创建时间</th><th>支付时间</th></tr></thead>
<tbody>${
    rows.length
      ? rows.map(
          (
            o,
          ) => html`<tr data-no="${o.out_trade_no}"><td><a href="/admin/orders/${o.out_trade_no}">${o.out_trade_no}</a></td><td>${orderStatusTag(o.status)}</td>
<td class="num">${yuan(o.total_fee)}</td><td class="num">${o.refunded_fee ? yuan(o.refunded_fee) : '—'}</td><td>${o.description}</td><td>${payerOf(o)}</td>
<td>${o.transaction_id ?? '—'}</td><td>${beijingTime(o.created_at)}</td><td>${beijingTime(o.paid_at)}</td></tr>`,
        )
      : html`<tr><td colspan="9" class="muted">没有符合条件的订单</td></tr>`
  }</tbody></table></div>
${pager('/admin/orders', params, next, !params.has('after'))}`;
}

interface TimelineItem {
  at: string | null;
  /** Where it sorts when that differs from `at` (WeChat's second-resolution times beside our own). */
  sortAt?: string;
  tone: 'ok' | 'bad' | 'warn' | 'muted';
  text: Html;
}

function notifyFacts(n: NotificationRow): string {
  let f: Record<string, string>;
  try {
    f = parseXml(n.raw_body ?? '');
  } catch {
    return '';
  }
  const parts: string[] = [];
  if (f.result_code) parts.push(`result_code=${f.result_code}`);
  if (f.total_fee && /^\d{1,16}$/.test(f.total_fee)) parts.push(`金额 ¥${formatYuan(Number(f.total_fee))}`);
  if (f.transaction_id) parts.push(`微信支付单号 ${f.transaction_id}`);
  if (f.time_end) parts.push(`time_end ${f.time_end}`);
  return parts.join(' · ');
}

const VERDICT_LABELS: Record<string, string> = {
  APPLIED: '已入账',
  PAID_AFTER_CLOSE: '关单后支付（已入账并记异常）',
  DUPLICATE: '重复通知',
};

function verdictLabel(v: string): string {
  if (v.startsWith('ANOMALY:')) return `异常：${ANOMALY_LABELS[v.slice(8)] ?? v.slice(8)}`;
  if (v.startsWith('REFUND_')) return REFUND_STATUS_LABELS[v.slice(7)] ?? v.slice(7);
  return VERDICT_LABELS[v] ?? v;
}

interface OrderDetail {
  order: OrderRow;
  notifications: NotificationRow[];
  refunds: RefundRow[];
  anomalies: AnomalyRow[];
  /** The order's webhook events and their attempts (absent: webhooks not set up). */
  events?: EventRow[];
  attempts?: AttemptRow[];
  /** The order's payment attempts, oldest first (absent: none shown). */
  payments?: PaymentAttemptRow[];
}

const TRADE_TYPE_LABELS: Record<string, string> = {
  JSAPI: '公众号（JSAPI）',
  MINIPROGRAM: '小程序',
  NATIVE: '扫码（NATIVE）',
  MWEB: 'H5（MWEB）',
  APP: 'APP',
};

type Tone = Parameters<typeof tag>[1];

const ATTEMPT_STATUS_LABELS: Record<string, [string, Tone]> = {
  PENDING: ['待支付', 'muted'],
  PAID: ['已支付', 'ok'],
  CLOSED: ['已关闭', 'muted'],
  REFUNDING: ['重复支付，自动退款中', 'warn'],
  REFUNDED: ['重复支付，已自动退款', 'warn'],
};

/** 支付尝试: each attempt's number (what WeChat and its bill show), trade type, buyer and status. */
function paymentsTable(payments: readonly PaymentAttemptRow[]): Html {
  if (!payments.length) return html`<p class="muted">尚未发起支付。</p>`;
  return html`<div class="table-wrap"><table id="order-payments"><thead><tr><th>支付单号</th><th>方式</th><th>付款人</th><th>状态</th><th>微信支付单号</th><th>发起时间</th></tr></thead><tbody>${payments.map(
    (a) => {
      const [label, tone] = ATTEMPT_STATUS_LABELS[a.status] ?? [a.status, 'muted' as Tone];
      return html`<tr data-payment-no="${a.payment_no}"><td>${a.payment_no}</td><td>${TRADE_TYPE_LABELS[a.trade_type] ?? a.trade_type}</td><td>${maskOpenid(a.openid) ?? '—'}</td><td>${tag(label, tone)}</td><td>${a.transaction_id ?? '—'}</td><td>${beijingTime(a.created_at)}</td></tr>`;
    },
  )}</tbody></table></div>`;
}

function timeline(d: OrderDetail): TimelineItem[] {
  const o = d.order;
  const items: TimelineItem[] = [{ at: o.created_at, tone: 'muted', text: html`订单创建，金额 ${yuan(o.total_fee)}` }];
  if (o.prepay_id) {
    items.push({ at: null, tone: 'muted', text: html`已获取预支付单（prepay），付款人 ${payerOf(o)}，有效至 ${beijingTime(o.prepay_expires_at)}` });
  }
  for (const n of d.notifications) {
    const tone = n.verdict === 'APPLIED' || n.verdict === 'REFUND_SUCCESS' ? 'ok' : n.verdict.startsWith('ANOMALY') ? 'bad' : 'muted';
    items.push({
      at: n.received_at,
      tone,
      text: html`<span class="notify" data-verdict="${n.verdict}">收到${n.kind === 'PAY' ? '支付' : '退款'}通知 · ${verdictLabel(n.verdict)}</span> <span class="muted">${notifyFacts(n)}</span>`,
    });
  }
  if (o.paid_at) {
    const byNotify = d.notifications.some((n) => n.kind === 'PAY' && (n.verdict === 'APPLIED' || n.verdict === 'PAID_AFTER_CLOSE'));
    items.push({
      at: o.paid_at,
      tone: o.status === 'PAID_AFTER_CLOSE' ? 'bad' : 'ok',
      text: html`支付成功（${byNotify ? '由支付通知确认' : '由主动查询 orderquery 确认'}），微信支付单号 ${o.transaction_id ?? '—'}`,
    });
  }
  if (o.last_synced_at) items.push({ at: o.last_synced_at, tone: 'muted', text: html`最近一次主动查询（orderquery）` });
  if (o.closed_at) items.push({ at: o.closed_at, tone: 'muted', text: html`订单已关闭` });
  for (const r of d.refunds) {
    items.push({ at: r.created_at, tone: 'warn', text: html`申请退款 ${yuan(r.refund_fee)}（${r.out_refund_no}）${r.reason ? `：${r.reason}` : ''}` });
    if (r.succeeded_at)
      items.push({
        at: r.succeeded_at,
        sortAt: [r.succeeded_at, r.created_at].sort()[1], // the later of two ISO strings
        tone: 'ok',
        text: html`退款成功 ${yuan(r.refund_fee)}（${r.out_refund_no}）`,
      });
    else if (r.status !== 'SUBMITTING' && r.status !== 'PROCESSING') {
      items.push({
        at: r.updated_at,
        tone: 'bad',
        text: html`${REFUND_STATUS_LABELS[r.status] ?? r.status}（${r.out_refund_no}）${r.failure_reason ? `：${r.failure_reason}` : ''}`,
      });
    }
  }
  for (const a of d.anomalies) {
    items.push({
      at: a.created_at,
      tone: 'bad',
      text: html`异常：${ANOMALY_LABELS[a.kind] ?? a.kind}${a.acknowledged_at ? `（${a.acknowledged_by} 已确认）` : ''}`,
    });
  }
  // Webhook deliveries: each event when it was recorded (with its state now), then each attempt.
  const typeOf = new Map<string, string>();
  for (const e of d.events ?? []) {
    typeOf.set(e.id, e.type);
    items.push({
      at: e.created_at,
      tone: e.status === 'delivered' ? 'muted' : e.status === 'failed' ? 'bad' : 'warn',
      text: html`<span class="webhook-event" data-event="${e.id}">生成通知 ${e.type}（<a href="/admin/webhooks/${e.id}">${e.id}</a>）· ${DELIVERY_LABELS[e.status] ?? e.status}，共 ${e.attempts} 次投递</span>`,
    });
  }
  for (const a of d.attempts ?? []) {
    const ok = a.http_status !== null && a.http_status >= 200 && a.http_status < 300;
    items.push({
      at: a.attempted_at,
      tone: ok ? 'ok' : 'bad',
      text: html`<span class="webhook-attempt" data-event="${a.event_id}">通知投递 ${typeOf.get(a.event_id) ?? ''}${a.trigger === 'REDELIVER' ? '（手动重发）' : ''} · ${
        a.http_status === null ? (a.error ?? '无应答') : `HTTP ${a.http_status}`
      } · ${a.latency_ms} ms</span>`,
    });
  }
  // Oldest first; an undated step (the prepay) stays right after the creation.
  const key = (it: TimelineItem) => it.sortAt ?? it.at ?? o.created_at;
  return items
    .map((it, i) => ({ it, i }))
    .sort((a, b) => key(a.it).localeCompare(key(b.it)) || a.i - b.i)
    .map((x) => x.it);
}

function refundForm(f: Frame, o: OrderRow, error: string | null): Html {
  const refundable = refundableFee(o);
  if (refundable <= 0) return html`<p class="muted">该订单当前不可退款。</p>`;
  return html`${error ? html`<div class="alert" id="refund-error">${error}</div>` : ''}
<form class="filters" method="post" action="/admin/orders/${o.out_trade_no}/refund" id="refund-form">${csrfField(f.session)}
<label>退款金额（元，最多 ${formatYuan(refundable)}）<input name="amount" id="refund-amount" inputmode="decimal" required pattern="[0-9]+(\\.[0-9]{1,2})?" value="${formatYuan(refundable)}"></label>
<label>退款原因（选填，显示给买家）<input name="reason" id="refund-reason" maxlength="80"></label>
<button type="submit" class="danger" id="refund-submit">退款…</button>
</form>`;
}

export function orderDetailBody(f: Frame, d: OrderDetail, notice: Html | string, refundError: string | null): Html {
  const o = d.order;
  return html`${notice ? html`<div class="notice" id="notice">${notice}</div>` : ''}
<div class="panel"><dl class="kv" id="order-facts">
<dt>商户订单号</dt><dd id="out-trade-no">${o.out_trade_no}</dd>
<dt>状态</dt><dd id="order-status">${orderStatusTag(o.status)}</dd>
<dt>金额</dt><dd id="order-amount">${yuan(o.total_fee)}</dd>
<dt>已退款</dt><dd>${yuan(o.refunded_fee ?? 0)}（可退 ${yuan(refundableFee(o))}）</dd>
<dt>商品描述</dt><dd>${o.description}</dd>
<dt>微信支付单号</dt><dd id="transaction-id">${o.transaction_id ?? '—'}</dd>
<dt>付款人</dt><dd>${payerOf(o)}</dd>
<dt>付款银行</dt><dd>${o.bank_type ?? '—'}</dd>
<dt>创建时间</dt><dd>${beijingTime(o.created_at)}</dd>
<dt>支付时间</dt><dd>${beijingTime(o.paid_at)}</dd>
</dl></div>
<h2>支付尝试</h2>
<div class="panel">${paymentsTable(d.payments ?? [])}</div>
<h2>时间线</h2>
<div class="panel"><ol class="timeline" id="timeline">${timeline(d).map(
    (it) => html`<li class="${it.tone}">${it.at ? html`<time>${beijingTime(it.at)}</time>` : ''}${it.text}</li>`,
  )}</ol></div>
<h2>退款</h2>
<div class="panel">${refundForm(f, o, refundError)}
${
  d.refunds.length
    ? html`<div class="table-wrap"><table id="order-refunds"><thead><tr><th>退款单号</th><th>状态</th><th class="num">金额</th><th>原因</th><th>申请时间</th><th>成功时间</th></tr></thead><tbody>${d.refunds.map(
        (r) =>
          html`<tr><td>${r.out_refund_no}</td><td>${tag(REFUND_STATUS_LABELS[r.status] ?? r.status, statusTone(r.status))}</td><td class="num">${yuan(r.refund_fee)}</td><td>${r.reason ?? '—'}</td><td>${beijingTime(r.created_at)}</td><td>${beijingTime(r.succeeded_at)}</td></tr>`,
      )}</tbody></table></div>`
    : ''
}</div>`;
}

export function refundConfirmBody(f: Frame, o: OrderRow, fen: number, reason: string, outRefundNo: string): Html {
  return html`<div class="panel">
<p>确认向买家退款 <strong id="confirm-amount">${yuan(fen)}</strong>？订单 ${o.out_trade_no}（实付 ${yuan(o.total_fee)}，可退 ${yuan(refundableFee(o))}）。</p>
${reason ? html`<p>退款原因：${reason}</p>` : ''}
<p class="muted">退款单号 ${outRefundNo}。提交后资金原路退回，无法撤销。</p>
<form method="post" action="/admin/orders/${o.out_trade_no}/refund/confirm" class="filters">${csrfField(f.session)}
<input type="hidden" name="refund_fee" value="${fen}"><input type="hidden" name="reason" value="${reason}"><input type="hidden" name="out_refund_no" value="${outRefundNo}">
<button type="submit" class="danger" id="refund-confirm">确认退款</button>
<a class="button secondary" href="/admin/orders/${o.out_trade_no}">取消</a>
</form></div>`;
}
