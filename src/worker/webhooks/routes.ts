// The merchant's webhook events under /v1/events (bearer auth, like /v1/orders): the feed, one event
// with its attempts, and redelivery.
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { HonoEnv } from '../platform/env';
import { methodNotAllowed } from '../platform/http-answers';
import { merchantAuth } from '../platform/middleware/merchant-auth';
import { pageLimit } from '../platform/paging';
import { validationHook } from '../platform/validation';
import { eventDetail, listEventsPage, redeliverEvent } from './api';
import { ListEventsQuery } from './schemas';

export const events = new Hono<HonoEnv>();

events.get('/', merchantAuth, zValidator('query', ListEventsQuery, validationHook), async (c) => {
  const q = c.req.valid('query');
  return c.json(await listEventsPage(c.var.deps, { type: q.type, after: q.after, limit: pageLimit(q.limit) }));
});

events.get('/:id', merchantAuth, async (c) => c.json(await eventDetail(c.var.deps, c.req.param('id'))));

events.post('/:id/redeliver', merchantAuth, async (c) => {
  const answer = await redeliverEvent(c.var.deps, c.req.param('id'));
  c.set('outcome', 'REDELIVER_ACCEPTED');
  return c.json(answer, 202);
});

events.all('/', methodNotAllowed);
events.all('/:id', methodNotAllowed);
events.all('/:id/redeliver', methodNotAllowed);
