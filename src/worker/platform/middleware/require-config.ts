// The request's configuration, judged once: valid, it is put on the context with the use cases'
// dependencies (c.var.config, c.var.deps); invalid, each route family fails closed its own way
// (docs/reliability.md I12): 503 CONFIG_INVALID for the merchant API, RETRY for WeChat's notifies,
// an HTML page for the console and the checkout, 404 for the simulator.
import type { Context, MiddlewareHandler } from 'hono';
import { configForRequest, type Config, type ConfigResult } from '../config';
import type { HonoEnv } from '../env';
import { DomainError } from '../errors';
import { log } from '../log';

type C = Context<HonoEnv>;

const reported = new WeakMap<object, Set<string>>();

/** The config for this request; each distinct set of problems is logged once per env, by variable name only. */
function requestConfig(c: C): ConfigResult {
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

/**
 * An object that builds itself on first use: a request that is refused before its handler runs
 * (auth, body, validation) never builds the WeChat client or touches the execution context.
 */
function lazily<T extends object>(build: () => T): T {
  let value: T | undefined;
  const target = () => (value ??= build());
  return new Proxy({} as T, {
    get: (_, key) => Reflect.get(target(), key),
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(target(), key);
      return d && { ...d, configurable: true };
    },
  });
}

/** The request's config, judged once; when valid, c.var.config and c.var.deps are set. */
export function loadConfig(c: C): ConfigResult {
  const known = c.get('config');
  if (known) return { ok: true, config: known };
  const result = requestConfig(c);
  if (result.ok) {
    c.set('config', result.config);
    c.set(
      'deps',
      lazily(() => c.var.factory.gateway(c.env, c.executionCtx, result.config)),
    );
  }
  return result;
}

const unconfigured = () => new DomainError('CONFIG_INVALID', 'the payment service is not configured');

/** The parsed config, or DomainError CONFIG_INVALID (503). */
export function requireConfig(c: C): Config {
  const result = loadConfig(c);
  if (result.ok) return result.config;
  throw unconfigured();
}

/**
 * Sets c.var.config and c.var.deps, or answers for an invalid config: `answer`'s answer, by
 * default 503 CONFIG_INVALID.
 */
export function configured(answer?: (c: C) => Response | Promise<Response>): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    if (loadConfig(c).ok) return next();
    if (answer) return answer(c);
    throw unconfigured();
  };
}
