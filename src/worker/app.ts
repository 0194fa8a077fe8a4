import { Hono } from 'hono';
import type { HonoEnv } from './env';
import { requestId } from './middleware/request-id';
import { requestLog } from './middleware/request-log';
import { notFound, onError } from './on-error';
import { health } from './routes/health';
import { openapi } from './routes/openapi';
import { orders } from './routes/orders';

export function createApp() {
  const app = new Hono<HonoEnv>();
  app.use('*', requestId(), requestLog());
  app.onError(onError);
  app.notFound(notFound);
  app.route('/', health);
  app.route('/', openapi);
  app.route('/v1/orders', orders);
  return app;
}
