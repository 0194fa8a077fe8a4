// The merchant console at /admin (issue 13): server-rendered pages behind ADMIN_TOKEN login (and
// Cloudflare Access when configured). A thin shell: authorise, read or call one use case, render.
import { type Context, Hono } from 'hono';
import { base64urlDecodeText, base64urlEncode, isOrderStatus, OUT_TRADE_NO, secretEqual, yuanToFen } from '../../core';
import { cspNonce, consoleSecurityHeaders } from '../checkout/security';
import type { Config } from '../config';
import { verifyAccessJwt } from '../console/access';
import { CSV_MAX_ROWS, ordersCsv } from '../console/csv';
import { consoleFeatures } from '../console/features';
import { addDays, beijingDay, beijingDayStart, billDay, parseDay } from '../console/format';
import { barePage, type Frame, type NavKey, page } from '../console/layout';
import { anomaliesBody, loginBody, messageBody, refundsBody } from '../console/misc-view';
import { type EventDetail, eventDetailBody, eventsBody, reconciliationDayBody, reconciliationListBody, rerunConfirmBody } from '../console/ops-view';
import { loadOverview, overviewBody } from '../console/overview';
import { orderDetailBody, ordersBody, refundConfirmBody } from '../console/orders-view';
import { type AdminSession, claimLoginAttempt, csrfValid, endSession, forgiveLoginAttempt, readSession, startSession } from '../console/session';
import { acknowledgeAnomaly, orderTimelineRows, recentAnomalies, recentEvents, recentRefunds } from '../d1/console-repo';
import { EVENT_TYPES, type EventType } from '../d1/events-repo';
import { listOrders } from '../d1/orders-repo';
import { getRun } from '../d1/reconciliation-repo';
import { BILL_DATE, checkBillDate } from '../reconciliation/dates';
import { getReport, listReports, type ReportView, reportView, requestReconciliation } from '../reconciliation/request';
import { eventDetail, redeliverEvent } from '../webhooks/api';
import type { HonoEnv } from '../env';
import { DomainError, type ErrorCode } from '../errors';
import { readCapped } from '../notify/read-body';
import { createRefund, generateOutRefundNo } from '../refunds/create';
import { CreateRefundBody } from '../refunds/schemas';
import { refundableFee } from '../orders/view';
import { gatewayDeps, reconcilerKick } from '../wiring';
import { requestConfig } from '../middleware/require-config';
import { clientIp } from './orders';

type C = Context<HonoEnv>;
const FORM_MAX_BYTES = 8 * 1024;
const PAGE_SIZE = 50;

export const admin = new Hono<HonoEnv>();

/** Config, Access, and for POSTs a same-origin check, before any page; plus the Server-Timing header. */
async function gate(c: C): Promise<{ config: Config; accessName: string | null } | Response> {
  const parsed = requestConfig(c);
  if (!parsed.ok) return c.html(barePage(cspNonce(c), '控制台不可用', loginMessage('服务配置无效，控制台已关闭。')), 503);
  const config = parsed.config;
  if (config.adminTokenProblem) {
    c.set('outcome', 'CONSOLE_CONFIG_INVALID');
    return c.html(barePage(cspNonce(c), '控制台不可用', loginMessage('ADMIN_TOKEN 是文档中的示例值，生产环境拒绝使用；请用 wrangler secret put 设置。')), 503);
  }
  if (!config.adminToken) return c.html(barePage(cspNonce(c), '页面不存在', loginMessage('控制台未启用（未设置 ADMIN_TOKEN）。')), 404);
  let accessName: string | null = null;
  if (config.access) {
    const verdict = await verifyAccessJwt(c.req.header('Cf-Access-Jwt-Assertion'), config.access, Date.now(), fetch).catch(() => null);
    if (!verdict?.ok) {
      c.set('outcome', `ACCESS_DENIED:${verdict ? verdict.reason : 'jwks unavailable'}`);
      return c.html(barePage(cspNonce(c), '无权访问', loginMessage('需要通过 Cloudflare Access 登录。')), 403);
    }
    accessName = verdict.email ?? verdict.sub;
  }
  if (c.req.method === 'POST') {
    const origin = c.req.header('Origin');
    const site = c.req.header('Sec-Fetch-Site');
    if ((origin && origin !== new URL(c.req.url).origin) || (site && site !== 'same-origin' && site !== 'none')) {
      c.set('outcome', 'CSRF_ORIGIN');
      return c.html(barePage(cspNonce(c), '请求被拒绝', loginMessage('跨站请求被拒绝。')), 403);
    }
  }
  return { config, accessName };
}

const loginMessage = (text: string) => messageBody(text);

