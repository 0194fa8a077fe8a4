// The merchant JSON API under /v1/orders (bearer auth) and the jsapi endpoint (checkout token or bearer).
import { createRoute } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { checkoutUrl, verifyCheckoutToken } from '../platform/checkout-link';
import { readOauthSession } from '../platform/buyer-session';
import { clientIp } from '../platform/client-ip';
import { apiRouter, CHECKOUT_OR_MERCHANT, errorAnswers, jsonAnswer, jsonRequest } from '../platform/api-doc';
import { getConfig, type Config } from '../platform/config';
import { DomainError } from '../platform/errors';
import { methodNotAllowed } from '../platform/http-answers';
import { jsonBody } from '../platform/middleware/json-body';
import { merchantAuth, merchantBearer, UNAUTHORIZED_MESSAGE } from '../platform/middleware/merchant-auth';
import { configured } from '../platform/middleware/require-config';
import { pageLimit } from '../platform/paging';
import { closeOrderByNo, createPayment, listOrdersPage, miniProgramOpenid, orderPayments, payParams, readOrder } from './api';
import { createOrder } from './create';
import type { OrderRow } from './orders-repo';
import {
  CreateOrderBody,
  CreatePaymentBody,
  GetOrderQuery,
  JsapiBody,
  JsapiParamsSchema,
  ListOrdersQuery,
  MiniProgramSessionBody,
  MiniProgramSessionSchema,
  OrderListSchema,
  OrderSchema,
  OutTradeNoParams,
  PaymentListSchema,
  PaymentSchema,
} from './schemas';
import { orderView, paymentView } from './view';

async function view(config: Config, row: OrderRow) {
  return orderView(row, await checkoutUrl(config.publicBaseUrl, config.checkoutSecret, row.out_trade_no));
}

