import { Hono } from 'hono';
import { getConfig } from './config';
import type { HonoEnv } from './env';

/** Liveness, and which mode the gateway runs in ("unconfigured" while the configuration fails its checks). */
export const health = new Hono<HonoEnv>().get('/healthz', (c) => {
  const parsed = getConfig(c.env);
  return c.json({ ok: true, service: 'wxpay-edge', mode: parsed.ok ? parsed.config.mode : 'unconfigured' });
});
