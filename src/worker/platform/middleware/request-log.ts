// One structured JSON log line per request: id, route, out_trade_no, outcome, latency. Nothing secret.
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { HonoEnv } from '../env';

export const requestLog = (): MiddlewareHandler<HonoEnv> => async (c, next) => {
  const started = performance.now();
  await next();
  const status = c.res.status;
  console.log(
    JSON.stringify({
      requestId: c.get('requestId'),
      method: c.req.method,
      // The route pattern, never the raw URL: query strings may carry a checkout token.
      route: routePath(c, -1),
      outTradeNo: c.get('outTradeNo'),
      status,
      outcome: c.get('outcome') ?? (status < 400 ? 'OK' : `HTTP_${status}`),
      latencyMs: Math.round((performance.now() - started) * 10) / 10,
    }),
  );
};
