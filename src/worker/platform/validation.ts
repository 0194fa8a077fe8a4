// The one way a request that fails its schema is answered: 400 VALIDATION_FAILED naming the
// parameter or field and zod's reason, never the rejected value.
import type { Context } from 'hono';
import { DomainError } from './errors';

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

type HookResult = { success: boolean; target: string; error?: { issues: readonly Issue[] } };

/** The validators' hook (zod-validator, and @hono/zod-openapi's defaultHook): throws our DomainError. */
export function validationHook(result: HookResult, _c: Context): undefined {
  if (result.success) return undefined;
  throw validationFailed(result.error?.issues ?? [], result.target === 'query' ? 'query' : 'body');
}
