import { Hono } from 'hono';
import type { HonoEnv } from './env';
import { health } from './routes/health';

export function createApp() {
  const app = new Hono<HonoEnv>();
  app.route('/', health);
  return app;
}
