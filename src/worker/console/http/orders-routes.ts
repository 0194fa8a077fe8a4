// The console's 订单, 订单详情 (with the refund action), 退款 and 异常 pages.
import { Hono } from 'hono';
import { isOrderStatus, OUT_TRADE_NO, yuanToFen } from '../../../core';
import { CSV_MAX_ROWS, ordersCsv } from '../csv';
import { addDays, beijingDay, beijingDayStart, parseDay } from '../format';
import { page } from '../layout';
import { anomaliesBody, messageBody, refundsBody } from '../misc-view';
import { orderDetailBody, ordersBody, refundConfirmBody } from '../orders-view';
import { archivedTimeline, timelineWithHistory } from '../archived-timeline';
import { acknowledgeAnomaly, orderTimelineRows, recentAnomalies, recentRefunds } from '../console-repo';
import { listOrders } from '../../orders';
import { withBodies } from '../../evidence';
import type { HonoEnv } from '../../platform/env';
import { keysetPage } from '../../platform/paging';
import { DomainError, type ErrorCode } from '../../platform/errors';
import { createRefund, generateOutRefundNo } from '../../refunds';
import { CreateRefundBody } from '../../refunds';
import { refundableFee } from '../../orders';
import { type C, type Ctx, PAGE_SIZE, readCursor, render, withSession } from './shell';

export const adminOrders = new Hono<HonoEnv>();

/** The list's filters from the query string; dates are Beijing days, inclusive. */
function orderFilters(c: C) {
  const status = c.req.query('status') ?? '';
  const from = parseDay(c.req.query('from')) ?? '';
  const to = parseDay(c.req.query('to')) ?? '';
  const q = (c.req.query('q') ?? '').trim().slice(0, 64);
  return {
    view: { status: isOrderStatus(status) ? status : '', from, to, q },
    search: {
      status: isOrderStatus(status) ? status : undefined,
      createdFrom: from ? beijingDayStart(from) : undefined,
      createdTo: to ? beijingDayStart(addDays(to, 1)) : undefined,
      q: q || undefined,
    },
  };
}

adminOrders.get('/admin/orders', (c) =>
  withSession(c, async (x) => {
    const { view, search } = orderFilters(c);
    const cur = readCursor(c.req.query('after'));
    const after = cur && typeof cur[1] === 'string' && OUT_TRADE_NO.test(cur[1]) ? { createdAt: cur[0], outTradeNo: cur[1] } : undefined;
    const rows = await listOrders(c.env.DB, { ...search, after, limit: PAGE_SIZE });
    const { items: shown, nextCursor: next } = keysetPage(rows, PAGE_SIZE, (last) => [last.created_at, last.out_trade_no]);
    const params = new URL(c.req.url).searchParams;
    return render(c, x, '订单', 'orders', ordersBody(view, shown, next, params, null));
  }),
);