admin.use('/admin', consoleSecurityHeaders);
admin.use('/admin/*', consoleSecurityHeaders);
admin.use('/admin', timing);
admin.use('/admin/*', timing);
async function timing(c: C, next: () => Promise<void>) {
  const t0 = performance.now();
  await next();
  c.header('Server-Timing', `app;dur=${(performance.now() - t0).toFixed(1)}`);
}

async function readForm(c: C): Promise<URLSearchParams | null> {
  if (!(c.req.header('Content-Type') ?? '').startsWith('application/x-www-form-urlencoded')) return null;
  const bytes = await readCapped(c.req.raw.body, FORM_MAX_BYTES);
  return bytes ? new URLSearchParams(new TextDecoder().decode(bytes)) : null;
}

interface Ctx {
  config: Config;
  session: AdminSession;
  frame: (title: string, active: NavKey) => Promise<Frame>;
}

/** Runs `handler` with a valid session (and, for POSTs, a valid CSRF token), else sends to the login. */
async function withSession(c: C, handler: (x: Ctx, form: URLSearchParams | null) => Promise<Response>): Promise<Response> {
  const g = await gate(c);
  if (g instanceof Response) return g;
  const { config } = g;
  const session = await readSession(c, c.env.DB, config.adminToken!, Date.now());
  if (!session) {
    c.set('outcome', 'NO_SESSION');
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return c.redirect('/admin/login', 303);
    return c.html(barePage(cspNonce(c), '会话已失效', loginBody('会话已失效，请重新登录。')), 401);
  }
  let form: URLSearchParams | null = null;
  if (c.req.method === 'POST') {
    form = await readForm(c);
    if (!form || !csrfValid(session, form.get('_csrf'))) {
      c.set('outcome', 'CSRF_INVALID');
      return c.html(barePage(cspNonce(c), '请求被拒绝', loginBody('表单已失效（CSRF 校验失败），请返回刷新后重试。')), 403);
    }
  }
  const frame = async (_title: string, active: NavKey): Promise<Frame> => ({
    nonce: cspNonce(c),
    session,
    features: await consoleFeatures(c.env.DB, Date.now()).catch(() => ({ reconciliation: false, webhooks: false })),
    active,
    merchantName: config.merchantName,
    sandbox: config.mode === 'sandbox',
  });
  return handler({ config, session, frame }, form);
}

async function render(c: C, x: Ctx, title: string, active: NavKey, body: Parameters<typeof page>[2], status: 200 | 400 | 404 | 409 = 200) {
  return c.html(page(await x.frame(title, active), title, body), status);
}

// ---- login / logout ----

admin.get('/admin/login', async (c) => {
  const g = await gate(c);
  if (g instanceof Response) return g;
  if (await readSession(c, c.env.DB, g.config.adminToken!, Date.now())) return c.redirect('/admin', 303);
  return c.html(barePage(cspNonce(c), '登录', loginBody(null)));
});

const OPERATOR = /^[^\p{C}]{1,32}$/u;

admin.post('/admin/login', async (c) => {
  const g = await gate(c);
  if (g instanceof Response) return g;
  const form = await readForm(c);
  const operator = (form?.get('operator') ?? '').trim();
  const token = form?.get('token') ?? '';
  if (!form || !OPERATOR.test(operator) || !token) return c.html(barePage(cspNonce(c), '登录', loginBody('请填写操作员和访问令牌。')), 400);
  const now = Date.now();
  const ip = clientIp(c);
  const wait = await claimLoginAttempt(c.env.DB, ip, now);
  if (wait > 0) {
    c.set('outcome', 'LOGIN_RATE_LIMITED');
    c.header('Retry-After', String(wait));
    return c.html(barePage(cspNonce(c), '登录', loginBody(`登录失败次数过多，请 ${Math.ceil(wait / 60)} 分钟后再试。`)), 429);
  }
  if (!(await secretEqual(token, g.config.adminToken!))) {
    c.set('outcome', 'LOGIN_FAILED');
    return c.html(barePage(cspNonce(c), '登录', loginBody('访问令牌不正确。')), 401);
  }
  await forgiveLoginAttempt(c.env.DB, ip, now);
  await startSession(c, c.env.DB, g.config.adminToken!, g.accessName ? `${operator}（${g.accessName}）` : operator, now);
  c.set('outcome', 'LOGIN');
  return c.redirect('/admin', 303);
});

admin.post('/admin/logout', (c) =>
  withSession(c, async (x) => {
    await endSession(c, c.env.DB, x.session, Date.now());
    c.set('outcome', 'LOGOUT');
    return c.redirect('/admin/login', 303);
  }),
);

// ---- pages ----

admin.get('/admin', (c) =>
  withSession(c, async (x) => {
    const f = await x.frame('概览', 'overview');
    const o = await loadOverview(c.env.DB, Date.now(), f.features);
    return c.html(page(f, '概览', overviewBody(o, f.features)));
  }),
);

