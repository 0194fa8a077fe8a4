import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { HonoEnv } from '../platform/env';
import { createSandboxApp } from '../../sandbox/app';
import type { SimMerchant } from '../../sandbox/settings';
import { getConfig } from '../platform/config';
import { noStore } from '../platform/middleware/no-store';
import { requestId } from '../platform/middleware/request-id';
import { requestLog } from '../platform/middleware/request-log';
import { loadConfig } from '../platform/middleware/require-config';
import { DEPS_FACTORY } from './wiring';
import { notFound, onError } from '../platform/on-error';
import { admin } from '../console/http/routes';
import { checkout } from '../checkout/http/routes';
import { events, orderEventsRouter } from '../webhooks/routes';
import { health } from '../platform/health';
import { notifyRoutes } from '../notify/routes';
import { merchantApi } from '../platform/api-doc';
import { miniprogram, orders } from '../orders/routes';
import { refunds } from '../refunds/routes';
import { reconciliations } from '../reconciliation/routes';

/** The simulator's one merchant: the gateway's own credentials, so `npm run dev` needs no configuration. */
function sandboxMerchant(env: Env): SimMerchant | null {
  const parsed = getConfig(env);
  if (!parsed.ok) return null;
  const c = parsed.config;
  // Sandbox mode always has v3 keys (the configured ones, else the simulator's test keys); nothing else reaches /sandbox.
  if (!c.v3) return null;
  return {
    appId: c.appId,
    mchId: c.mchId,
    key: c.apiKey,
    appSecret: c.appSecret,
    signType: c.signType,
    publicOrigin: new URL(c.publicBaseUrl).origin,
    name: c.merchantName,
    // The configured mini-program and mobile app (in sandbox mode the fixed test ones unless named: docs/configuration.md).
    miniProgram: c.miniProgram ?? undefined,
    appAppId: c.appAppId ?? undefined,
    h5Domains: [new URL(c.publicBaseUrl).host],
    // API v3: the configured APIv3 key and the merchant's API key and serial (docs/configuration.md).
    v3: { apiV3Key: c.v3.apiV3Key, mchPrivateKey: c.v3.mchPrivateKey, mchSerial: c.v3.mchSerial },
  };
}

export interface AppOptions {
  /** The notify routes' internal deadline (production: NOTIFY_DEADLINE_MS); tests inject their own. */
  notifyDeadlineMs?: number;
}

export function createApp(options: AppOptions = {}) {
  const app = new Hono<HonoEnv>();
  // First: every route finds the composition root's dependency builder on the request.
  app.use('*', async (c, next) => {
    c.set('factory', DEPS_FACTORY);
    await next();
  });
  app.use('*', requestId(), requestLog());
  app.use('*', noStore());
  app.onError(onError);
  app.notFound(notFound);
  app.route('/', health);
  app.route('/', notifyRoutes({ deadlineMs: options.notifyDeadlineMs }));
  // The merchant API (/v1) and its /openapi.json, generated from the routes.
  app.route(
    '/',
    merchantApi([
      ['/', refunds],
      ['/', orderEventsRouter],
      ['/v1/orders', orders],
      ['/v1/miniprogram', miniprogram],
      ['/v1/events', events],
      ['/v1/reconciliations', reconciliations],
    ]),
  );
  app.route('/', checkout);
  app.route('/', admin);
  // The simulator exists only in sandbox mode: in live mode, with a broken config, or on a public host
  // without SANDBOX_ALLOW_PUBLIC, /sandbox is 404.
  const sandboxOnly = createMiddleware<HonoEnv>(async (c, next) => {
    const parsed = loadConfig(c);
    if (!parsed.ok || parsed.config.mode !== 'sandbox') return c.notFound();
    await next();
  });
  app.use('/sandbox', sandboxOnly);
  app.use('/sandbox/*', sandboxOnly);
  app.route('/sandbox', createSandboxApp(sandboxMerchant));
  return app;
}
