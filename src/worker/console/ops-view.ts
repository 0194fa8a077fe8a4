// 对账 and 通知: the reconciliation days (the API's reportView, so both show the same figures) with a
// day's items a page at a time and the re-run confirmation; the webhook events with every attempt and redelivery.
// Every value is escaped by the html template; a receiver's answer is shown as text, never as markup.
import { html, type Html } from '../platform/html';
import type { EventRow } from '../webhooks';
import type { ReportPage, ReportView } from '../reconciliation';
import type { eventDetail } from '../webhooks';
import {
  beijingTime,
  billDay,
  DELIVERY_LABELS,
  deliveryTone,
  NO_WEBHOOK_URL,
  RECON_ITEM_LABELS,
  RECON_STATUS_LABELS,
  reconTone,
  yuan,
  yuanMilli,
} from './format';
import { csrfField, pager, tag, type Frame } from './layout';

type Side = ReportView['totals']['bill'];
type Item = NonNullable<ReportView['items']>[number];
export type EventDetail = Awaited<ReturnType<typeof eventDetail>>;

const EVENT_TYPE_LABELS: Record<string, string> = {
  'order.paid': '订单已支付',
  'order.closed': '订单已关闭',
  'order.anomaly': '订单异常',
  'refund.succeeded': '退款成功',
  'refund.failed': '退款失败',
  'reconciliation.completed': '对账完成',
};

const reconStatusTag = (s: string) => tag(RECON_STATUS_LABELS[s] ?? s, reconTone(s));
const deliveryTag = (s: string) => tag(DELIVERY_LABELS[s] ?? s, deliveryTone(s));
const fen = (v: number | null | undefined) => (typeof v === 'number' ? yuan(v) : '—');
const milli = (v: { millifen: number } | null | undefined) => (v ? yuanMilli(v.millifen) : '—');
const count = (v: number | null | undefined) => (typeof v === 'number' ? String(v) : '—');

// ---- 对账 ----

/** The form that starts (or re-runs) a day: step 1, which only shows the confirmation. */
function rerunForm(f: Frame, billDate: string | null, label: string): Html {
  return html`<form method="post" action="/admin/reconciliation/rerun" class="filters" id="${billDate ? 'rerun-form' : 'start-form'}">${csrfField(f.session)}
${billDate ? html`<input type="hidden" name="bill_date" value="${billDate}">` : html`<label>账单日期<input type="date" name="day" id="start-day" required></label>`}
<button type="submit" class="${billDate ? 'danger' : ''}" id="${billDate ? 'rerun' : 'start'}">${label}</button>
</form>`;
}

export function reconciliationListBody(f: Frame, v: { from: string; to: string; reconciliations: ReportView[] }, error: string | null): Html {
  return html`${error ? html`<div class="alert" id="recon-error">${error}</div>` : ''}
<p class="muted">账单日期 ${billDay(v.from)} 至 ${billDay(v.to)}（北京时间；微信支付保留 3 个月的账单，T 日账单于 T+1 日 09:00 后可下载，每日 10:00 自动对账前一日）。金额：收款、退款精确到分，手续费与净结算精确到 0.001 分（账单 5 位小数）。本地净结算 = 本地收款 − 本地退款 − 账单手续费。</p>
${rerunForm(f, null, '对账…')}
<div class="table-wrap"><table id="reconciliations">
<thead><tr><th>账单日期</th><th>状态</th><th class="num">次数</th><th class="num">支付笔数 微信/本地</th><th class="num">收款 微信</th><th class="num">收款 本地</th>
<th class="num">退款 微信</th><th class="num">退款 本地</th><th class="num">手续费</th><th class="num">净结算 微信</th><th class="num">净结算 本地</th><th>完成时间</th></tr></thead>
<tbody>${
    v.reconciliations.length
      ? v.reconciliations.map((r) => {
          const b = r.totals.bill;
          const o = r.totals.ours;
          return html`<tr data-day="${r.bill_date}"><td><a href="/admin/reconciliation/${r.bill_date}">${billDay(r.bill_date)}</a></td><td>${reconStatusTag(r.status)}</td>
<td class="num">${r.generation}</td><td class="num">${count(b?.payment_count)} / ${count(o?.payment_count)}</td>
<td class="num">${fen(b?.paid_fee)}</td><td class="num">${fen(o?.paid_fee)}</td><td class="num">${fen(b?.refund_fee)}</td><td class="num">${fen(o?.refund_fee)}</td>
<td class="num">${milli(b?.service_charge)}</td><td class="num">${milli(b?.net_settlement)}</td><td class="num">${milli(o?.net_settlement)}</td><td>${beijingTime(r.finished_at)}</td></tr>`;
        })
      : html`<tr><td colspan="12" class="muted">这段时间还没有对账记录</td></tr>`
  }</tbody></table></div>`;
}