function cursorOf(createdAt: string, key: string | number): string {
  return base64urlEncode(JSON.stringify([createdAt, key]));
}

function readCursor(s: string | undefined): [string, unknown] | null {
  if (!s) return null;
  try {
    const v = JSON.parse(base64urlDecodeText(s) ?? '') as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0]))) return [v[0], v[1]];
  } catch {
    // not a cursor: first page
  }
  return null;
}

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

admin.get('/admin/orders', (c) =>
  withSession(c, async (x) => {
    const { view, search } = orderFilters(c);
    const cur = readCursor(c.req.query('after'));
    const after = cur && typeof cur[1] === 'string' && OUT_TRADE_NO.test(cur[1]) ? { createdAt: cur[0], outTradeNo: cur[1] } : undefined;
    const rows = await listOrders(c.env.DB, { ...search, after, limit: PAGE_SIZE });
    const shown = rows.slice(0, PAGE_SIZE);
    const last = shown[shown.length - 1];
    const next = rows.length > PAGE_SIZE && last ? cursorOf(last.created_at, last.out_trade_no) : null;
    const params = new URL(c.req.url).searchParams;
    return render(c, x, '订单', 'orders', ordersBody(view, shown, next, params, null));
  }),
);

admin.get('/admin/orders.csv', (c) =>
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
  const d = await orderTimelineRows(c.env.DB, no);
  if (!d.order) return render(c, x, '订单不存在', 'orders', pendingNotFound(no), 404);
  const f = await x.frame(`订单 ${no}`, 'orders');
  return c.html(page(f, `订单详情`, orderDetailBody(f, { ...d, order: d.order }, notice, refundError)), status);
}

const pendingNotFound = (no: string) => messageBody(`没有订单 ${no}。`);

admin.get('/admin/orders/:out_trade_no', (c) =>
  withSession(c, async (x) => {
    const no = outTradeNoOf(c);
    if (!no) return render(c, x, '订单不存在', 'orders', pendingNotFound(c.req.param('out_trade_no') ?? ''), 404);
    const refund = c.req.query('refund');
    return orderPage(c, x, no, refund && /^[A-Za-z0-9_\-|*@]{1,64}$/.test(refund) ? `退款 ${refund} 已提交。` : '', null);
  }),
);

/** Step 1 of a refund: check the amount, then show what will happen and ask to confirm. */
admin.post('/admin/orders/:out_trade_no/refund', (c) =>
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
admin.post('/admin/orders/:out_trade_no/refund/confirm', (c) =>
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
      const { refund } = await createRefund(gatewayDeps(c.env, c.executionCtx, x.config), no, body.data);
      c.set('outcome', `CONSOLE_REFUND:${refund.status}`);
      return c.redirect(`/admin/orders/${no}?refund=${encodeURIComponent(refund.out_refund_no)}`, 303);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      c.set('outcome', `CONSOLE_REFUND:${e.code}`);
      return orderPage(c, x, no, '', REFUND_ERRORS[e.code] ?? `退款失败（${e.code}）。`, 409);
    }
  }),
);

admin.get('/admin/refunds', (c) =>
  withSession(c, async (x) => {
    const cur = readCursor(c.req.query('after'));
    const after = cur && typeof cur[1] === 'string' ? { createdAt: cur[0], id: cur[1] } : undefined;
    const rows = await recentRefunds(c.env.DB, PAGE_SIZE, after);
    const shown = rows.slice(0, PAGE_SIZE);
    const last = shown[shown.length - 1];
    const next = rows.length > PAGE_SIZE && last ? cursorOf(last.created_at, last.out_refund_no) : null;
    return render(c, x, '退款', 'refunds', refundsBody(shown, next, new URL(c.req.url).searchParams));
  }),
);

admin.get('/admin/anomalies', (c) =>
  withSession(c, async (x) => {
    const all = c.req.query('all') === '1';
    const cur = readCursor(c.req.query('after'));
    const after = cur && Number.isSafeInteger(cur[1]) ? { createdAt: cur[0], id: cur[1] as number } : undefined;
    const rows = await recentAnomalies(c.env.DB, !all, PAGE_SIZE, after);
    const shown = rows.slice(0, PAGE_SIZE);
    const last = shown[shown.length - 1];
    const next = rows.length > PAGE_SIZE && last ? cursorOf(last.created_at, last.id) : null;
    const acked = c.req.query('acked');
    const f = await x.frame('异常', 'anomalies');
    const notice = acked && /^\d{1,12}$/.test(acked) ? `异常 #${acked} 已确认。` : '';
    return c.html(page(f, '异常', anomaliesBody(f, shown, all, next, new URL(c.req.url).searchParams, notice)));
  }),
);

