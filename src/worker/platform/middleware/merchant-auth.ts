// Bearer-token authentication for the merchant API, compared through fixed-length digests.
import type { Context, MiddlewareHandler } from 'hono';
import { secretEqual } from '../../../core';
import type { Config } from '../config';
import type { HonoEnv } from '../env';
import { DomainError } from '../errors';
import { requireConfig } from './require-config';

/** 'absent' when no Authorization header was sent; 'valid' / 'invalid' otherwise. */
export async function merchantBearer(c: Context, config: Config): Promise<'absent' | 'valid' | 'invalid'> {
  const header = c.req.header('Authorization');
  if (header === undefined) return 'absent';
  const match = /^Bearer ([\x21-\x7E]{1,512})$/.exec(header);
  if (!match) return 'invalid';
  return (await secretEqual(match[1]!, config.merchantApiToken)) ? 'valid' : 'invalid';
}

export const UNAUTHORIZED_MESSAGE = 'a valid merchant bearer token is required';

/**
 * Every merchant route but jsapi (which also takes a checkout token): fail closed on a bad config
 * (503), then the bearer token (401) — before any body or query is judged, so an unauthenticated
 * caller learns nothing about the schema. Sets c.var.config and c.var.deps.
 */
export const merchantAuth: MiddlewareHandler<HonoEnv> = async (c, next) => {
  const config = requireConfig(c);
  if ((await merchantBearer(c, config)) !== 'valid') throw new DomainError('UNAUTHORIZED', UNAUTHORIZED_MESSAGE);
  await next();
};
