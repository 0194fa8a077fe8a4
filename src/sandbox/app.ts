/**
 * The WeChat Pay simulator (API v2, and API v3 under /v3) as one Hono sub-app, mounted at /sandbox by
 * the worker only in sandbox mode. It imports the protocol core and its own Durable Objects; the gateway passes in the merchant.
 */
import { Hono } from 'hono';
import type { SandboxEnv } from './hono-env';
import { buyerPages } from './routes/buyer-pages';
import { merchantApi } from './routes/merchant-api';
import { oauth } from './routes/oauth';
import { paySheet } from './routes/pay-sheet';
import { sim } from './routes/sim';
import type { SimMerchantOf } from './settings';
import { v3Api } from './v3/routes';
import { simV3 } from './v3/sim';

export function createSandboxApp(merchantOf: SimMerchantOf) {
  const app = new Hono<SandboxEnv>();
  app.use('*', async (c, next) => {
    const m = merchantOf(c.env);
    if (!m) return c.text('sandbox merchant is not configured', 500);
    c.set('merchant', m);
    await next();
  });
  app.route('/', merchantApi);
  app.route('/', oauth);
  app.route('/', paySheet);
  app.route('/', buyerPages);
  app.route('/sim/v3', simV3);
  app.route('/sim', sim);
  app.route('/v3', v3Api);
  return app;
}