const createRouteDef = createRoute({
  method: 'post',
  path: '/',
  summary: 'Create an order (idempotent on out_trade_no)',
  middleware: [merchantAuth, jsonBody()],
  request: { body: jsonRequest(CreateOrderBody) },
  responses: {
    201: jsonAnswer(OrderSchema, 'Created'),
    200: jsonAnswer(OrderSchema, 'The same request again: the existing order'),
    ...errorAnswers(400, 401, 409, 413, 415, 503),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'List orders, newest first, by cursor',
  middleware: [merchantAuth],
  request: { query: ListOrdersQuery },
  responses: { 200: jsonAnswer(OrderListSchema, 'A page of orders'), ...errorAnswers(400, 401, 503) },
});

const getRoute = createRoute({
  method: 'get',
  path: '/{out_trade_no}',
  summary: 'Get an order; an unpaid order silent for 60 s (or sync=true) is checked with WeChat first',
  middleware: [merchantAuth],
  request: { params: OutTradeNoParams, query: GetOrderQuery },
  responses: { 200: jsonAnswer(OrderSchema, 'The order'), ...errorAnswers(400, 401, 404, 503) },
});

const closeRoute = createRoute({
  method: 'post',
  path: '/{out_trade_no}/close',
  summary: 'Close an unpaid order (not before 5 minutes after creation: 409 CLOSE_TOO_EARLY with retry_after)',
  middleware: [merchantAuth],
  request: { params: OutTradeNoParams },
  responses: { 200: jsonAnswer(OrderSchema, 'The closed order'), ...errorAnswers(400, 401, 404, 409, 502, 503) },
});

const jsapiRoute = createRoute({
  method: 'post',
  path: '/{out_trade_no}/jsapi',
  summary: 'getBrandWCPayRequest parameters for the buyer (openid from the order or the OAuth session)',
  security: CHECKOUT_OR_MERCHANT,
  middleware: [jsonBody({ optional: true })],
  request: { params: OutTradeNoParams, body: jsonRequest(JsapiBody, false) },
  responses: { 200: jsonAnswer(JsapiParamsSchema, 'Parameters for WeixinJSBridge'), ...errorAnswers(400, 401, 404, 409, 502, 503) },
});

const createPaymentRoute = createRoute({
  method: 'post',
  path: '/{out_trade_no}/payments',
  summary: 'Start a payment attempt of a trade type (an unexpired one for the same trade type and buyer is given again: 200)',
  middleware: [merchantAuth, jsonBody()],
  request: { params: OutTradeNoParams, body: jsonRequest(CreatePaymentBody) },
  responses: {
    201: jsonAnswer(PaymentSchema, 'A new attempt'),
    200: jsonAnswer(PaymentSchema, 'The unexpired attempt of this trade type and buyer, with fresh pay params'),
    ...errorAnswers(400, 401, 404, 409, 413, 415, 502, 503),
  },
});

const listPaymentsRoute = createRoute({
  method: 'get',
  path: '/{out_trade_no}/payments',
  summary: "The order's payment attempts, newest first",
  middleware: [merchantAuth],
  request: { params: OutTradeNoParams },
  responses: { 200: jsonAnswer(PaymentListSchema, 'The attempts'), ...errorAnswers(400, 401, 404, 503) },
});

export const orders = apiRouter();

// Merchant H5 pages on their own origin may call jsapi; nothing else is cross-origin.
orders.use(
  '/:out_trade_no/jsapi',
  cors({
    origin: (origin, c) => {
      const result = getConfig(c.env);
      return result.ok && result.config.merchantOrigins.includes(origin) ? origin : null;
    },
    allowMethods: ['POST'],
    allowHeaders: ['Content-Type', 'Authorization', 'X-Checkout-Token'],
    maxAge: 600,
  }),
);

// Fail closed before anything else is judged (docs/reliability.md I12).
orders.use('*', configured());

orders.openapi(createRouteDef, async (c) => {
  const { created, row } = await createOrder(c.var.deps, c.req.valid('json'));
  c.set('outTradeNo', row.out_trade_no);
  c.set('outcome', created ? 'CREATED' : 'IDEMPOTENT_REPLAY');
  return c.json(await view(c.var.config, row), created ? 201 : 200);
});

orders.openapi(listRoute, async (c) => {
  const q = c.req.valid('query');
  const page = await listOrdersPage(c.var.deps, {
    status: q.status,
    createdFrom: q.created_from,
    createdTo: q.created_to,
    cursor: q.cursor,
    limit: pageLimit(q.limit),
  });
  const data = await Promise.all(page.items.map((r) => view(c.var.config, r)));
  return c.json({ data, next_cursor: page.nextCursor }, 200);
});

orders.openapi(getRoute, async (c) => {
  const { out_trade_no } = c.req.valid('param');
  c.set('outTradeNo', out_trade_no);
  // HEAD has no side effects (§8.4): only a GET may spend an orderquery.
  const { row, outcome, archived } = await readOrder(c.var.deps, out_trade_no, {
    sync: c.req.valid('query').sync === 'true',
    readOnly: c.req.method !== 'GET',
  });
  if (outcome) c.set('outcome', outcome);
  return c.json({ ...(await view(c.var.config, row)), ...(archived ? { archived } : {}) }, 200);
});

orders.openapi(closeRoute, async (c) => {
  const { out_trade_no } = c.req.valid('param');
  c.set('outTradeNo', out_trade_no);
  return c.json(await view(c.var.config, await closeOrderByNo(c.var.deps, out_trade_no)), 200);
});

orders.openapi(jsapiRoute, async (c) => {
  const { out_trade_no } = c.req.valid('param');
  c.set('outTradeNo', out_trade_no);
  const { config, deps } = c.var;
  const bearer = await merchantBearer(c, config);
  if (bearer === 'invalid') throw new DomainError('UNAUTHORIZED', UNAUTHORIZED_MESSAGE);
  if (bearer === 'absent') {
    const token = c.req.header('X-Checkout-Token') ?? c.req.valid('json').checkout_token;
    if (!token) throw new DomainError('UNAUTHORIZED', 'send the checkout token (X-Checkout-Token) or the merchant bearer token');
    // A wrong token looks exactly like a missing order: order numbers cannot be probed.
    if (!(await verifyCheckoutToken(config.checkoutSecret, out_trade_no, token))) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
  }
  const requester = { clientIp: clientIp(c), sessionOpenid: await readOauthSession(c, config.checkoutSecret, deps.now()) };
  const params = await payParams(deps, out_trade_no, requester);
  c.set('outcome', 'JSAPI_PARAMS');
  return c.json(params, 200);
});

orders.openapi(createPaymentRoute, async (c) => {
  const { out_trade_no } = c.req.valid('param');
  c.set('outTradeNo', out_trade_no);
  const body = c.req.valid('json');
  // The merchant's server calls: the buyer's IP is what it sends, never the server's own address.
  const requester = { clientIp: body.client_ip ?? clientIp(c), clientIpIsBuyers: body.client_ip !== undefined, sessionOpenid: null };
  const { created, attempt, pay } = await createPayment(c.var.deps, out_trade_no, requester, { tradeType: body.trade_type, openid: body.openid });
  c.set('outcome', created ? `PAYMENT_${attempt.trade_type}` : 'PAYMENT_AGAIN');
  return c.json(paymentView(attempt, pay), created ? 201 : 200);
});

orders.openapi(listPaymentsRoute, async (c) => {
  const { out_trade_no } = c.req.valid('param');
  c.set('outTradeNo', out_trade_no);
  const data = (await orderPayments(c.var.deps, out_trade_no)).map(({ attempt, pay }) => paymentView(attempt, pay));
  return c.json({ data }, 200);
});

orders.all('/', methodNotAllowed);
orders.all('/:out_trade_no/payments', methodNotAllowed);
orders.all('/:out_trade_no', methodNotAllowed);
orders.all('/:out_trade_no/close', methodNotAllowed);
orders.all('/:out_trade_no/jsapi', methodNotAllowed);

const miniProgramSessionRoute = createRoute({
  method: 'post',
  path: '/session',
  summary: "A mini-program buyer's openid from wx.login()'s code (jscode2session; the session_key stays server side)",
  middleware: [merchantAuth, jsonBody()],
  request: { body: jsonRequest(MiniProgramSessionBody) },
  responses: { 200: jsonAnswer(MiniProgramSessionSchema, 'The openid'), ...errorAnswers(400, 401, 409, 413, 415, 502, 503) },
});

/** /v1/miniprogram: the mini-program's login, for MINIPROGRAM payment attempts. */
export const miniprogram = apiRouter();
miniprogram.use('*', configured());
miniprogram.openapi(miniProgramSessionRoute, async (c) => {
  const openid = await miniProgramOpenid(c.var.deps, c.req.valid('json').js_code);
  c.set('outcome', 'MINIPROGRAM_SESSION');
  return c.json({ openid }, 200);
});
miniprogram.all('/session', methodNotAllowed);