adminOrders.get('/admin/orders.csv', (c) =>
  withSession(c, async () => {
    const { search } = orderFilters(c);
    const today = beijingDay(Date.now());
    const to = parseDay(c.req.query('to')) ?? today;
    const from = parseDay(c.req.query('from')) ?? addDays(to, -29);
    c.set('outcome', 'CSV_EXPORT');
    const body = ordersCsv(c.env.DB, { ...search, createdFrom: beijingDayStart(from), createdTo: beijingDayStart(addDays(to, 1)) });
    return new Response(body, {
      headers: {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="orders-${from}-${to}.csv"`,
        'X-Export-Max-Rows': String(CSV_MAX_ROWS),
      },
    });
  }),
);

function outTradeNoOf(c: C): string | null {
  const v = c.req.param('out_trade_no') ?? '';
  if (!OUT_TRADE_NO.test(v)) return null;
  c.set('outTradeNo', v);
  return v;
}

async function orderPage(c: C, x: Ctx, no: string, notice: string, refundError: string | null, status: 200 | 400 | 409 = 200) {
  const hot = await orderTimelineRows(c.env.DB, no);
  // Past the hot window: the archived copy, said so (a refund brings the order back first). Past
  // HISTORY_DAYS: the order from D1, its history from the archive.
  const archive = { db: c.env.DB, archive: c.env.ARCHIVE };
  const d = hot.order ? await timelineWithHistory(archive, hot) : await archivedTimeline(archive, no);
  if (!d?.order) return render(c, x, '订单不存在', 'orders', pendingNotFound(no), 404);
  const f = await x.frame(`订单 ${no}`, 'orders');
  // Notify bodies past EVIDENCE_DAYS are in R2 (hot rows and archived ones alike): read back and verified.
  const notifications = await withBodies(c.env.DB, c.env.ARCHIVE, d.notifications);
  const said = hot.order ? notice : [`已归档：超过 ${c.var.config.hotDays} 天的订单从归档读取（只读；退款会先将其恢复）。`, notice].filter(Boolean).join(' ');
  return c.html(page(f, `订单详情`, orderDetailBody(f, { ...d, notifications, order: d.order }, said, refundError)), status);
}

const pendingNotFound = (no: string) => messageBody(`没有订单 ${no}。`);

adminOrders.get('/admin/orders/:out_trade_no', (c) =>
  withSession(c, async (x) => {
    const no = outTradeNoOf(c);
    if (!no) return render(c, x, '订单不存在', 'orders', pendingNotFound(c.req.param('out_trade_no') ?? ''), 404);
    const refund = c.req.query('refund');
    return orderPage(c, x, no, refund && /^[A-Za-z0-9_\-|*@]{1,64}$/.test(refund) ? `退款 ${refund} 已提交。` : '', null);
  }),
);

/** Step 1 of a refund: check the amount, then show what will happen and ask to confirm. */
adminOrders.post('/admin/orders/:out_trade_no/refund', (c) =>
  withSession(c, async (x, form) => {
    const no = outTradeNoOf(c);
    if (!no || !form) return c.redirect('/admin/orders', 303);
    const d = await orderTimelineRows(c.env.DB, no);
    if (!d.order) return orderPage(c, x, no, '', null);
    let fen = 0;
    try {
      fen = yuanToFen((form.get('amount') ?? '').trim());
    } catch {
      fen = 0;
    }
    const reason = (form.get('reason') ?? '').trim();
    const refundable = refundableFee(d.order);
    if (fen <= 0) return orderPage(c, x, no, '', '请输入正确的退款金额（元，最多两位小数）。', 400);
    if (fen > refundable) return orderPage(c, x, no, '', '退款金额超过可退金额。', 400);
    const outRefundNo = generateOutRefundNo(Date.now());
    const f = await x.frame('确认退款', 'orders');
    return c.html(page(f, '确认退款', refundConfirmBody(f, d.order, fen, reason, outRefundNo)));
  }),
);

const REFUND_ERRORS: Partial<Record<ErrorCode, string>> = {
  ORDER_NOT_REFUNDABLE: '订单当前状态不可退款。',
  REFUND_EXCEEDS_PAID: '退款金额超过可退金额。',
  REFUND_LIMIT_REACHED: '该订单退款次数已达微信支付上限（50 次）。',
  REFUND_WINDOW_EXPIRED: '已超过微信支付退款期限（支付后一年）。',
  REFUND_UNAVAILABLE: '退款不可用：未配置微信支付 API 证书（WECHAT_MTLS）。',
  IDEMPOTENCY_CONFLICT: '该退款单号已用于另一笔退款，请重新发起。',
  UPSTREAM_REJECTED: '微信支付拒绝了该退款。',
  UPSTREAM_UNAVAILABLE: '微信支付暂时不可用；退款已登记，系统会以同一退款单号自动重试。',
  VALIDATION_FAILED: '退款信息无效（原因最多 80 字，不能含不可见字符）。',
};

/** Step 2: the same use case as POST /v1/orders/:no/refunds, under the number shown on the confirmation. */
adminOrders.post('/admin/orders/:out_trade_no/refund/confirm', (c) =>
  withSession(c, async (x, form) => {
    const no = outTradeNoOf(c);
    if (!no || !form) return c.redirect('/admin/orders', 303);
    const reason = form.get('reason') ?? '';
    const body = CreateRefundBody.safeParse({
      refund_fee: Number(form.get('refund_fee')),
      out_refund_no: form.get('out_refund_no') ?? undefined,
      ...(reason ? { reason } : {}),
    });
    if (!body.success) return orderPage(c, x, no, '', REFUND_ERRORS.VALIDATION_FAILED!, 400);
    try {
      const { refund } = await createRefund(c.var.deps, no, body.data);
      c.set('outcome', `CONSOLE_REFUND:${refund.status}`);
      return c.redirect(`/admin/orders/${no}?refund=${encodeURIComponent(refund.out_refund_no)}`, 303);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      c.set('outcome', `CONSOLE_REFUND:${e.code}`);
      return orderPage(c, x, no, '', REFUND_ERRORS[e.code] ?? `退款失败（${e.code}）。`, 409);
    }
  }),
);

adminOrders.get('/admin/refunds', (c) =>
  withSession(c, async (x) => {
    const cur = readCursor(c.req.query('after'));
    const after = cur && typeof cur[1] === 'string' ? { createdAt: cur[0], id: cur[1] } : undefined;
    const rows = await recentRefunds(c.env.DB, PAGE_SIZE, after);
    const { items: shown, nextCursor: next } = keysetPage(rows, PAGE_SIZE, (last) => [last.created_at, last.out_refund_no]);
    return render(c, x, '退款', 'refunds', refundsBody(shown, next, new URL(c.req.url).searchParams));
  }),
);

adminOrders.get('/admin/anomalies', (c) =>
  withSession(c, async (x) => {
    const all = c.req.query('all') === '1';
    const cur = readCursor(c.req.query('after'));
    const after = cur && Number.isSafeInteger(cur[1]) ? { createdAt: cur[0], id: cur[1] as number } : undefined;
    const rows = await recentAnomalies(c.env.DB, !all, PAGE_SIZE, after);
    const { items: shown, nextCursor: next } = keysetPage(rows, PAGE_SIZE, (last) => [last.created_at, last.id]);
    const acked = c.req.query('acked');
    const f = await x.frame('异常', 'anomalies');
    const notice = acked && /^\d{1,12}$/.test(acked) ? `异常 #${acked} 已确认。` : '';
    return c.html(page(f, '异常', anomaliesBody(f, shown, all, next, new URL(c.req.url).searchParams, notice)));
  }),
);

adminOrders.post('/admin/anomalies/:id/ack', (c) =>
  withSession(c, async (x, form) => {
    const id = Number(c.req.param('id'));
    const note = (form?.get('note') ?? '').trim();
    if (!Number.isSafeInteger(id) || id < 1 || !note || [...note].length > 200) return c.redirect('/admin/anomalies', 303);
    const done = await acknowledgeAnomaly(c.env.DB, id, x.session.operator, note, new Date().toISOString());
    c.set('outcome', done ? 'ANOMALY_ACK' : 'ANOMALY_ACK_NOOP');
    return c.redirect(`/admin/anomalies?all=1&acked=${id}`, 303);
  }),
);
