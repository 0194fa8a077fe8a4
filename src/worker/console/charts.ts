// Server-rendered SVG charts for the overview: no script, no canvas, nothing from a CDN. Colours and
// sizes are presentation attributes (not style attributes), so the page's CSP needs no inline style.
import { formatYuan } from '../../core';
import { html, trusted, type Html } from '../platform/html';

export interface DayPoint {
  day: string; // yyyy-mm-dd
  paidFee: number;
  refundFee: number;
  /** Success rate in [0, 1], or null when no order of that day got a prepay. */
  rate: number | null;
}

const W = 720;
const H = 220;
const PAD = { left: 64, right: 12, top: 14, bottom: 28 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

/** A "nice" axis maximum at or above `max` (1, 2, 5 × 10^n fen). */
function niceMax(max: number): number {
  if (max <= 0) return 100;
  const exp = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * exp >= max) return m * exp;
  return 10 * exp;
}

/** Axis label in yuan, shortened: ¥1.2万 past ten thousand. */
function axisYuan(fen: number): string {
  if (fen >= 1_000_000) return `¥${(fen / 1_000_000).toFixed(fen % 1_000_000 === 0 ? 0 : 1)}万`;
  return `¥${formatYuan(fen).replace(/\.00$/, '')}`;
}

const x = (i: number, n: number) => PAD.left + (PLOT_W * (i + 0.5)) / n;

function xLabels(points: readonly DayPoint[]): string {
  const step = Math.max(1, Math.ceil(points.length / 8));
  return points
    .map((p, i) =>
      (points.length - 1 - i) % step === 0 // anchored on today, evenly spaced
        ? `<text x="${x(i, points.length).toFixed(1)}" y="${H - 8}" text-anchor="middle" font-size="11" fill="#888">${p.day.slice(5)}</text>`
        : '',
    )
    .join('');
}

function grid(labels: string[]): string {
  return labels
    .map((label, k) => {
      const y = PAD.top + PLOT_H - (PLOT_H * k) / (labels.length - 1);
      return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="#888">${label}</text>`;
    })
    .join('');
}

/** Daily paid amount (green) with refunds (orange) beside it. */
export function paidChart(points: readonly DayPoint[]): Html {
  const top = niceMax(Math.max(0, ...points.map((p) => Math.max(p.paidFee, p.refundFee))));
  const n = points.length;
  const slot = PLOT_W / n;
  const bw = Math.max(1, slot * 0.38);
  const h = (fen: number) => (PLOT_H * fen) / top;
  const bars = points
    .map((p, i) => {
      const cx = x(i, n);
      const ph = h(p.paidFee);
      const rh = h(p.refundFee);
      const base = PAD.top + PLOT_H;
      return (
        `<rect class="bar-paid" x="${(cx - bw).toFixed(1)}" y="${(base - ph).toFixed(1)}" width="${bw.toFixed(1)}" height="${ph.toFixed(1)}" fill="#07c160"><title>${p.day} 收款 ¥${formatYuan(p.paidFee)}</title></rect>` +
        `<rect class="bar-refund" x="${cx.toFixed(1)}" y="${(base - rh).toFixed(1)}" width="${bw.toFixed(1)}" height="${rh.toFixed(1)}" fill="#fa9d3b"><title>${p.day} 退款 ¥${formatYuan(p.refundFee)}</title></rect>`
      );
    })
    .join('');
  const labels = [0, 1, 2, 3, 4].map((k) => axisYuan((top * k) / 4));
  return html`<svg id="chart-paid" class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="每日收款与退款">${trusted(grid(labels) + bars + xLabels(points))}</svg>`;
}

/** Daily success rate (paid ÷ orders that got a prepay, by creation day) as a line. */
export function rateChart(points: readonly DayPoint[]): Html {
  const n = points.length;
  const y = (r: number) => PAD.top + PLOT_H - PLOT_H * r;
  const segments: string[] = [];
  let current: string[] = [];
  points.forEach((p, i) => {
    if (p.rate === null) {
      if (current.length) segments.push(current.join(' '));
      current = [];
    } else current.push(`${x(i, n).toFixed(1)},${y(p.rate).toFixed(1)}`);
  });
  if (current.length) segments.push(current.join(' '));
  const lines = segments.map((s) => `<polyline points="${s}" fill="none" stroke="#10aeff" stroke-width="2"/>`).join('');
  const dots = points
    .map((p, i) =>
      p.rate === null
        ? ''
        : `<circle cx="${x(i, n).toFixed(1)}" cy="${y(p.rate).toFixed(1)}" r="2.5" fill="#10aeff"><title>${p.day} 成功率 ${(p.rate * 100).toFixed(1)}%</title></circle>`,
    )
    .join('');
  const labels = ['0%', '25%', '50%', '75%', '100%'];
  return html`<svg id="chart-rate" class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="每日支付成功率">${trusted(grid(labels) + lines + dots + xLabels(points))}</svg>`;
}