function totalsRow(label: string, id: string, b: string, o: string, diff: string): Html {
  return html`<tr data-total="${id}"><th>${label}</th><td class="num" data-side="bill">${b}</td><td class="num" data-side="ours">${o}</td><td class="num">${diff}</td></tr>`;
}

function diffFen(b: number | null | undefined, o: number | null | undefined): string {
  if (typeof b !== 'number' || typeof o !== 'number') return '—';
  return b === o ? '一致' : `${o - b > 0 ? '+' : ''}${yuan(o - b)}`;
}

function diffCount(b: number | null | undefined, o: number | null | undefined): string {
  if (typeof b !== 'number' || typeof o !== 'number') return '—';
  return b === o ? '一致' : `${o - b > 0 ? '+' : ''}${o - b}`;
}

function totalsTable(bill: Side, ours: Side): Html {
  return html`<div class="table-wrap"><table id="recon-totals">
<thead><tr><th></th><th class="num">微信账单</th><th class="num">本地账务</th><th class="num">差额（本地 − 微信）</th></tr></thead>
<tbody>
${totalsRow('支付笔数', 'payment_count', count(bill?.payment_count), count(ours?.payment_count), diffCount(bill?.payment_count, ours?.payment_count))}
${totalsRow('收款金额', 'paid_fee', fen(bill?.paid_fee), fen(ours?.paid_fee), diffFen(bill?.paid_fee, ours?.paid_fee))}
${totalsRow('退款笔数', 'refund_count', count(bill?.refund_count), count(ours?.refund_count), diffCount(bill?.refund_count, ours?.refund_count))}
${totalsRow('退款金额', 'refund_fee', fen(bill?.refund_fee), fen(ours?.refund_fee), diffFen(bill?.refund_fee, ours?.refund_fee))}
${totalsRow('手续费', 'service_charge', milli(bill?.service_charge), ours ? '（按账单）' : '—', '')}
${totalsRow('净结算', 'net_settlement', milli(bill?.net_settlement), milli(ours?.net_settlement), '')}
</tbody></table></div>`;
}

/** An item's side, amounts (…_fee, in fen) in ¥ and the rest as text. */
function sideText(v: Record<string, unknown> | null): string {
  if (!v) return '—';
  return Object.entries(v)
    .filter(([, x]) => x !== null && x !== undefined && x !== '')
    .map(([k, x]) => {
      if (k.endsWith('_fee') && typeof x === 'number' && Number.isSafeInteger(x)) return `${k}=${yuan(x)}`;
      return `${k}=${typeof x === 'string' ? x : JSON.stringify(x)}`;
    })
    .join('，');
}

function itemRow(i: Item): Html {
  return html`<tr data-kind="${i.kind}" data-resolution="${i.resolution}"><td>${tag(RECON_ITEM_LABELS[i.kind] ?? i.kind, i.resolution === 'APPLIED' ? 'ok' : 'bad')}</td>
<td>${i.out_trade_no ? html`<a href="/admin/orders/${i.out_trade_no}">${i.out_trade_no}</a>` : '—'}</td><td>${i.out_refund_no ?? '—'}</td><td>${i.transaction_id ?? '—'}</td>
<td class="side">${sideText(i.bill)}</td><td class="side">${sideText(i.ours)}</td>
<td>${i.resolution === 'APPLIED' ? tag('已补记（APPLIED）', 'ok') : tag('待处理（OPEN）', 'bad')}</td><td>${i.note ?? '—'}</td></tr>`;
}

