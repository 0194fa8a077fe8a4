/**
 * The WeChat Pay v2 simulator as one Hono sub-app, mounted at /sandbox by the worker only in sandbox
 * mode. It imports the protocol core and its own Durable Objects; the gateway passes in the merchant.
 */
import { Hono } from 'hono';
import type { SandboxEnv } from './hono-env';
import { buyerPages } from './routes/buyer-pages';
import { merchantApi } from './routes/merchant-api';
import { oauth } from './routes/oauth';
import { paySheet } from './routes/pay-sheet';
import { sim } from './routes/sim';
import type { SimMerchantOf } from './settings';

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
  app.route('/sim', sim);
  return app;
}
