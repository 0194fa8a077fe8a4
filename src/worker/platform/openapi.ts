// GET /openapi.json: the merchant API as OpenAPI 3.1, generated from the same zod schemas the routes validate with.
import { Hono } from 'hono';
import { z } from 'zod';
import { getConfig } from './config';
import type { HonoEnv } from './env';
import {
  ReconciliationBody,
  ReconciliationListQuery,
  ReconciliationListSchema,
  ReconciliationReportQuery,
  ReconciliationSchema,
} from '../reconciliation/schemas';
import { CreateOrderBody, ErrorSchema, GetOrderQuery, JsapiBody, JsapiParamsSchema, ListOrdersQuery, OrderListSchema, OrderSchema } from '../orders/schemas';
import { CreateRefundBody, RefundListSchema, RefundSchema } from '../refunds/schemas';
import { EventDetailSchema, EventListSchema, EventSchema, ListEventsQuery, RedeliverSchema } from '../webhooks/schemas';

type JsonSchema = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** zod → JSON Schema (2020-12, which OpenAPI 3.1 uses), without the top-level $schema/id. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _s, id: _id, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function queryParameters(schema: z.ZodObject): JsonSchema[] {
  const json = schemaOf(schema, 'input') as { properties: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties).map(([name, s]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    description: s.description,
    schema: s,
  }));
}

const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [String(code), { description: 'Error', content: { 'application/json': { schema: ref('Error') } } }]));
const json = (name: string, description: string) => ({ description, content: { 'application/json': { schema: ref(name) } } });

const outTradeNoParam = {
  name: 'out_trade_no',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_\\-|*]{6,32}$' },
};

const outRefundNoParam = {
  name: 'out_refund_no',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_\\-|*@]{1,64}$' },
};

const REFUND_DESCRIPTION = [
  'The amount is reserved against the order under its per-order lock before WeChat is called, so concurrent refunds never exceed the amount paid.',
  'Statuses: SUBMITTING → PROCESSING → SUCCESS | CHANGE | REFUNDCLOSE, or SUBMITTING → FAILED. Only FAILED (a definitive refusal such as NOTENOUGH) and REFUNDCLOSE release the amount;',
  'a timeout or SYSTEMERROR leaves SUBMITTING, retried with the same out_refund_no. The order becomes PARTIALLY_REFUNDED or REFUNDED as refunds succeed.',
  'Errors: 409 IDEMPOTENCY_CONFLICT (same out_refund_no, different request), ORDER_NOT_REFUNDABLE, REFUND_EXCEEDS_PAID (with refundable_fee), REFUND_LIMIT_REACHED (50 per order),',
  'REFUND_WINDOW_EXPIRED (one year after payment); 404 ORDER_NOT_FOUND; 503 REFUND_UNAVAILABLE (live mode without the WECHAT_MTLS certificate binding; nothing reserved).',
].join(' ');
const eventIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^evt_[A-Za-z0-9]{24}$' } };

