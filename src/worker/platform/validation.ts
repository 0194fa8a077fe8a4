// The one way a request that fails its schema is answered: 400 VALIDATION_FAILED naming the
// parameter or field and zod's reason, never the rejected value. A path parameter answers with its
// own code instead (INVALID_OUT_TRADE_NO, or the 404 an unknown id gets).
import type { Context } from 'hono';
import { z } from 'zod';
import { DomainError, type ErrorCode } from './errors';

type Issue = { readonly path: readonly PropertyKey[]; readonly message: string; readonly code?: string; readonly keys?: readonly string[] };

/** Where the input was: the query's parameters, or the body's fields. */
type Target = 'query' | 'body';

/** One issue as `where: what`; an issue about the whole input names it (`query` or `body`). */
function describeIssue(issue: Issue, target: Target): string {
  if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
    const noun = target === 'query' ? 'parameter' : 'field';
    const names = issue.keys.map((k) => JSON.stringify(k)).join(', ');
    return `${target}: unrecognized ${noun}${issue.keys.length > 1 ? 's' : ''} ${names}`;
  }
  return `${issue.path.map(String).join('.') || target}: ${issue.message}`;
}

/** VALIDATION_FAILED with the first five issues, at most 400 characters. */
function validationFailed(issues: readonly Issue[], target: Target): DomainError {
  const detail = issues
    .slice(0, 5)
    .map((i) => describeIssue(i, target))
    .join('; ');
  return new DomainError('VALIDATION_FAILED', detail.slice(0, 400) || 'invalid request');
}

/** The failure of each path parameter, by name (one meaning per name): the code and message its routes answer with. */
const PARAM_ERRORS = new Map<string, { code: ErrorCode; message: string }>();

/**
 * A route's path parameter as a params schema: its pattern is validated and published in
 * /openapi.json; a value that does not match answers `code` with `message`.
 */
export function pathParam<N extends string>(name: N, pattern: RegExp, code: ErrorCode, message: string) {
  const known = PARAM_ERRORS.get(name);
  if (known && (known.code !== code || known.message !== message)) throw new Error(`path parameter ${name} answers two ways`);
  PARAM_ERRORS.set(name, { code, message });
  return z.object({ [name]: z.string().regex(pattern) } as Record<N, z.ZodString>);
}

type HookResult = { success: boolean; target: string; error?: { issues: readonly Issue[] } };

/** The validators' hook (zod-validator, and @hono/zod-openapi's defaultHook): throws our DomainError. */
export function validationHook(result: HookResult, _c: Context): undefined {
  if (result.success) return undefined;
  const issues = result.error?.issues ?? [];
  if (result.target === 'param') {
    const known = PARAM_ERRORS.get(String(issues[0]?.path[0]));
    if (known) throw new DomainError(known.code, known.message);
  }
  throw validationFailed(issues, result.target === 'query' ? 'query' : 'body');
}
