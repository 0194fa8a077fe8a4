// The merchant's reconciliation API under /v1/reconciliations (bearer auth): start or re-run a day, read its report a page of items at a time, list days.
import { createRoute } from '@hono/zod-openapi';
import { apiRouter, errorAnswers, jsonAnswer, jsonRequest } from '../platform/api-doc';
import { methodNotAllowed } from '../platform/http-answers';
import { jsonBody } from '../platform/middleware/json-body';
import { merchantAuth } from '../platform/middleware/merchant-auth';
import { cursorKey, pageLimit } from '../platform/paging';
import { getReport, itemKey, listReports, reportView, requestReconciliation, kickOf } from './request';
import {
  BillDateParams,
  ReconciliationBody,
  ReconciliationListQuery,
  ReconciliationListSchema,
  ReconciliationReportQuery,
  ReconciliationSchema,
} from './schemas';

const startRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Reconcile a Beijing day (yesterday back to 3 months) against WeChat’s bill, or re-run it (rerun: true)',
  middleware: [merchantAuth, jsonBody()],
  request: { body: jsonRequest(ReconciliationBody) },
  responses: {
    202: jsonAnswer(ReconciliationSchema, 'Started (or under way): PENDING or RUNNING'),
    200: jsonAnswer(ReconciliationSchema, 'Already done: the report with the first page of its items (default size) and next_cursor'),
    ...errorAnswers(400, 401, 413, 415, 503),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'List reconciled days, newest first (at most 100)',
  middleware: [merchantAuth],
  request: { query: ReconciliationListQuery },
  responses: { 200: jsonAnswer(ReconciliationListSchema, 'Days without their items'), ...errorAnswers(400, 401, 503) },
});

// Query checked as GET /v1/orders checks its own: the same limit range, messages and unknown-parameter refusal.
const reportRoute = createRoute({
  method: 'get',
  path: '/{bill_date}',
  summary: 'A day’s report: status, both sides’ totals, item_counts, and one page of the differences found (cursor pagination)',
  middleware: [merchantAuth],
  request: { params: BillDateParams, query: ReconciliationReportQuery },
  responses: { 200: jsonAnswer(ReconciliationSchema, 'The report with a page of items and next_cursor'), ...errorAnswers(400, 401, 404, 503) },
});

export const reconciliations = apiRouter();

reconciliations.openapi(startRoute, async (c) => {
  const body = c.req.valid('json');
  const { deps } = c.var;
  const { started, run } = await requestReconciliation(deps, kickOf(c.var.deps), body.bill_date, body.rerun ?? false);
  c.set('outcome', started ? 'RECONCILIATION_STARTED' : `RECONCILIATION_${run.status}`);
  const done = run.status !== 'PENDING' && run.status !== 'RUNNING';
  return done ? c.json(await getReport(deps, run.bill_date), 200) : c.json(reportView(run, null), 202);
});

reconciliations.openapi(listRoute, async (c) => {
  const q = c.req.valid('query');
  return c.json(await listReports(c.var.deps, q.from, q.to), 200);
});

reconciliations.openapi(reportRoute, async (c) => {
  const q = c.req.valid('query');
  const page = { limit: pageLimit(q.limit), after: cursorKey(q.cursor, itemKey) ?? null };
  return c.json(await getReport(c.var.deps, c.req.valid('param').bill_date, page), 200);
});

reconciliations.all('/', methodNotAllowed);
reconciliations.all('/:bill_date', methodNotAllowed);