export function buildOpenApi(serverUrl: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'wxpay-edge merchant API',
      version: '1',
      description: 'WeChat Pay v2 JSAPI orders. Amounts are integer fen. Errors: {"error":{"code","message","requestId"}}.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        merchantBearer: { type: 'http', scheme: 'bearer', description: 'MERCHANT_API_TOKEN' },
        checkoutToken: { type: 'apiKey', in: 'header', name: 'X-Checkout-Token', description: 'The t parameter of checkout_url' },
      },
      schemas: {
        CreateOrderRequest: schemaOf(CreateOrderBody, 'input'),
        JsapiRequest: schemaOf(JsapiBody, 'input'),
        Order: schemaOf(OrderSchema, 'output'),
        OrderList: {
          ...schemaOf(OrderListSchema, 'output'),
          properties: { data: { type: 'array', items: ref('Order') }, next_cursor: { type: ['string', 'null'] } },
        },
        JsapiParams: schemaOf(JsapiParamsSchema, 'output'),
        CreateRefundRequest: schemaOf(CreateRefundBody, 'input'),
        Refund: schemaOf(RefundSchema, 'output'),
        RefundList: { ...schemaOf(RefundListSchema, 'output'), properties: { data: { type: 'array', items: ref('Refund') } } },
        Error: schemaOf(ErrorSchema, 'output'),
        Event: { ...schemaOf(EventSchema, 'output') },
        EventDetail: schemaOf(EventDetailSchema, 'output'),
        EventList: { ...schemaOf(EventListSchema, 'output'), properties: { data: { type: 'array', items: ref('Event') }, has_more: { type: 'boolean' } } },
        RedeliverAccepted: schemaOf(RedeliverSchema, 'output'),
        ReconciliationRequest: schemaOf(ReconciliationBody, 'input'),
        Reconciliation: schemaOf(ReconciliationSchema, 'output'),
        ReconciliationList: schemaOf(ReconciliationListSchema, 'output'),
      },
    },
    security: [{ merchantBearer: [] }],
    paths: {
      '/v1/orders': {
        post: {
          summary: 'Create an order (idempotent on out_trade_no)',
          requestBody: { required: true, content: { 'application/json': { schema: ref('CreateOrderRequest') } } },
          responses: {
            '201': json('Order', 'Created'),
            '200': json('Order', 'The same request again: the existing order'),
            ...errors(400, 401, 409, 413, 415, 503),
          },
        },
        get: {
          summary: 'List orders, newest first, by cursor',
          parameters: queryParameters(ListOrdersQuery),
          responses: { '200': json('OrderList', 'A page of orders'), ...errors(400, 401, 503) },
        },
      },
      '/v1/orders/{out_trade_no}': {
        get: {
          summary: 'Get an order; an unpaid order silent for 60 s (or sync=true) is checked with WeChat first',
          parameters: [outTradeNoParam, ...queryParameters(GetOrderQuery)],
          responses: { '200': json('Order', 'The order'), ...errors(400, 401, 404, 503) },
        },
      },
      '/v1/orders/{out_trade_no}/close': {
        post: {
          summary: 'Close an unpaid order (not before 5 minutes after creation: 409 CLOSE_TOO_EARLY with retry_after)',
          parameters: [outTradeNoParam],
          responses: { '200': json('Order', 'The closed order'), ...errors(400, 401, 404, 409, 502, 503) },
        },
      },
      '/v1/orders/{out_trade_no}/refunds': {
        post: {
          summary: 'Refund all or part of a paid order (idempotent on out_refund_no)',
          description: REFUND_DESCRIPTION,
          parameters: [outTradeNoParam],
          requestBody: { required: true, content: { 'application/json': { schema: ref('CreateRefundRequest') } } },
          responses: {
            '201': json('Refund', 'Created: reserved and sent to WeChat (see status)'),
            '200': json('Refund', 'The same request again: the existing refund (a SUBMITTING one is sent again under the same out_refund_no)'),
            ...errors(400, 401, 404, 409, 413, 415, 503),
          },
        },
        get: {
          summary: "List an order's refunds, oldest first",
          parameters: [outTradeNoParam],
          responses: { '200': json('RefundList', 'The refunds'), ...errors(400, 401, 404, 503) },
        },
      },
      '/v1/refunds/{out_refund_no}': {
        get: {
          summary: 'Get a refund; a SUBMITTING or PROCESSING refund quiet for 60 s is checked with WeChat (refundquery) first',
          parameters: [outRefundNoParam],
          responses: { '200': json('Refund', 'The refund'), ...errors(400, 401, 404, 503) },
        },
      },
      '/v1/orders/{out_trade_no}/jsapi': {
        post: {
          summary: 'getBrandWCPayRequest parameters for the buyer (openid from the order or the OAuth session)',
          security: [{ checkoutToken: [] }, { merchantBearer: [] }],
          parameters: [outTradeNoParam],
          requestBody: { required: false, content: { 'application/json': { schema: ref('JsapiRequest') } } },
          responses: { '200': json('JsapiParams', 'Parameters for WeixinJSBridge'), ...errors(400, 401, 404, 409, 502, 503) },
        },
      },
      '/v1/events': {
        get: {
          summary: 'Webhook events, oldest first; pass the last id you have as `after` to continue (cursor pagination)',
          parameters: queryParameters(ListEventsQuery),
          responses: { '200': json('EventList', 'A page of events'), ...errors(400, 401, 503) },
        },
      },
      '/v1/events/{id}': {
        get: {
          summary: 'One event with every delivery attempt (time, HTTP status, latency, first 1 KiB of the answer)',
          parameters: [eventIdParam],
          responses: { '200': json('EventDetail', 'The event'), ...errors(401, 404, 503) },
        },
      },
      '/v1/events/{id}/redeliver': {
        post: {
          summary: 'Send the event again now, with the same id (webhook-id); a failed attempt is retried on the schedule again',
          parameters: [eventIdParam],
          responses: { '202': json('RedeliverAccepted', 'Queued for delivery'), ...errors(401, 404, 409, 503) },
        },
      },
      '/v1/reconciliations': {
        post: {
          summary: 'Reconcile a Beijing day (yesterday back to 3 months) against WeChat’s bill, or re-run it (rerun: true)',
          requestBody: { required: true, content: { 'application/json': { schema: ref('ReconciliationRequest') } } },
          responses: {
            '202': json('Reconciliation', 'Started (or under way): PENDING or RUNNING'),
            '200': json('Reconciliation', 'Already done: the report with the first page of its items (default size) and next_cursor'),
            ...errors(400, 401, 413, 415, 503),
          },
        },
        get: {
          summary: 'List reconciled days, newest first (at most 100)',
          parameters: queryParameters(ReconciliationListQuery),
          responses: { '200': json('ReconciliationList', 'Days without their items'), ...errors(400, 401, 503) },
        },
      },
      '/v1/reconciliations/{bill_date}': {
        get: {
          summary: 'A day’s report: status, both sides’ totals, item_counts, and one page of the differences found (cursor pagination)',
          parameters: [
            { name: 'bill_date', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9]{8}$' } },
            ...queryParameters(ReconciliationReportQuery),
          ],
          responses: { '200': json('Reconciliation', 'The report with a page of items and next_cursor'), ...errors(400, 401, 404, 503) },
        },
      },
    },
  };
}

export const openapi = new Hono<HonoEnv>().get('/openapi.json', (c) => {
  const parsed = getConfig(c.env);
  return c.json(buildOpenApi(parsed.ok ? parsed.config.publicBaseUrl : new URL(c.req.url).origin));
});