/** A day's report with one page of its items; `params` holds the page's cursor (`after`) when it is not the first. */
export function reconciliationDayBody(f: Frame, r: ReportPage, notice: string, error: string | null, params: URLSearchParams): Html {
  const items = r.items ?? [];
  const first = !params.has('after');
  const running = r.status === 'PENDING' || r.status === 'RUNNING';
  return html`${notice ? html`<div class="notice" id="notice">${notice}</div>` : ''}${error ? html`<div class="alert" id="recon-error">${error}</div>` : ''}
<div class="panel"><dl class="kv" id="recon-facts">
<dt>账单日期</dt><dd id="bill-date">${billDay(r.bill_date)}</dd>
<dt>状态</dt><dd id="recon-status">${reconStatusTag(r.status)}</dd>
<dt>第几次对账</dt><dd>${r.generation}</dd>
<dt>发起时间</dt><dd>${beijingTime(r.requested_at)}</dd>
<dt>完成时间</dt><dd>${beijingTime(r.finished_at)}</dd>
${r.next_attempt_at ? html`<dt>下次获取账单</dt><dd>${beijingTime(r.next_attempt_at)}</dd>` : ''}
${r.error ? html`<dt>错误</dt><dd class="error">${r.error}</dd>` : ''}
</dl></div>
<h2>双方合计</h2>
${totalsTable(r.totals.bill, r.totals.ours)}
<h2>差异明细（${r.item_counts.total}）</h2>
<div class="table-wrap"><table id="recon-items">
<thead><tr><th>类型</th><th>商户订单号</th><th>退款单号</th><th>微信单号</th><th>微信侧</th><th>本地侧</th><th>处理</th><th>说明</th></tr></thead>
<tbody>${items.length ? items.map(itemRow) : html`<tr><td colspan="8" class="muted">${running ? '对账进行中' : '没有差异'}</td></tr>`}</tbody></table></div>
${r.next_cursor || !first ? pager(`/admin/reconciliation/${r.bill_date}`, params, r.next_cursor ?? null, first) : ''}
<h2>重新对账</h2>
<div class="panel">${
    running
      ? html`<p class="muted">本日对账正在进行，完成后可重新对账。</p>`
      : html`<p class="muted">重新下载账单并生成新的对账结果，替换本报告；已补记的差异不会重复补记。</p>${rerunForm(f, r.bill_date, '重新对账…')}`
  }</div>`;
}

export function rerunConfirmBody(f: Frame, billDate: string, existing: ReportView | null): Html {
  return html`<div class="panel">
<p>确认${existing ? '重新' : ''}对账 <strong id="confirm-day">${billDay(billDate)}</strong>？</p>
${existing ? html`<p>当前结果：${reconStatusTag(existing.status)}（第 ${existing.generation} 次）。新的结果将替换本报告；已补记（APPLIED）的差异保留为记录，不会重复补记。</p>` : ''}
<p class="muted">将向微信支付下载该日账单并逐笔核对；微信已收款而本地未入账的订单，经 orderquery 确认后通过订单的 OrderGate 补记。</p>
<form method="post" action="/admin/reconciliation/rerun/confirm" class="filters">${csrfField(f.session)}
<input type="hidden" name="bill_date" value="${billDate}">
<button type="submit" class="danger" id="rerun-confirm">确认${existing ? '重新' : ''}对账</button>
<a class="button secondary" href="/admin/reconciliation${existing ? `/${billDate}` : ''}">取消</a>
</form></div>`;
}

// ---- 通知 ----

interface EventsQuery {
  type: string;
  order: string;
}

export function eventsBody(q: EventsQuery, rows: readonly EventRow[], next: string | null, params: URLSearchParams, webhookUrlSet: boolean): Html {
  return html`${webhookUrlSet ? '' : html`<p class="muted" id="no-webhook-url">${NO_WEBHOOK_URL}。</p>`}
<form class="filters" method="get" action="/admin/webhooks">
<label>类型<select name="type" id="event-type"><option value="">全部</option>${Object.entries(EVENT_TYPE_LABELS).map(
    ([k, label]) => html`<option value="${k}"${k === q.type ? html` selected` : ''}>${label}（${k}）</option>`,
  )}</select></label>
<label>商户订单号<input name="order" id="event-order" value="${q.order}" size="32"></label>
<button type="submit">查询</button>
</form>
<div class="table-wrap"><table id="events">
<thead><tr><th>事件 ID</th><th>类型</th><th>商户订单号</th><th>创建时间</th><th>投递状态</th><th class="num">尝试次数</th><th>送达 / 下次尝试 / 失败</th></tr></thead>
<tbody>${
    rows.length
      ? rows.map(
          (
            e,
          ) => html`<tr data-id="${e.id}" data-status="${e.status}"><td><a href="/admin/webhooks/${e.id}">${e.id}</a></td><td>${EVENT_TYPE_LABELS[e.type] ?? e.type} <span class="muted">${e.type}</span></td>
<td>${e.out_trade_no ? html`<a href="/admin/orders/${e.out_trade_no}">${e.out_trade_no}</a>` : '—'}</td><td>${beijingTime(e.created_at)}</td><td>${deliveryTag(e.status)}</td>
<td class="num" data-attempts>${e.attempts}</td><td>${beijingTime(e.status === 'delivered' ? e.delivered_at : e.status === 'failed' ? e.failed_at : e.next_attempt_at)}</td></tr>`,
        )
      : html`<tr><td colspan="7" class="muted">没有通知事件</td></tr>`
  }</tbody></table></div>
${pager('/admin/webhooks', params, next, !params.has('after'))}`;
}

