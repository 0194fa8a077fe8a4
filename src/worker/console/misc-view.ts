// 退款, 异常 and 登录 pages, and the one-line message panel.
import { html, type Html } from '../platform/html';
import type { AnomalyRow } from './console-repo';
import type { RefundRow } from '../refunds';
import { ANOMALY_LABELS, beijingTime, REFUND_STATUS_LABELS, statusTone, yuan } from './format';
import { csrfField, pager, tag, type Frame } from './layout';

export function refundsBody(rows: readonly RefundRow[], next: string | null, params: URLSearchParams): Html {
  return html`<div class="table-wrap"><table id="refunds">
<thead><tr><th>退款单号</th><th>商户订单号</th><th>状态</th><th class="num">退款金额</th><th class="num">订单金额</th><th>原因</th><th>失败原因</th><th>微信退款单号</th><th>申请时间</th><th>成功时间</th></tr></thead>
<tbody>${
    rows.length
      ? rows.map(
          (r) => html`<tr><td>${r.out_refund_no}</td><td><a href="/admin/orders/${r.out_trade_no}">${r.out_trade_no}</a></td>
<td>${tag(REFUND_STATUS_LABELS[r.status] ?? r.status, statusTone(r.status))}</td><td class="num">${yuan(r.refund_fee)}</td><td class="num">${yuan(r.total_fee)}</td>
<td>${r.reason ?? '—'}</td><td>${r.failure_reason && r.status !== 'SUCCESS' ? r.failure_reason : '—'}</td><td>${r.refund_id ?? '—'}</td>
<td>${beijingTime(r.created_at)}</td><td>${beijingTime(r.succeeded_at)}</td></tr>`,
        )
      : html`<tr><td colspan="10" class="muted">还没有退款</td></tr>`
  }</tbody></table></div>
${pager('/admin/refunds', params, next, !params.has('after'))}`;
}

/** The amounts an operator reconciles with, from the anomaly's detail (never a key or a signature). */
function anomalyAmounts(detail: string): string {
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(detail) as Record<string, unknown>;
  } catch {
    return '';
  }
  const fen = (k: string) => (typeof d[k] === 'number' || (typeof d[k] === 'string' && /^\d{1,16}$/.test(d[k] as string)) ? yuan(Number(d[k])) : null);
  const parts: string[] = [];
  for (const [k, label] of [
    ['expected_total_fee', '应付'],
    ['total_fee', '通知金额'],
    ['notified_total_fee', '通知金额'],
    ['refund_fee', '退款'],
    ['expected', '应为'],
    ['got', '收到'],
  ] as const) {
    const v = fen(k);
    if (v) parts.push(`${label} ${v}`);
  }
  return parts.join('，');
}

export function anomaliesBody(f: Frame, rows: readonly AnomalyRow[], showAll: boolean, next: string | null, params: URLSearchParams, notice: string): Html {
  return html`${notice ? html`<div class="notice" id="notice">${notice}</div>` : ''}
<p><a href="/admin/anomalies${showAll ? '' : '?all=1'}" id="toggle-all">${showAll ? '只看未确认' : '查看全部（含已确认）'}</a></p>
<div class="table-wrap"><table id="anomalies">
<thead><tr><th>时间</th><th>类型</th><th>订单</th><th>金额</th><th>详情</th><th>确认</th></tr></thead>
<tbody>${
    rows.length
      ? rows.map(
          (a) => html`<tr data-id="${a.id}" data-kind="${a.kind}"><td>${beijingTime(a.created_at)}</td><td>${tag(ANOMALY_LABELS[a.kind] ?? a.kind, 'bad')}</td>
<td>${a.out_trade_no ? html`<a href="/admin/orders/${a.out_trade_no}">${a.out_trade_no}</a>` : '—'}</td><td>${anomalyAmounts(a.detail)}</td>
<td><code>${a.detail.length > 160 ? `${a.detail.slice(0, 160)}…` : a.detail}</code></td>
<td>${
            a.acknowledged_at
              ? html`<span class="ack">${a.acknowledged_by} 于 ${beijingTime(a.acknowledged_at)} 确认${a.ack_note ? `：${a.ack_note}` : ''}</span>`
              : html`<form method="post" action="/admin/anomalies/${a.id}/ack" class="filters">${csrfField(f.session)}<input name="note" placeholder="处理说明" maxlength="200" required><button type="submit">确认</button></form>`
          }</td></tr>`,
        )
      : html`<tr><td colspan="6" class="muted">${showAll ? '没有异常' : '没有未确认的异常'}</td></tr>`
  }</tbody></table></div>
${pager('/admin/anomalies', params, next, !params.has('after'))}`;
}

/** The login form; behind Access the operator is the Access identity, shown instead of asked. */
export function loginBody(error: string | null, accessName: string | null = null): Html {
  return html`<div class="login">
<h1>商户控制台</h1>
${error ? html`<div class="alert" id="login-error">${error}</div>` : ''}
<form method="post" action="/admin/login">
${
  accessName
    ? html`<p id="operator">操作员：${accessName}（Cloudflare Access）</p>`
    : html`<label>操作员<input name="operator" id="operator" required maxlength="32" autocomplete="username"></label>`
}
<label>访问令牌（ADMIN_TOKEN）<input type="password" name="token" id="token" required autocomplete="current-password"></label>
<button type="submit" id="login">登录</button>
</form>
</div>`;
}

/** A one-line message in a panel (errors, refusals). */
export function messageBody(text: string): Html {
  return html`<div class="panel"><p id="message">${text}</p><p><a href="/admin">返回控制台</a></p></div>`;
}
