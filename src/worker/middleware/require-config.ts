// Payment routes fail closed when the configuration is invalid (reliability.md I12).
import type { Context } from 'hono';
import { getConfig, type Config } from '../config';
import type { HonoEnv } from '../env';
import { ApiError } from '../http-errors';

const reported = new WeakSet<object>();

/** The parsed config, or ApiError CONFIG_INVALID (503). Problems are logged once, by variable name only. */
export function requireConfig(c: Context<HonoEnv>): Config {
  const result = getConfig(c.env);
  if (result.ok) return result.config;
  if (!reported.has(c.env)) {
    reported.add(c.env);
    console.error(JSON.stringify({ level: 'error', event: 'CONFIG_INVALID', problems: result.problems }));
  }
  throw new ApiError('CONFIG_INVALID', 'the payment service is not configured');
}
