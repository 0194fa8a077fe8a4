// 概览: today / 7 days / 30 days (Beijing days) from the console_daily rollup (≤ 30 rows, never the
// orders table), open anomalies, and the two charts.
import { html, type Html } from '../platform/html';
import type { Config } from '../platform/config';
import { dailyTotals, type DeliveryHealth, deliveryHealth, openAnomalyCount, type DailyRow } from './console-repo';
import { listRuns, type RunRow } from '../reconciliation';
import { beijingDate, oldestBillDate } from '../reconciliation';
import { paidChart, rateChart, type DayPoint } from './charts';
import { addDays, beijingDay, billDay, DAY_MS, NO_WEBHOOK_URL, RECON_STATUS_LABELS, reconTone, yuan } from './format';
import { tag } from './layout';

interface Figures {
  paidCount: number;
  paidFee: number;
  refundCount: number;
  refundFee: number;
  netFee: number;
  closedCount: number;
  prepaid: number;
  cohortPaid: number;
  /** paid ÷ orders that got a prepay (by creation day), or null when none did. */
  rate: number | null;
}

interface Overview {
  today: string;
  windows: { label: string; id: string; figures: Figures }[];
  points: DayPoint[];
  openAnomalies: number;
  /** The newest bill date's run (any status), or null: none in WeChat's 3 months. */
  lastRun: RunRow | null;
  /** Webhook events of the last 7 days by delivery state; 'no-url': WEBHOOK_URL is not set, so none is ever delivered. */
  webhooks: DeliveryHealth | 'no-url';
}

const HEALTH_DAYS = 7;

function sum(rows: readonly DailyRow[]): Figures {
  const f = { paidCount: 0, paidFee: 0, refundCount: 0, refundFee: 0, closedCount: 0, prepaid: 0, cohortPaid: 0 };
  for (const r of rows) {
    f.paidCount += r.paid_count;
    f.paidFee += r.paid_fee;
    f.refundCount += r.refund_count;
    f.refundFee += r.refund_fee;
    f.closedCount += r.closed_count;
    f.prepaid += r.cohort_prepaid;
    f.cohortPaid += r.cohort_paid;
  }
  return { ...f, netFee: f.paidFee - f.refundFee, rate: f.prepaid ? f.cohortPaid / f.prepaid : null };
}

/** Every read is indexed (see bench/console.mjs): ≤ 30 rollup rows, the open-anomaly partial index, the newest run by its key, and the events of the last 7 days as one rowid range. */
export async function loadOverview(db: D1Database, nowMs: number, config: Pick<Config, 'webhookUrl'>): Promise<Overview> {
  const today = beijingDay(nowMs);
  const from = addDays(today, -29);
  const [rows, openAnomalies, runs, webhooks] = await Promise.all([
    dailyTotals(db, from, today),
    openAnomalyCount(db),
    listRuns(db, oldestBillDate(nowMs), beijingDate(nowMs), 1),
    config.webhookUrl ? deliveryHealth(db, new Date(nowMs - HEALTH_DAYS * DAY_MS).toISOString()) : undefined,
  ]);
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const since = (n: number) => rows.filter((r) => r.day >= addDays(today, -(n - 1)));
  const points: DayPoint[] = [];
  for (let i = 29; i >= 0; i--) {
    const day = addDays(today, -i);
    const r = byDay.get(day);
    points.push({ day, paidFee: r?.paid_fee ?? 0, refundFee: r?.refund_fee ?? 0, rate: r?.cohort_prepaid ? r.cohort_paid / r.cohort_prepaid : null });
  }
  return {
    today,
    windows: [
      { label: '今日', id: 'today', figures: sum(since(1)) },
      { label: '近 7 日', id: 'd7', figures: sum(since(7)) },
      { label: '近 30 日', id: 'd30', figures: sum(since(30)) },
    ],
    points,
    openAnomalies,
    lastRun: runs.results[0] ?? null,
    webhooks: webhooks ?? 'no-url',
  };
}

const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);

function card(label: string, id: string, f: Figures): Html {
  return html`<section class="card" id="fig-${id}">
<h3>${label} 收款</h3>
<div class="big" data-figure="paid">${yuan(f.paidFee)}</div>
<dl>
<dt>支付笔数</dt><dd data-figure="paid-count">${f.paidCount}</dd>
<dt>退款</dt><dd data-figure="refund">${yuan(f.refundFee)}（${f.refundCount} 笔）</dd>
<dt>净收入</dt><dd data-figure="net">${yuan(f.netFee)}</dd>
<dt>支付成功率</dt><dd data-figure="rate">${pct(f.rate)}</dd>
<dt>已关闭</dt><dd>${f.closedCount}</dd>
</dl>
</section>`;
}

function lastRecon(o: Overview): Html | string {
  if (!o.lastRun) return html`<a href="/admin/reconciliation">尚无</a>`;
  const r = o.lastRun;
  return html`<a href="/admin/reconciliation/${r.bill_date}">${billDay(r.bill_date)}</a> ${tag(RECON_STATUS_LABELS[r.status] ?? r.status, reconTone(r.status))}`;
}

function webhookHealth(o: Overview): Html | string {
  if (o.webhooks === 'no-url') return html`<a href="/admin/webhooks" data-health="no-url">${NO_WEBHOOK_URL}</a>`;
  const w = o.webhooks;
  return html`<a href="/admin/webhooks"><span data-health="delivered">送达 ${w.delivered}</span> · <span data-health="pending">待投递 ${w.pending}</span> · <span data-health="failed"${w.failed ? html` class="error"` : ''}>失败 ${w.failed}</span></a>`;
}

export function overviewBody(o: Overview): Html {
  return html`<p class="muted">北京时间 ${o.today}。成功率 = 已支付 ÷ 已获取预支付（prepay）的订单，按下单日计。</p>
<div class="cards">
${o.windows.map((w) => card(w.label, w.id, w.figures))}
<section class="card" id="fig-health">
<h3>待处理</h3>
<div class="big"><a href="/admin/anomalies" id="open-anomalies">${o.openAnomalies}</a></div>
<dl>
<dt>未确认异常</dt><dd>${o.openAnomalies}</dd>
<dt>上次对账</dt><dd data-figure="last-recon">${lastRecon(o)}</dd>
<dt>通知健康（近 ${HEALTH_DAYS} 日）</dt><dd data-figure="webhooks">${webhookHealth(o)}</dd>
</dl>
</section>
</div>
<h2>近 30 日收款与退款</h2>
<div class="panel"><div class="legend"><i class="g"></i>收款<i class="o"></i>退款</div>${paidChart(o.points)}</div>
<h2>近 30 日支付成功率</h2>
<div class="panel"><div class="legend"><i class="b"></i>成功率</div>${rateChart(o.points)}</div>`;
}
