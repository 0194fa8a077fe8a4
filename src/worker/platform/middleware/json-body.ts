// JSON request bodies: size cap (chunked bodies too), application/json only, one parse; errors in our envelope.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { HonoEnv } from '../env';
import { DomainError } from '../errors';
import { errorResponse } from '../http-answers';

const MAX_JSON_BYTES = 16 * 1024;
const JSON_TYPE = /^application\/json$/i;

/** `optional`: a request with no body at all passes (the validator then sees `{}`). */
export function jsonBody(opts: { optional?: boolean } = {}): MiddlewareHandler<HonoEnv> {
  const limit = bodyLimit({ maxSize: MAX_JSON_BYTES, onError: (c) => errorResponse(c, 'PAYLOAD_TOO_LARGE', `body exceeds ${MAX_JSON_BYTES} bytes`) });
  return async (c, next) => {
    const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim();
    const length = c.req.header('Content-Length');
    const hasBody = c.req.raw.body !== null && length !== '0';
    if (!JSON_TYPE.test(type)) {
      if (opts.optional && !hasBody && !type) return next();
      return errorResponse(c, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
    }
    return limit(c, async () => {
      try {
        await c.req.json(); // cached for the validator
      } catch {
        throw new DomainError('INVALID_JSON', 'the body is not valid JSON');
      }
      await next();
    });
  };
}
