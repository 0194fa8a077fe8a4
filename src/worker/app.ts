import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { HonoEnv } from './env';
import { createSandboxApp } from '../sandbox/app';
import { getConfig } from './config';
import { noStore } from './middleware/no-store';
import { requestId } from './middleware/request-id';
import { requestLog } from './middleware/request-log';
import { notFound, onError } from './on-error';
import { checkout } from './routes/checkout';
import { health } from './routes/health';
import { notify } from './routes/notify';
import { openapi } from './routes/openapi';
import { orders } from './routes/orders';

export function createApp() {
  const app = new Hono<HonoEnv>();
  app.use('*', requestId(), requestLog());
  app.use('*', noStore());
  app.onError(onError);
  app.notFound(notFound);
  app.route('/', health);
  app.route('/', openapi);
  app.route('/', notify);
  app.route('/v1/orders', orders);
  app.route('/', checkout);
  // The simulator exists only in sandbox mode: in live mode (or with a broken config) /sandbox is 404.
  const sandboxOnly = createMiddleware<HonoEnv>(async (c, next) => {
    const parsed = getConfig(c.env);
    if (!parsed.ok || parsed.config.mode !== 'sandbox') return c.notFound();
    await next();
  });
  app.use('/sandbox', sandboxOnly);
  app.use('/sandbox/*', sandboxOnly);
  app.route('/sandbox', createSandboxApp());
  return app;
}
