// The merchant's webhook events under /v1/events (bearer auth, like /v1/orders): the feed, one event
// with its attempts, and redelivery.
import { zValidator } from '@hono/zod-validator';
import { Hono, type Context } from 'hono';
import type { HonoEnv } from '../platform/env';
import { DomainError } from '../platform/errors';
import { errorResponse, methodNotAllowed } from '../platform/http-answers';
import { merchantBearer } from '../platform/middleware/merchant-auth';
import { requireConfig } from '../platform/middleware/require-config';
import { eventDetail, listEventsPage, redeliverEvent } from './api';
import { ListEventsQuery } from './schemas';
import { gatewayDeps } from '../platform/wiring';

type C = Context<HonoEnv>;

async function merchantDeps(c: C) {
  const config = requireConfig(c);
  if ((await merchantBearer(c, config)) !== 'valid') throw new DomainError('UNAUTHORIZED', 'a valid merchant bearer token is required');
  return gatewayDeps(c.env, c.executionCtx, config);
}

/** Runs before the query is judged, so an unauthenticated caller learns nothing about the schema. */
const merchantOnly = async (c: C, next: () => Promise<void>) => {
  await merchantDeps(c);
  await next();
};

function hook(
  result: { success: boolean; error?: { issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string; code?: string; keys?: readonly string[] }> } },
  c: Context,
) {
  if (result.success) return;
  const detail = (result.error?.issues ?? [])
    .slice(0, 5)
    .map((i) =>
      i.code === 'unrecognized_keys' && i.keys?.length
        ? `query: unrecognized parameter ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`
        : `${i.path.map(String).join('.') || 'query'}: ${i.message}`,
    )
    .join('; ');
  return errorResponse(c as C, 'VALIDATION_FAILED', detail.slice(0, 400) || 'invalid request');
}

export const events = new Hono<HonoEnv>();

events.get('/', merchantOnly, zValidator('query', ListEventsQuery, hook), async (c) => {
  const q = c.req.valid('query');
  return c.json(await listEventsPage(await merchantDeps(c), { type: q.type, after: q.after, limit: q.limit ? Number(q.limit) : 20 }));
});

events.get('/:id', async (c) => {
  const deps = await merchantDeps(c);
  return c.json(await eventDetail(deps, c.req.param('id')));
});

events.post('/:id/redeliver', async (c) => {
  const deps = await merchantDeps(c);
  const answer = await redeliverEvent(deps, c.req.param('id'));
  c.set('outcome', 'REDELIVER_ACCEPTED');
  return c.json(answer, 202);
});

events.all('/', methodNotAllowed);
events.all('/:id', methodNotAllowed);
events.all('/:id/redeliver', methodNotAllowed);
