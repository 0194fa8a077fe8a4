import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { HonoEnv } from './env';
import { createSandboxApp } from '../sandbox/app';
import { noStore } from './middleware/no-store';
import { requestId } from './middleware/request-id';
import { requestLog } from './middleware/request-log';
import { requestConfig } from './middleware/require-config';
import { notFound, onError } from './on-error';
import { checkout } from './routes/checkout';
import { health } from './routes/health';
import { notify } from './routes/notify';
import { openapi } from './routes/openapi';
import { orders } from './routes/orders';
import { reconciliations } from './routes/reconciliations';

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
  app.route('/v1/reconciliations', reconciliations);
  app.route('/', checkout);
  // The simulator exists only in sandbox mode: in live mode, with a broken config, or on a public host
  // without SANDBOX_ALLOW_PUBLIC, /sandbox is 404.
  const sandboxOnly = createMiddleware<HonoEnv>(async (c, next) => {
    const parsed = requestConfig(c);
    if (!parsed.ok || parsed.config.mode !== 'sandbox') return c.notFound();
    await next();
  });
  app.use('/sandbox', sandboxOnly);
  app.use('/sandbox/*', sandboxOnly);
  app.route('/sandbox', createSandboxApp());
  return app;
}
