// Every answer is per-caller or changes with state (orders, health, errors): no cache may keep one.
import type { MiddlewareHandler } from 'hono';
import type { HonoEnv } from '../env';

/** `Cache-Control: no-store` on every response that did not choose its own caching (the static checkout script does). */
export function noStore(): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    await next();
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  };
}
