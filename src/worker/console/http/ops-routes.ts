// The console's 对账 (reconciliation) and 通知 (webhooks) pages, over the API's own reads and use cases.
import { Hono } from 'hono';
import { OUT_TRADE_NO } from '../../../core';
import { billDay, parseDay } from '../format';
import { page } from '../layout';
import { messageBody } from '../misc-view';
import { type EventDetail, eventDetailBody, eventsBody, reconciliationDayBody, reconciliationListBody, rerunConfirmBody } from '../ops-view';
import { recentEvents } from '../console-repo';
import { EVENT_TYPES, type EventType } from '../../outbox';
import { getRun } from '../../reconciliation';
import { BILL_DATE, checkBillDate } from '../../reconciliation';
import { getReport, listReports, type ReportPage, readItemCursor, reportView, requestReconciliation, kickOf } from '../../reconciliation';
import { eventDetail, redeliverEvent } from '../../webhooks';
import type { HonoEnv } from '../../platform/env';
import { keysetPage } from '../../platform/paging';
import { DomainError, type ErrorCode } from '../../platform/errors';
import { type C, type Ctx, PAGE_SIZE, readCursor, render, withSession } from './shell';

export const adminOps = new Hono<HonoEnv>();

// ---- 对账: the API's own read functions and use case (reconciliation/request.ts) ----

const RECON_ERRORS: Partial<Record<ErrorCode, string>> = {
  INVALID_BILL_DATE: '账单日期无效：须为今天（北京时间）之前、3 个月以内的日期。',
  RECONCILIATION_NOT_FOUND: '该日还没有对账记录。',
};

async function reconciliationList(c: C, x: Ctx, error: string | null, status: 200 | 400 | 409 = 200) {
  const v = await listReports(c.var.deps, undefined, undefined);
  const f = await x.frame('对账', 'reconciliation');
  return c.html(page(f, '对账', reconciliationListBody(f, v, error)), status);
}

adminOps.get('/admin/reconciliation', (c) => withSession(c, (x) => reconciliationList(c, x, null)));

adminOps.get('/admin/reconciliation/:bill_date', (c) =>
  withSession(c, async (x) => {
    const day = c.req.param('bill_date') ?? '';
    // The API's own cursor, in `after` like every console list; anything else is the first page.
    const cursor = c.req.query('after') ?? '';
    const after = readItemCursor(cursor);
    let report: ReportPage;
    try {
      report = await getReport(c.var.deps, day, { limit: PAGE_SIZE, after });
    } catch (e) {
      if (!(e instanceof DomainError) || e.code !== 'RECONCILIATION_NOT_FOUND') throw e;
      return render(c, x, '对账', 'reconciliation', messageBody(`${BILL_DATE.test(day) ? billDay(day) : '该日'}还没有对账记录。`), 404);
    }
    const started = c.req.query('started');
    const notice =
      started && /^\d{1,6}$/.test(started) ? `已发起第 ${started} 次对账。` : c.req.query('running') === '1' ? '该日对账正在进行，未重复发起。' : '';
    const f = await x.frame(`对账 ${billDay(report.bill_date)}`, 'reconciliation');
    const params = new URLSearchParams(after ? { after: cursor } : {});
    return c.html(page(f, `对账 ${billDay(report.bill_date)}`, reconciliationDayBody(f, report, notice, null, params)));
  }),
);

/** The bill date of a form: `bill_date` (yyyyMMdd) from a day's page, or `day` (yyyy-mm-dd) from the list. */
function formBillDate(form: URLSearchParams): string {
  const d = form.get('bill_date') ?? '';
  if (BILL_DATE.test(d)) return d;
  const day = parseDay(form.get('day') ?? undefined);
  return day ? day.replaceAll('-', '') : '';
}

/** Step 1 of a (re-)run: the use case's own date rule, then the confirmation. Nothing is started. */
adminOps.post('/admin/reconciliation/rerun', (c) =>
  withSession(c, async (x, form) => {
    const day = formBillDate(form!);
    try {
      checkBillDate(day, Date.now());
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      return reconciliationList(c, x, RECON_ERRORS[e.code] ?? e.code, 400);
    }
    const run = await getRun(c.env.DB, day);
    const f = await x.frame('确认对账', 'reconciliation');
    return c.html(page(f, run ? '确认重新对账' : '确认对账', rerunConfirmBody(f, day, run ? reportView(run, null) : null)));
  }),
);

