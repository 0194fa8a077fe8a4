import { Hono } from 'hono';
import type { HonoEnv } from '../env';

export const health = new Hono<HonoEnv>().get('/healthz', (c) =>
  c.json({ ok: true, service: 'wxpay-edge', mode: c.env.WECHAT_MODE ?? 'sandbox' }),
);
