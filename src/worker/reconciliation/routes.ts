// The merchant's reconciliation API under /v1/reconciliations (bearer auth): start or re-run a day, read its report a page of items at a time, list days.
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { HonoEnv } from '../platform/env';
import { DomainError } from '../platform/errors';
import { methodNotAllowed } from '../platform/http-answers';
import { jsonBody } from '../platform/middleware/json-body';
import { merchantAuth } from '../platform/middleware/merchant-auth';
import { getReport, ITEMS_DEFAULT_LIMIT, listReports, readItemCursor, reportView, requestReconciliation } from './request';
import { ReconciliationBody, ReconciliationListQuery, ReconciliationReportQuery } from './schemas';
import { reconcilerKick } from '../platform/wiring';
import { hook } from '../orders/routes';

function invalid(issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>, target: string): never {
  const detail = issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || target}: ${i.message}`)
    .join('; ');
  throw new DomainError('VALIDATION_FAILED', detail.slice(0, 400) || 'invalid request');
}

export const reconciliations = new Hono<HonoEnv>();

reconciliations.post('/', merchantAuth, jsonBody(), async (c) => {
  const parsed = ReconciliationBody.safeParse(await c.req.json());
  if (!parsed.success) invalid(parsed.error.issues, 'body');
  const { deps } = c.var;
  const { started, run } = await requestReconciliation(deps, reconcilerKick(c.env), parsed.data.bill_date, parsed.data.rerun ?? false);
  c.set('outcome', started ? 'RECONCILIATION_STARTED' : `RECONCILIATION_${run.status}`);
  const done = run.status !== 'PENDING' && run.status !== 'RUNNING';
  return c.json(done ? await getReport(deps, run.bill_date) : reportView(run, null), done ? 200 : 202);
});

reconciliations.get('/', merchantAuth, async (c) => {
  const parsed = ReconciliationListQuery.safeParse(c.req.query());
  if (!parsed.success) invalid(parsed.error.issues, 'query');
  return c.json(await listReports(c.var.deps, parsed.data.from, parsed.data.to));
});

// Query checked as GET /v1/orders checks its own: the same limit range, messages and unknown-parameter refusal.
reconciliations.get('/:bill_date', merchantAuth, zValidator('query', ReconciliationReportQuery, hook), async (c) => {
  const q = c.req.valid('query');
  const after = q.cursor === undefined ? null : readItemCursor(q.cursor);
  if (q.cursor !== undefined && !after) throw new DomainError('VALIDATION_FAILED', 'cursor: not a cursor from this API');
  const page = { limit: q.limit ? Number(q.limit) : ITEMS_DEFAULT_LIMIT, after };
  return c.json(await getReport(c.var.deps, c.req.param('bill_date') ?? '', page));
});

reconciliations.all('/', methodNotAllowed);
reconciliations.all('/:bill_date', methodNotAllowed);