const TRIGGER_LABELS: Record<string, string> = { QUEUE: '自动', REDELIVER: '手动重发' };
const ERROR_LABELS: Record<string, string> = { TIMEOUT: '超时（10 秒）', NETWORK: '网络错误', NOT_2XX: '非 2xx 应答' };

/** The order an event is about; reconciliation events carry none. */
function orderOf(e: EventDetail): { out_trade_no: string } | null {
  return 'order' in e.data && e.data.order ? e.data.order : null;
}

export function eventDetailBody(f: Frame, e: EventDetail, notice: string, error: string | null, webhookUrlSet: boolean): Html {
  const { delivery, attempts, ...payload } = e;
  return html`${notice ? html`<div class="notice" id="notice">${notice}</div>` : ''}${error ? html`<div class="alert" id="redeliver-error">${error}</div>` : ''}
<div class="panel"><dl class="kv" id="event-facts">
<dt>事件 ID（webhook-id）</dt><dd id="event-id">${e.id}</dd>
<dt>类型</dt><dd>${EVENT_TYPE_LABELS[e.type] ?? e.type}（${e.type}）</dd>
<dt>商户订单号</dt><dd>${orderOf(e) ? html`<a href="/admin/orders/${orderOf(e)!.out_trade_no}">${orderOf(e)!.out_trade_no}</a>` : '—'}</dd>
<dt>创建时间</dt><dd>${beijingTime(e.created_at)}</dd>
<dt>投递状态</dt><dd id="delivery-status">${deliveryTag(delivery.status)}</dd>
<dt>尝试次数</dt><dd id="attempt-count">${delivery.attempts}</dd>
${delivery.next_attempt_at ? html`<dt>下次尝试</dt><dd>${beijingTime(delivery.next_attempt_at)}</dd>` : ''}
${delivery.delivered_at ? html`<dt>送达时间</dt><dd>${beijingTime(delivery.delivered_at)}</dd>` : ''}
${delivery.failed_at ? html`<dt>失败时间</dt><dd>${beijingTime(delivery.failed_at)}</dd>` : ''}
</dl>
${
  webhookUrlSet
    ? html`<form method="post" action="/admin/webhooks/${e.id}/redeliver" class="filters" id="redeliver-form">${csrfField(f.session)}<button type="submit" id="redeliver">重新发送</button>
<span class="muted">以同一事件 ID 立即重发，并重新开始 3 天的重试窗口。</span></form>`
    : html`<p class="muted" id="no-webhook-url">${NO_WEBHOOK_URL}。</p>`
}</div>
<h2>投递记录（${attempts.length}）</h2>
<div class="table-wrap"><table id="attempts">
<thead><tr><th>时间</th><th>触发</th><th class="num">HTTP 状态</th><th>错误</th><th class="num">耗时</th><th>应答（前 1 KiB）</th></tr></thead>
<tbody>${
    attempts.length
      ? attempts.map(
          (a) => html`<tr><td>${beijingTime(a.attempted_at)}</td><td>${TRIGGER_LABELS[a.trigger] ?? a.trigger}</td>
<td class="num" data-http-status>${a.http_status ?? '—'}</td><td>${a.error ? (ERROR_LABELS[a.error] ?? a.error) : '—'}</td><td class="num">${a.latency_ms} ms</td>
<td><pre class="excerpt">${a.response_excerpt}</pre></td></tr>`,
        )
      : html`<tr><td colspan="6" class="muted">还没有投递</td></tr>`
  }</tbody></table></div>
<h2>事件内容（每次投递的请求体）</h2>
<div class="panel"><pre class="excerpt" id="event-payload">${JSON.stringify(payload, null, 2)}</pre></div>`;
}
