// Bearer-token authentication for the merchant API, compared through fixed-length digests.
import type { Context } from 'hono';
import { secretEqual } from '../../../core';
import type { Config } from '../config';

/** 'absent' when no Authorization header was sent; 'valid' / 'invalid' otherwise. */
export async function merchantBearer(c: Context, config: Config): Promise<'absent' | 'valid' | 'invalid'> {
  const header = c.req.header('Authorization');
  if (header === undefined) return 'absent';
  const match = /^Bearer ([\x21-\x7E]{1,512})$/.exec(header);
  if (!match) return 'invalid';
  return (await secretEqual(match[1]!, config.merchantApiToken)) ? 'valid' : 'invalid';
}