admin.post('/admin/anomalies/:id/ack', (c) =>
  withSession(c, async (x, form) => {
    const id = Number(c.req.param('id'));
    const note = (form?.get('note') ?? '').trim();
    if (!Number.isSafeInteger(id) || id < 1 || !note || [...note].length > 200) return c.redirect('/admin/anomalies', 303);
    const done = await acknowledgeAnomaly(c.env.DB, id, x.session.operator, note, new Date().toISOString());
    c.set('outcome', done ? 'ANOMALY_ACK' : 'ANOMALY_ACK_NOOP');
    return c.redirect(`/admin/anomalies?all=1&acked=${id}`, 303);
  }),
);

// ---- 对账: the API's own read functions and use case (reconciliation/request.ts) ----

const RECON_ERRORS: Partial<Record<ErrorCode, string>> = {
  INVALID_BILL_DATE: '账单日期无效：须为今天（北京时间）之前、3 个月以内的日期。',
  RECONCILIATION_NOT_FOUND: '该日还没有对账记录。',
};

async function reconciliationList(c: C, x: Ctx, error: string | null, status: 200 | 400 | 409 = 200) {
  const v = await listReports(gatewayDeps(c.env, c.executionCtx, x.config), undefined, undefined);
  const f = await x.frame('对账', 'reconciliation');
  return c.html(page(f, '对账', reconciliationListBody(f, v, error)), status);
}

admin.get('/admin/reconciliation', (c) => withSession(c, (x) => reconciliationList(c, x, null)));

admin.get('/admin/reconciliation/:bill_date', (c) =>
  withSession(c, async (x) => {
    const day = c.req.param('bill_date') ?? '';
    let report: ReportView;
    try {
      report = await getReport(gatewayDeps(c.env, c.executionCtx, x.config), day);
    } catch (e) {
      if (!(e instanceof DomainError) || e.code !== 'RECONCILIATION_NOT_FOUND') throw e;
      return render(c, x, '对账', 'reconciliation', messageBody(`${BILL_DATE.test(day) ? billDay(day) : '该日'}还没有对账记录。`), 404);
    }
    const started = c.req.query('started');
    const notice =
      started && /^\d{1,6}$/.test(started) ? `已发起第 ${started} 次对账。` : c.req.query('running') === '1' ? '该日对账正在进行，未重复发起。' : '';
    const f = await x.frame(`对账 ${billDay(report.bill_date)}`, 'reconciliation');
    return c.html(page(f, `对账 ${billDay(report.bill_date)}`, reconciliationDayBody(f, report, notice, null)));
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
admin.post('/admin/reconciliation/rerun', (c) =>
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
admin.post('/admin/reconciliation/rerun/confirm', (c) =>
  withSession(c, async (x, form) => {
    const day = formBillDate(form!);
    try {
      const { started, run } = await requestReconciliation(gatewayDeps(c.env, c.executionCtx, x.config), reconcilerKick(c.env), day, true);
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

admin.get('/admin/webhooks', (c) =>
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
    const shown = rows.slice(0, PAGE_SIZE);
    const last = shown[shown.length - 1];
    const next = rows.length > PAGE_SIZE && last ? cursorOf(last.created_at, last.seq) : null;
    return render(c, x, '通知', 'webhooks', eventsBody(view, shown, next, new URL(c.req.url).searchParams));
  }),
);

const isEventType = (t: string): t is EventType => (EVENT_TYPES as readonly string[]).includes(t);

async function eventPage(c: C, x: Ctx, id: string, notice: string, error: string | null, status: 200 | 404 | 409 = 200) {
  let detail: EventDetail;
  try {
    detail = await eventDetail(gatewayDeps(c.env, c.executionCtx, x.config), id);
  } catch (e) {
    if (!(e instanceof DomainError) || e.code !== 'EVENT_NOT_FOUND') throw e;
    return render(c, x, '通知', 'webhooks', messageBody('没有这个通知事件。'), 404);
  }
  const f = await x.frame('通知详情', 'webhooks');
  return c.html(page(f, '通知详情', eventDetailBody(f, detail, notice, error, Boolean(x.config.webhookUrl))), status);
}

admin.get('/admin/webhooks/:id', (c) =>
  withSession(c, (x) =>
    eventPage(c, x, c.req.param('id') ?? '', c.req.query('redelivered') === '1' ? '已重新发送（同一事件 ID），投递结果见下表。' : '', null),
  ),
);

/** The same use case as POST /v1/events/:id/redeliver. */
admin.post('/admin/webhooks/:id/redeliver', (c) =>
  withSession(c, async (x) => {
    const id = c.req.param('id') ?? '';
    try {
      await redeliverEvent(gatewayDeps(c.env, c.executionCtx, x.config), id);
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
