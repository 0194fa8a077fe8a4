// Gives every request an id: echoed in X-Request-Id, carried in every error body and log line.
import type { MiddlewareHandler } from 'hono';
import type { HonoEnv } from '../env';

export const requestId = (): MiddlewareHandler<HonoEnv> => async (c, next) => {
  // Never trust a client-supplied id: it would let callers forge log correlation.
  const id = crypto.randomUUID();
  c.set('requestId', id);
  await next();
  c.header('X-Request-Id', id);
};
