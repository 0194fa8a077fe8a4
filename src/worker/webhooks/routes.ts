// The merchant's webhook events under /v1/events (bearer auth, like /v1/orders): the feed, one event
// with its attempts, and redelivery.
import { createRoute } from '@hono/zod-openapi';
import { apiRouter, errorAnswers, jsonAnswer } from '../platform/api-doc';
import { methodNotAllowed } from '../platform/http-answers';
import { merchantAuth } from '../platform/middleware/merchant-auth';
import { pageLimit } from '../platform/paging';
import { OutTradeNoParams } from '../orders';
import { eventDetail, listEventsPage, redeliverEvent } from './api';
import { orderEvents } from './order-events';
import { EventDetailSchema, EventIdParams, EventListSchema, ListEventsQuery, OrderEventsSchema, RedeliverSchema } from './schemas';

const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'Webhook events, oldest first; pass the last id you have as `after` to continue (cursor pagination)',
  middleware: [merchantAuth],
  request: { query: ListEventsQuery },
  responses: { 200: jsonAnswer(EventListSchema, 'A page of events'), ...errorAnswers(400, 401, 503) },
});

const getRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'One event with every delivery attempt (time, HTTP status, latency, first 1 KiB of the answer)',
  middleware: [merchantAuth],
  request: { params: EventIdParams },
  responses: { 200: jsonAnswer(EventDetailSchema, 'The event'), ...errorAnswers(401, 404, 503) },
});

const redeliverRoute = createRoute({
  method: 'post',
  path: '/{id}/redeliver',
  summary: 'Send the event again now, with the same id (webhook-id); a failed attempt is retried on the schedule again',
  middleware: [merchantAuth],
  request: { params: EventIdParams },
  responses: { 202: jsonAnswer(RedeliverSchema, 'Queued for delivery'), ...errorAnswers(401, 404, 409, 503) },
});

export const events = apiRouter();

events.openapi(listRoute, async (c) => {
  const q = c.req.valid('query');
  return c.json(await listEventsPage(c.var.deps, { type: q.type, after: q.after, limit: pageLimit(q.limit) }), 200);
});

events.openapi(getRoute, async (c) => c.json(await eventDetail(c.var.deps, c.req.valid('param').id), 200));

events.openapi(redeliverRoute, async (c) => {
  const answer = await redeliverEvent(c.var.deps, c.req.valid('param').id);
  c.set('outcome', 'REDELIVER_ACCEPTED');
  return c.json(answer, 202);
});

events.all('/', methodNotAllowed);
events.all('/:id', methodNotAllowed);
events.all('/:id/redeliver', methodNotAllowed);

const orderEventsRoute = createRoute({
  method: 'get',
  path: '/v1/orders/{out_trade_no}/events',
  summary: "The order's webhook events, oldest first, each with its delivery attempts; also of an order whose history or whole self is in the archive",
  middleware: [merchantAuth],
  request: { params: OutTradeNoParams },
  responses: { 200: jsonAnswer(OrderEventsSchema, 'The events'), ...errorAnswers(400, 401, 404, 503) },
});

/** Mounted at the root, beside /v1/orders (its path names the order). */
export const orderEventsRouter = apiRouter();

orderEventsRouter.openapi(orderEventsRoute, async (c) => {
  const { out_trade_no } = c.req.valid('param');
  c.set('outTradeNo', out_trade_no);
  return c.json(await orderEvents(c.var.deps, out_trade_no), 200);
});
