// The merchant JSON API under /v1/orders (bearer auth) and the jsapi endpoint (checkout token or bearer).
import { zValidator } from '@hono/zod-validator';
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { checkoutUrl, verifyCheckoutToken } from '../checkout/checkout-token';
import { getConfig, type Config } from '../platform/config';
import { getOrder, listOrders, type OrderRow } from './orders-repo';
import { OUT_TRADE_NO } from '../../core';
import type { HonoEnv } from '../platform/env';
import { DomainError } from '../platform/errors';
import { methodNotAllowed } from '../platform/http-answers';
import { jsonBody } from '../platform/middleware/json-body';
import { merchantAuth, merchantBearer, UNAUTHORIZED_MESSAGE } from '../platform/middleware/merchant-auth';
import { configured } from '../platform/middleware/require-config';
import { cursorKey, keysetPage, pageLimit } from '../platform/paging';
import { validationHook } from '../platform/validation';
import { readOauthSession } from '../checkout/http/buyer-session';
import { closeOrderFlow } from './close';
import { createOrder } from './create';
import { jsapiParams } from './prepay';
import { CreateOrderBody, GetOrderQuery, JsapiBody, ListOrdersQuery } from './schemas';
import { syncDue, syncOrder } from './sync';
import { orderView } from './view';

type C = Context<HonoEnv>;

// An IPv4 or IPv6 literal; anything else (absent in local dev) falls back to loopback.
const IP_LITERAL = /^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]{2,45})$/;

export function clientIp(c: C): string {
  const ip = c.req.header('CF-Connecting-IP');
  return ip && IP_LITERAL.test(ip) ? ip : '127.0.0.1';
}

export function outTradeNoParam(c: C): string {
  const value = c.req.param('out_trade_no') ?? '';
  if (!OUT_TRADE_NO.test(value)) throw new DomainError('INVALID_OUT_TRADE_NO', 'out_trade_no must be 6–32 of [A-Za-z0-9_-|*]');
  c.set('outTradeNo', value);
  return value;
}

async function view(config: Config, row: OrderRow) {
  return orderView(row, await checkoutUrl(config.publicBaseUrl, config.checkoutSecret, row.out_trade_no));
}

/** The (created_at, out_trade_no) key a cursor of the list carries. */
function orderKey([createdAt, outTradeNo]: readonly unknown[]): { createdAt: string; outTradeNo: string } | null {
  if (typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) && typeof outTradeNo === 'string' && OUT_TRADE_NO.test(outTradeNo)) {
    return { createdAt, outTradeNo };
  }
  return null;
}

export const orders = new Hono<HonoEnv>();

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

orders.post('/', merchantAuth, jsonBody(), zValidator('json', CreateOrderBody, validationHook), async (c) => {
  const { config, deps } = c.var;
  const { created, row } = await createOrder(deps, c.req.valid('json'));
  c.set('outTradeNo', row.out_trade_no);
  c.set('outcome', created ? 'CREATED' : 'IDEMPOTENT_REPLAY');
  return c.json(await view(config, row), created ? 201 : 200);
});

orders.get('/', merchantAuth, zValidator('query', ListOrdersQuery, validationHook), async (c) => {
  const { config } = c.var;
  const q = c.req.valid('query');
  const limit = pageLimit(q.limit);
  const rows = await listOrders(c.env.DB, {
    status: q.status,
    createdFrom: q.created_from && new Date(q.created_from).toISOString(),
    createdTo: q.created_to && new Date(q.created_to).toISOString(),
    after: cursorKey(q.cursor, orderKey),
    limit,
  });
  const page = keysetPage(rows, limit, (last) => [last.created_at, last.out_trade_no]);
  const data = await Promise.all(page.items.map((r) => view(config, r)));
  return c.json({ data, next_cursor: page.nextCursor });
});

orders.get('/:out_trade_no', merchantAuth, zValidator('query', GetOrderQuery, validationHook), async (c) => {
  const { config, deps } = c.var;
  const outTradeNo = outTradeNoParam(c);
  let row = await getOrder(c.env.DB, outTradeNo);
  if (!row) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
  const forced = c.req.valid('query').sync === 'true';
  // HEAD has no side effects (§8.4): only a GET may spend an orderquery.
  if (c.req.method === 'GET' && syncDue(row, deps.now(), forced)) {
    c.set('outcome', await syncOrder(deps, row, forced));
    row = (await getOrder(c.env.DB, outTradeNo)) ?? row;
  }
  return c.json(await view(config, row));
});

orders.post('/:out_trade_no/close', merchantAuth, async (c) => {
  const { config, deps } = c.var;
  const outTradeNo = outTradeNoParam(c);
  const row = await getOrder(c.env.DB, outTradeNo);
  if (!row) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
  await closeOrderFlow(deps, row);
  return c.json(await view(config, (await getOrder(c.env.DB, outTradeNo)) ?? row));
});

orders.post('/:out_trade_no/jsapi', jsonBody({ optional: true }), zValidator('json', JsapiBody, validationHook), async (c) => {
  const { config, deps } = c.var;
  const outTradeNo = outTradeNoParam(c);
  const bearer = await merchantBearer(c, config);
  if (bearer === 'invalid') throw new DomainError('UNAUTHORIZED', UNAUTHORIZED_MESSAGE);
  if (bearer === 'absent') {
    const token = c.req.header('X-Checkout-Token') ?? c.req.valid('json').checkout_token;
    if (!token) throw new DomainError('UNAUTHORIZED', 'send the checkout token (X-Checkout-Token) or the merchant bearer token');
    // A wrong token looks exactly like a missing order: order numbers cannot be probed.
    if (!(await verifyCheckoutToken(config.checkoutSecret, outTradeNo, token))) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
  }
  const row = await getOrder(c.env.DB, outTradeNo);
  if (!row) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
  const requester = { clientIp: clientIp(c), sessionOpenid: await readOauthSession(c, config.checkoutSecret, deps.now()) };
  const params = await jsapiParams(deps, requester, row);
  c.set('outcome', 'JSAPI_PARAMS');
  return c.json(params);
});

orders.all('/', methodNotAllowed);
orders.all('/:out_trade_no', methodNotAllowed);
orders.all('/:out_trade_no/close', methodNotAllowed);
orders.all('/:out_trade_no/jsapi', methodNotAllowed);
