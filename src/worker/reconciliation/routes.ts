// The merchant's reconciliation API under /v1/reconciliations (bearer auth): start or re-run a day, read its report a page of items at a time, list days.
import { zValidator } from '@hono/zod-validator';
import { Hono, type Context } from 'hono';
import type { Config } from '../platform/config';
import type { HonoEnv } from '../platform/env';
import { DomainError } from '../platform/errors';
import { methodNotAllowed } from '../platform/http-answers';
import { jsonBody } from '../platform/middleware/json-body';
import { merchantBearer } from '../platform/middleware/merchant-auth';
import { requireConfig } from '../platform/middleware/require-config';
import { getReport, ITEMS_DEFAULT_LIMIT, listReports, readItemCursor, reportView, requestReconciliation } from './request';
import { ReconciliationBody, ReconciliationListQuery, ReconciliationReportQuery } from './schemas';
import { gatewayDeps, reconcilerKick } from '../platform/wiring';
import { hook } from '../orders/routes';

type C = Context<HonoEnv>;

async function merchantConfig(c: C): Promise<Config> {
  const config = requireConfig(c);
  if ((await merchantBearer(c, config)) !== 'valid') throw new DomainError('UNAUTHORIZED', 'a valid merchant bearer token is required');
  return config;
}

const merchantOnly = async (c: C, next: () => Promise<void>) => {
  await merchantConfig(c);
  await next();
};

function invalid(issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>, target: string): never {
  const detail = issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || target}: ${i.message}`)
    .join('; ');
  throw new DomainError('VALIDATION_FAILED', detail.slice(0, 400) || 'invalid request');
}

export const reconciliations = new Hono<HonoEnv>();

reconciliations.post('/', merchantOnly, jsonBody(), async (c) => {
  const config = await merchantConfig(c);
  const parsed = ReconciliationBody.safeParse(await c.req.json());
  if (!parsed.success) invalid(parsed.error.issues, 'body');
  const deps = gatewayDeps(c.env, c.executionCtx, config);
  const { started, run } = await requestReconciliation(deps, reconcilerKick(c.env), parsed.data.bill_date, parsed.data.rerun ?? false);
  c.set('outcome', started ? 'RECONCILIATION_STARTED' : `RECONCILIATION_${run.status}`);
  const done = run.status !== 'PENDING' && run.status !== 'RUNNING';
  return c.json(done ? await getReport(deps, run.bill_date) : reportView(run, null), done ? 200 : 202);
});

reconciliations.get('/', merchantOnly, async (c) => {
  const config = await merchantConfig(c);
  const parsed = ReconciliationListQuery.safeParse(c.req.query());
  if (!parsed.success) invalid(parsed.error.issues, 'query');
  return c.json(await listReports(gatewayDeps(c.env, c.executionCtx, config), parsed.data.from, parsed.data.to));
});

// Query checked as GET /v1/orders checks its own: the same limit range, messages and unknown-parameter refusal.
reconciliations.get('/:bill_date', merchantOnly, zValidator('query', ReconciliationReportQuery, hook), async (c) => {
  const config = await merchantConfig(c);
  const q = c.req.valid('query');
  const after = q.cursor === undefined ? null : readItemCursor(q.cursor);
  if (q.cursor !== undefined && !after) throw new DomainError('VALIDATION_FAILED', 'cursor: not a cursor from this API');
  const page = { limit: q.limit ? Number(q.limit) : ITEMS_DEFAULT_LIMIT, after };
  return c.json(await getReport(gatewayDeps(c.env, c.executionCtx, config), c.req.param('bill_date') ?? '', page));
});

reconciliations.all('/', methodNotAllowed);
reconciliations.all('/:bill_date', methodNotAllowed);
