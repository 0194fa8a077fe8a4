// The refund API (bearer auth): POST/GET /v1/orders/:out_trade_no/refunds and GET /v1/refunds/:out_refund_no.
import { createRoute } from '@hono/zod-openapi';
import { apiRouter, errorAnswers, jsonAnswer, jsonRequest } from '../platform/api-doc';
import { methodNotAllowed } from '../platform/http-answers';
import { jsonBody } from '../platform/middleware/json-body';
import { merchantAuth } from '../platform/middleware/merchant-auth';
import { configured } from '../platform/middleware/require-config';
import { OutTradeNoParams } from '../orders';
import { createRefund } from './create';
import { getRefundView, listOrderRefunds } from './read';
import { CreateRefundBody, GetRefundQuery, OutRefundNoParams, RefundListSchema, RefundSchema } from './schemas';
import { refundView } from './view';

const REFUND_DESCRIPTION = [
  'The amount is reserved against the order under its per-order lock before WeChat is called, so concurrent refunds never exceed the amount paid.',
  'Statuses: SUBMITTING → PROCESSING → SUCCESS | CHANGE | REFUNDCLOSE, or SUBMITTING → FAILED. Only FAILED (a definitive refusal such as NOTENOUGH) and REFUNDCLOSE release the amount;',
  'a timeout or SYSTEMERROR leaves SUBMITTING, retried with the same out_refund_no. The order becomes PARTIALLY_REFUNDED or REFUNDED as refunds succeed.',
  'Errors: 409 IDEMPOTENCY_CONFLICT (same out_refund_no, different request), ORDER_NOT_REFUNDABLE, REFUND_EXCEEDS_PAID (with refundable_fee), REFUND_LIMIT_REACHED (50 per order),',
  'REFUND_WINDOW_EXPIRED (one year after payment); 404 ORDER_NOT_FOUND; 503 REFUND_UNAVAILABLE (live mode without the WECHAT_MTLS certificate binding; nothing reserved).',
].join(' ');

const createRefundRoute = createRoute({
  method: 'post',
  path: '/v1/orders/{out_trade_no}/refunds',
  summary: 'Refund all or part of a paid order (idempotent on out_refund_no)',
  description: REFUND_DESCRIPTION,
  middleware: [merchantAuth, jsonBody()],
  request: { params: OutTradeNoParams, body: jsonRequest(CreateRefundBody) },
  responses: {
    201: jsonAnswer(RefundSchema, 'Created: reserved and sent to WeChat (see status)'),
    200: jsonAnswer(RefundSchema, 'The same request again: the existing refund (a SUBMITTING one is sent again under the same out_refund_no)'),
    ...errorAnswers(400, 401, 404, 409, 413, 415, 503),
  },
});

const listRefundsRoute = createRoute({
  method: 'get',
  path: '/v1/orders/{out_trade_no}/refunds',
  summary: "List an order's refunds, oldest first",
  middleware: [merchantAuth],
  request: { params: OutTradeNoParams, query: GetRefundQuery },
  responses: { 200: jsonAnswer(RefundListSchema, 'The refunds'), ...errorAnswers(400, 401, 404, 503) },
});

const getRefundRoute = createRoute({
  method: 'get',
  path: '/v1/refunds/{out_refund_no}',
  summary: 'Get a refund; a SUBMITTING or PROCESSING refund quiet for 60 s is checked with WeChat (refundquery) first',
  middleware: [merchantAuth],
  request: { params: OutRefundNoParams, query: GetRefundQuery },
  responses: { 200: jsonAnswer(RefundSchema, 'The refund'), ...errorAnswers(400, 401, 404, 503) },
});

export const refunds = apiRouter();

// Fail closed before anything else is judged (docs/reliability.md I12).
refunds.use('/v1/orders/:out_trade_no/refunds', configured());
refunds.use('/v1/refunds/*', configured());

refunds.openapi(createRefundRoute, async (c) => {
  const { out_trade_no } = c.req.valid('param');
  c.set('outTradeNo', out_trade_no);
  const { created, refund } = await createRefund(c.var.deps, out_trade_no, c.req.valid('json'));
  c.set('outcome', created ? `REFUND_CREATED:${refund.status}` : `REFUND_REPLAY:${refund.status}`);
  return c.json(refundView(refund), created ? 201 : 200);
});

refunds.openapi(listRefundsRoute, async (c) => {
  const { out_trade_no } = c.req.valid('param');
  c.set('outTradeNo', out_trade_no);
  const rows = await listOrderRefunds(c.var.deps, out_trade_no);
  return c.json({ data: rows.map(refundView) }, 200);
});

refunds.openapi(getRefundRoute, async (c) => {
  // HEAD has no side effects (§8.4): only a GET may spend a refundquery.
  const row = await getRefundView(c.var.deps, c.req.valid('param').out_refund_no, c.req.method === 'GET');
  c.set('outTradeNo', row.out_trade_no);
  return c.json(refundView(row), 200);
});

refunds.all('/v1/orders/:out_trade_no/refunds', methodNotAllowed);
refunds.all('/v1/refunds/:out_refund_no', methodNotAllowed);
