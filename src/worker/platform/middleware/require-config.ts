// Payment routes fail closed when the configuration is invalid (docs/reliability.md I12).
import type { Context } from 'hono';
import { configForRequest, type Config, type ConfigResult } from '../config';
import type { HonoEnv } from '../env';
import { DomainError } from '../errors';
import { log } from '../log';

const reported = new WeakMap<object, Set<string>>();

/** The config for this request; each distinct set of problems is logged once per env, by variable name only. */
export function requestConfig(c: Context<HonoEnv>): ConfigResult {
  const result = configForRequest(c.env, c.req.url);
  if (result.ok) return result;
  const key = result.problems.join('|');
  const seen = reported.get(c.env) ?? new Set<string>();
  if (!seen.has(key)) {
    seen.add(key);
    reported.set(c.env, seen);
    log.error('CONFIG_INVALID', { problems: result.problems });
  }
  return result;
}

/** The parsed config, or DomainError CONFIG_INVALID (503). */
export function requireConfig(c: Context<HonoEnv>): Config {
  const result = requestConfig(c);
  if (result.ok) return result.config;
  throw new DomainError('CONFIG_INVALID', 'the payment service is not configured');
}
