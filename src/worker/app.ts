import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { HonoEnv } from './env';
import { createSandboxApp } from '../sandbox/app';
import type { SimMerchant } from '../sandbox/settings';
import { getConfig } from './config';
import { noStore } from './middleware/no-store';
import { requestId } from './middleware/request-id';
import { requestLog } from './middleware/request-log';
import { requestConfig } from './middleware/require-config';
import { notFound, onError } from './on-error';
import { admin } from './routes/admin';
import { checkout } from './routes/checkout';
import { events } from './routes/events';
import { health } from './routes/health';
import { notifyRoutes } from './routes/notify';
import { openapi } from './routes/openapi';
import { orders } from './routes/orders';
import { refunds } from './routes/refunds';
import { reconciliations } from './routes/reconciliations';

/** The simulator's one merchant: the gateway's own credentials, so `npm run dev` needs no configuration. */
function sandboxMerchant(env: Env): SimMerchant | null {
  const parsed = getConfig(env);
  if (!parsed.ok) return null;
  const c = parsed.config;
  return {
    appId: c.appId,
    mchId: c.mchId,
    key: c.apiKey,
    appSecret: c.appSecret,
    signType: c.signType,
    publicOrigin: new URL(c.publicBaseUrl).origin,
    name: c.merchantName,
  };
}

export interface AppOptions {
  /** The notify routes' internal deadline (production: NOTIFY_DEADLINE_MS); tests inject their own. */
  notifyDeadlineMs?: number;
}

export function createApp(options: AppOptions = {}) {
  const app = new Hono<HonoEnv>();
  app.use('*', requestId(), requestLog());
  app.use('*', noStore());
  app.onError(onError);
  app.notFound(notFound);
  app.route('/', health);
  app.route('/', openapi);
  app.route('/', notifyRoutes({ deadlineMs: options.notifyDeadlineMs }));
  app.route('/', refunds);
  app.route('/v1/orders', orders);
  app.route('/v1/events', events);
  app.route('/v1/reconciliations', reconciliations);
  app.route('/', checkout);
  app.route('/', admin);
  // The simulator exists only in sandbox mode: in live mode, with a broken config, or on a public host
  // without SANDBOX_ALLOW_PUBLIC, /sandbox is 404.
  const sandboxOnly = createMiddleware<HonoEnv>(async (c, next) => {
    const parsed = requestConfig(c);
    if (!parsed.ok || parsed.config.mode !== 'sandbox') return c.notFound();
    await next();
  });
  app.use('/sandbox', sandboxOnly);
  app.use('/sandbox/*', sandboxOnly);
  app.route('/sandbox', createSandboxApp(sandboxMerchant));
  return app;
}
