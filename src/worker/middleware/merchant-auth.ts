// Bearer-token authentication for the merchant API, compared in constant time.
import type { Context } from 'hono';
import { constantTimeEqual } from '../../core';
import type { Config } from '../config';

/** 'absent' when no Authorization header was sent; 'valid' / 'invalid' otherwise. */
export function merchantBearer(c: Context, config: Config): 'absent' | 'valid' | 'invalid' {
  const header = c.req.header('Authorization');
  if (header === undefined) return 'absent';
  const match = /^Bearer ([\x21-\x7E]{1,512})$/.exec(header);
  if (!match) return 'invalid';
  return constantTimeEqual(match[1]!, config.merchantApiToken) ? 'valid' : 'invalid';
}
