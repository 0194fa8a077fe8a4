// The app's last line: every thrown error becomes our JSON envelope; unknown ones become an anonymous 500.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { configuredSecrets } from './config';
import type { HonoEnv } from './env';
import { DomainError } from './errors';
import { errorResponse } from './http-answers';
import { log } from './log';
import { ChannelError } from '../channel';

/**
 * An error message could quote anything it was handed: every value of a variable the config schema
 * declares secret is redacted, whether or not the config as a whole is valid.
 */
export function scrubSecrets(text: string, env: Record<string, unknown>): string {
  let out = text;
  // Longest first, so a secret that contains another is redacted whole.
  for (const secret of configuredSecrets(env).sort((a, b) => b.length - a.length)) out = out.split(secret).join('[redacted]');
  return out;
}

export function onError(err: Error, c: Context<HonoEnv>) {
  if (err instanceof DomainError) return errorResponse(c, err.code, err.message, { ...err.extra });
  if (err instanceof ChannelError) return errorResponse(c, 'UPSTREAM_UNAVAILABLE', 'WeChat Pay is unavailable; retry shortly');
  if (err instanceof HTTPException) {
    if (err.status === 413) return errorResponse(c, 'PAYLOAD_TOO_LARGE', 'body too large');
    // @hono/zod-openapi's media-type gate, for a JSON type whose parameters it cannot read (`application/json;`).
    if (err.status === 415) return errorResponse(c, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
    if (err.status === 400) return errorResponse(c, 'INVALID_JSON', 'the body is not valid JSON');
  }
  // Name and a bounded, secret-scrubbed message to the log (no stack, no env); nothing but a code to the caller.
  log.error('UNHANDLED', {
    requestId: c.get('requestId'),
    error: err.name,
    message: scrubSecrets(String(err.message), c.env as unknown as Record<string, unknown>).slice(0, 200),
  });
  return errorResponse(c, 'INTERNAL');
}

export const notFound = (c: Context<HonoEnv>) => errorResponse(c, 'NOT_FOUND', 'no such route');
