// 导出 CSV: the orders created in a Beijing date range, UTF-8 with a BOM (Excel opens it as UTF-8), CRLF
// lines, every field quoted and formula-guarded, amounts in yuan, streamed page by page on the
// (created_at, out_trade_no) keyset.
import { formatYuan } from '../../core';
import { type ListFilter, listOrders, type OrderRow } from '../orders';
import { beijingTime, ORDER_STATUS_LABELS } from './format';
import { payerOf } from './orders-view';

/** At most this many rows per export; a longer range ends with a line saying it was cut short. */
export const CSV_MAX_ROWS = 200_000;
const PAGE = 1000;

const HEADER = ['商户订单号', '微信支付订单号', '状态', '状态代码', '商品描述', '订单金额(元)', '已退款(元)', '付款人', '创建时间(北京)', '支付时间(北京)'];

/**
 * A `'` goes before each formula lead (= + - @ Tab CR and the full-width ＝ ＋ － ＠) wherever a cell can
 * begin: the field's start, or just past a `,` or `;` (a tool that ignores quotes, or a locale whose
 * separator is `;`, splits there) or a Tab, CR or LF (TSV, line splitting), after any whitespace or `"`
 * that a reader may trim first.
 */
const CELL_START_LEAD = /(?<=(?:^|[,;\t\r\n])[\s"]*)(?=[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20])/g;

/**
 * One CSV field, always quoted (`"` doubled). A `'` goes before every formula lead at a place a cell can
 * begin (OWASP's CSV injection advice), so no spreadsheet, whatever its separator, evaluates it.
 */
function csvField(v: string): string {
  return `"${v.replace(CELL_START_LEAD, "'").replace(/"/g, '""')}"`;
}

function csvRow(o: OrderRow): string {
  return [
    o.out_trade_no,
    o.transaction_id ?? '',
    ORDER_STATUS_LABELS[o.status] ?? o.status,
    o.status,
    o.description,
    formatYuan(o.total_fee),
    formatYuan(o.refunded_fee ?? 0),
    o.prepay_openid || o.openid ? payerOf(o) : '',
    beijingTime(o.created_at),
    o.paid_at ? beijingTime(o.paid_at) : '',
  ]
    .map(csvField)
    .join(',');
}

export function ordersCsv(db: D1Database, filter: Omit<ListFilter, 'limit' | 'after'>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let after: ListFilter['after'];
  let sent = 0;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(enc.encode(`\uFEFF${HEADER.map(csvField).join(',')}\r\n`));
        return;
      }
      const rows = await listOrders(db, { ...filter, after, limit: PAGE });
      const page = rows.slice(0, Math.min(PAGE, CSV_MAX_ROWS - sent));
      if (page.length) controller.enqueue(enc.encode(page.map((o) => `${csvRow(o)}\r\n`).join('')));
      sent += page.length;
      const last = page[page.length - 1];
      const more = rows.length > page.length;
      if (more && sent >= CSV_MAX_ROWS) {
        // Never a silently short file: the last line says it stopped, and where to split.
        controller.enqueue(enc.encode(`${csvField(`（已截断：超过 ${CSV_MAX_ROWS} 行，请缩小日期范围后分段导出）`)}\r\n`));
      }
      if (!more || sent >= CSV_MAX_ROWS || !last) controller.close();
      else after = { createdAt: last.created_at, outTradeNo: last.out_trade_no };
    },
  });
}
