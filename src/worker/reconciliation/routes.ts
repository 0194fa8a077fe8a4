// The merchant's reconciliation API under /v1/reconciliations (bearer auth): start or re-run a day, read its report a page of items at a time, list days.
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { HonoEnv } from '../platform/env';
import { methodNotAllowed } from '../platform/http-answers';
import { jsonBody } from '../platform/middleware/json-body';
import { merchantAuth } from '../platform/middleware/merchant-auth';
import { getReport, itemKey, listReports, reportView, requestReconciliation } from './request';
import { ReconciliationBody, ReconciliationListQuery, ReconciliationReportQuery } from './schemas';
import { reconcilerKick } from '../platform/wiring';
import { cursorKey, pageLimit } from '../platform/paging';
import { validationHook } from '../platform/validation';

export const reconciliations = new Hono<HonoEnv>();

reconciliations.post('/', merchantAuth, jsonBody(), zValidator('json', ReconciliationBody, validationHook), async (c) => {
  const body = c.req.valid('json');
  const { deps } = c.var;
  const { started, run } = await requestReconciliation(deps, reconcilerKick(c.env), body.bill_date, body.rerun ?? false);
  c.set('outcome', started ? 'RECONCILIATION_STARTED' : `RECONCILIATION_${run.status}`);
  const done = run.status !== 'PENDING' && run.status !== 'RUNNING';
  return c.json(done ? await getReport(deps, run.bill_date) : reportView(run, null), done ? 200 : 202);
});

reconciliations.get('/', merchantAuth, zValidator('query', ReconciliationListQuery, validationHook), async (c) => {
  const q = c.req.valid('query');
  return c.json(await listReports(c.var.deps, q.from, q.to));
});

// Query checked as GET /v1/orders checks its own: the same limit range, messages and unknown-parameter refusal.
reconciliations.get('/:bill_date', merchantAuth, zValidator('query', ReconciliationReportQuery, validationHook), async (c) => {
  const q = c.req.valid('query');
  const page = { limit: pageLimit(q.limit), after: cursorKey(q.cursor, itemKey) ?? null };
  return c.json(await getReport(c.var.deps, c.req.param('bill_date') ?? '', page));
});

reconciliations.all('/', methodNotAllowed);
reconciliations.all('/:bill_date', methodNotAllowed);
