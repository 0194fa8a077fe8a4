/**
 * The API v3 wire of the simulator: the gate every `/sandbox/v3/*` merchant call passes (body as UTF-8
 * text, then docs/wechatpay-v3.md §1–§2 authentication, the `Wechatpay-Serial` it names, and a strict
 * JSON object for POST), and answers signed as WeChat signs them (§3): every 2xx, a 204 included, with
 * the key the signer mode picks. Error answers carry a Request-ID and no signature (§3.4).
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { SandboxEnv } from '../hono-env';
import { merchantStub } from '../hono-env';
import type { V3ApiResult } from '../merchant-do';
import type { Outcome } from '../outcome';
import { shaped } from '../routes/shaped';
import { authenticate } from './auth';
import { errorResponse, fromOutcome, v3Error, type V3Error } from './errors';
import { bodyText, FieldError, type Json, parseObject } from './json';
import { knownSerial, newRequestId, responseKey, type SignerMode, v3SignatureHeaders } from './signer';

export interface V3Call {
  requestId: string;
  /** POST: the body as one JSON object. */
  body?: Json;
  /** The request's `Wechatpay-Serial`: in `switching` mode it picks the key of the answer. */
  requestSerial: string | null;
}

export type V3Env = { Bindings: Env; Variables: SandboxEnv['Variables'] & { v3: V3Call } };
export type V3Context = Context<V3Env>;

/** Authenticates before anything is read or changed: a refused request leaves no trace in the simulated state. */
export const v3Gate = createMiddleware<V3Env>(async (c, next) => {
  const requestId = newRequestId();
  const raw = c.req.raw;
  const text = bodyText(await raw.arrayBuffer());
  if (!text.ok) return errorResponse(text.error, requestId);
  const url = new URL(raw.url);
  const refused = await authenticate(
    { method: raw.method, canonicalUrl: url.pathname + url.search, headers: raw.headers, body: text.text },
    c.get('merchant'),
    Math.floor(Date.now() / 1000),
  );
  if (refused) return errorResponse(refused, requestId);
  const requestSerial = raw.headers.get('Wechatpay-Serial');
  // A key the simulator does not have (docs/wechatpay-v3.md §4.3: brand APIs answer 400 INVALID_REQUEST).
  if (!knownSerial(requestSerial)) return errorResponse(v3Error(400, 'INVALID_REQUEST', 'Wechatpay-Serial不是有效的微信支付公钥ID或平台证书序列号'), requestId);
  let body: Json | undefined;
  if (raw.method === 'POST') {
    if (!/^application\/json\b/i.test(raw.headers.get('Content-Type') ?? ''))
      return errorResponse(v3Error(400, 'INVALID_REQUEST', 'Content-Type必须是application/json'), requestId);
    const parsed = parseObject(text.text);
    if (!parsed.ok) return errorResponse(parsed.error, requestId);
    body = parsed.body;
  }
  c.set('v3', { requestId, requestSerial, ...(body ? { body } : {}) });
  await next();
});

/** A field of the wrong JSON type, thrown by a reader (json.ts), is the call's PARAM_ERROR. */
export function onV3Error(e: Error, c: V3Context): Response {
  if (e instanceof FieldError) return errorResponse(e.error, c.get('v3')?.requestId ?? newRequestId());
  throw e;
}

export const fail = (c: V3Context, e: V3Error): Response => errorResponse(e, c.get('v3').requestId);

/** A 2xx answer signed per the signer mode (§3.1: a 204's message ends `\n\n`). */
export async function signed(c: V3Context, mode: SignerMode, status: 200 | 204, body?: Json): Promise<Response> {
  const { requestId, requestSerial } = c.get('v3');
  const text = status === 204 || body === undefined ? '' : JSON.stringify(body);
  const headers = await v3SignatureHeaders(text, responseKey(mode, requestSerial));
  return new Response(status === 204 ? null : text, {
    status,
    headers: { ...(status === 204 ? {} : { 'Content-Type': 'application/json; charset=utf-8' }), ...headers, 'Request-ID': requestId },
  });
}

/**
 * The answer to a decision: signed `ok(fields)` on success, the v3 error otherwise (`overrides` re-maps
 * codes for this endpoint), sent late or never as a scenario fault says.
 */
export async function answer(
  c: V3Context,
  r: V3ApiResult,
  ok: (fields: Record<string, string>) => [200 | 204, Json | undefined],
  overrides?: Readonly<Record<string, [string, string]>>,
): Promise<Response> {
  const o: Outcome = r.outcome;
  const res = o.kind === 'ok' ? await signed(c, r.signer, ...ok(o.fields)) : fail(c, fromOutcome(o, overrides));
  return shaped(c.req.raw.signal, r.fault, () => res);
}

export const stubOf = (c: V3Context) => merchantStub(c.env, c.get('merchant').mchId);

/** `<PUBLIC_BASE_URL origin><mount>`: the simulator's own base (`…/sandbox`), for the URLs it issues. */
export function sandboxBase(c: V3Context): string {
  const path = new URL(c.req.url).pathname;
  return c.get('merchant').publicOrigin + path.slice(0, path.indexOf('/v3/'));
}