/** Step 2: the same use case as POST /v1/reconciliations with rerun: true. */
adminOps.post('/admin/reconciliation/rerun/confirm', (c) =>
  withSession(c, async (x, form) => {
    const day = formBillDate(form!);
    try {
      const { started, run } = await requestReconciliation(c.var.deps, kickOf(c.var.deps), day, true);
      c.set('outcome', started ? 'CONSOLE_RECONCILIATION_STARTED' : `CONSOLE_RECONCILIATION_${run.status}`);
      return c.redirect(`/admin/reconciliation/${run.bill_date}?${started ? `started=${run.generation}` : 'running=1'}`, 303);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      c.set('outcome', `CONSOLE_RECONCILIATION:${e.code}`);
      return reconciliationList(c, x, RECON_ERRORS[e.code] ?? `对账失败（${e.code}）。`, 400);
    }
  }),
);

// ---- 通知: the events API's own reads and redelivery (webhooks/api.ts) ----

adminOps.get('/admin/webhooks', (c) =>
  withSession(c, async (x) => {
    const type = c.req.query('type') ?? '';
    const order = (c.req.query('order') ?? '').trim();
    const cur = readCursor(c.req.query('after'));
    const beforeSeq = cur && Number.isSafeInteger(cur[1]) ? (cur[1] as number) : undefined;
    const view = { type: isEventType(type) ? type : '', order: OUT_TRADE_NO.test(order) ? order : '' };
    const rows = await recentEvents(c.env.DB, {
      type: isEventType(type) ? type : undefined,
      outTradeNo: view.order || undefined,
      beforeSeq,
      limit: PAGE_SIZE,
    });
    const { items: shown, nextCursor: next } = keysetPage(rows, PAGE_SIZE, (last) => [last.created_at, last.seq]);
    return render(c, x, '通知', 'webhooks', eventsBody(view, shown, next, new URL(c.req.url).searchParams, Boolean(x.config.webhookUrl)));
  }),
);

const isEventType = (t: string): t is EventType => (EVENT_TYPES as readonly string[]).includes(t);

async function eventPage(c: C, x: Ctx, id: string, notice: string, error: string | null, status: 200 | 404 | 409 = 200) {
  let detail: EventDetail;
  try {
    detail = await eventDetail(c.var.deps, id);
  } catch (e) {
    if (!(e instanceof DomainError) || e.code !== 'EVENT_NOT_FOUND') throw e;
    return render(c, x, '通知', 'webhooks', messageBody('没有这个通知事件。'), 404);
  }
  const f = await x.frame('通知详情', 'webhooks');
  return c.html(page(f, '通知详情', eventDetailBody(f, detail, notice, error, Boolean(x.config.webhookUrl))), status);
}

adminOps.get('/admin/webhooks/:id', (c) =>
  withSession(c, (x) =>
    eventPage(c, x, c.req.param('id') ?? '', c.req.query('redelivered') === '1' ? '已重新发送（同一事件 ID），投递结果见下表。' : '', null),
  ),
);

/** The same use case as POST /v1/events/:id/redeliver. */
adminOps.post('/admin/webhooks/:id/redeliver', (c) =>
  withSession(c, async (x) => {
    const id = c.req.param('id') ?? '';
    try {
      await redeliverEvent(c.var.deps, id);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      c.set('outcome', `CONSOLE_REDELIVER:${e.code}`);
      if (e.code === 'WEBHOOKS_DISABLED') return eventPage(c, x, id, '', '未设置 WEBHOOK_URL：事件仅记录，无法重发。', 409);
      return eventPage(c, x, id, '', `重发失败（${e.code}）。`, 404);
    }
    c.set('outcome', 'CONSOLE_REDELIVER');
    return c.redirect(`/admin/webhooks/${id}?redelivered=1`, 303);
  }),
);
