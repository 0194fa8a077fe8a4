// The merchant API's routers (@hono/zod-openapi) and GET /openapi.json, generated from their route
// definitions: the paths, parameters, bodies and answers the routes validate and give.
import { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { getConfig } from './config';
import type { HonoEnv } from './env';
import { validationHook } from './validation';

/** Every error answer of the API: the envelope of http-answers.ts. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      requestId: z.string(),
      retry_after: z.int().optional(),
      refundable_fee: z.int().optional().meta({ description: 'With REFUND_EXCEEDS_PAID: what may still be refunded (fen).' }),
    }),
  })
  .meta({ id: 'Error' });

/** A router of merchant API routes: a failed validation answers in our envelope (validation.ts). */
export function apiRouter() {
  return new OpenAPIHono<HonoEnv>({ defaultHook: validationHook });
}

/** A JSON answer of `schema`. */
export const jsonAnswer = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** A JSON request body; `required: false` when the route also takes none. */
export const jsonRequest = <T extends z.ZodType>(schema: T, required = true) => ({ required, content: { 'application/json': { schema } } });

/** The error statuses a route answers with, each in the error envelope. */
export const errorAnswers = <S extends number>(...statuses: S[]) =>
  Object.fromEntries(statuses.map((s) => [s, jsonAnswer(ErrorSchema, 'Error')])) as Record<S, ReturnType<typeof jsonAnswer<typeof ErrorSchema>>>;

/** The checkout token route (jsapi) accepts it or the merchant's bearer token. */
export const CHECKOUT_OR_MERCHANT: Record<string, string[]>[] = [{ checkoutToken: [] }, { merchantBearer: [] }];

/** Every merchant router mounted at its prefix, and GET /openapi.json describing them. */
export function merchantApi(routers: ReadonlyArray<readonly [string, OpenAPIHono<HonoEnv>]>) {
  const api = apiRouter();
  for (const [path, router] of routers) api.route(path, router);
  api.openAPIRegistry.registerComponent('securitySchemes', 'merchantBearer', { type: 'http', scheme: 'bearer', description: 'MERCHANT_API_TOKEN' });
  api.openAPIRegistry.registerComponent('securitySchemes', 'checkoutToken', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Checkout-Token',
    description: 'The t parameter of checkout_url',
  });
  let doc: ReturnType<typeof api.getOpenAPI31Document> | undefined;
  api.get('/openapi.json', (c) => {
    const parsed = getConfig(c.env);
    doc ??= api.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'wxpay-edge merchant API',
        version: '1',
        description: 'WeChat Pay v2 JSAPI orders. Amounts are integer fen. Errors: {"error":{"code","message","requestId"}}.',
      },
      security: [{ merchantBearer: [] }],
    });
    const { openapi, info, webhooks: _none, ...rest } = doc;
    return c.json({ openapi, info, servers: [{ url: parsed.ok ? parsed.config.publicBaseUrl : new URL(c.req.url).origin }], ...rest });
  });
  return api;
}
