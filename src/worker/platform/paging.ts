// Keyset pagination, one way for every list: `limit` 1–100, an opaque cursor (base64url of the JSON
// key of the page's last row), and one row more than the page fetched to know whether another follows.
import { z } from 'zod';
import { base64urlDecodeText, base64urlEncode } from '../../core';
import { DomainError } from './errors';

export const DEFAULT_PAGE_LIMIT = 20;

/** The `limit` query parameter: 1–100, said in words when it is not. */
export const limitParam = (description: string) =>
  z
    .string()
    .regex(/^(?:[1-9]|[1-9][0-9]|100)$/, { error: 'must be an integer from 1 to 100' })
    .optional()
    .meta({ description });

/** The `cursor` query parameter: a next_cursor of ours, as sent (base64url, bounded). */
export const cursorParam = (description: string) =>
  z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional()
    .meta({ description });

/** A validated `limit`, or the default. */
export const pageLimit = (limit: string | undefined, fallback = DEFAULT_PAGE_LIMIT): number => (limit ? Number(limit) : fallback);

/** The cursor after a row: its key (e.g. [created_at, out_trade_no]) as base64url JSON. */
function encodeCursor(key: readonly (string | number)[]): string {
  return base64urlEncode(JSON.stringify(key));
}

/** The key a cursor carries if it is one of ours and `accept` recognises it, else null. */
export function decodeCursor<K>(cursor: string | undefined, accept: (key: readonly unknown[]) => K | null): K | null {
  if (!cursor) return null;
  try {
    const key = JSON.parse(base64urlDecodeText(cursor) ?? '') as unknown;
    return Array.isArray(key) ? accept(key) : null;
  } catch {
    return null; // not JSON: not ours
  }
}

/** As decodeCursor, for the API: a cursor that is not ours is 400 VALIDATION_FAILED. */
export function cursorKey<K>(cursor: string | undefined, accept: (key: readonly unknown[]) => K | null): K | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor, accept);
  if (key === null) throw new DomainError('VALIDATION_FAILED', 'cursor: not a cursor from this API');
  return key;
}

export interface KeysetPage<T> {
  items: T[];
  /** Rows follow this page. */
  hasMore: boolean;
  /** The cursor of the next page; null on the last (or when the list takes no cursor). */
  nextCursor: string | null;
}

/** One page of `rows` (fetched with limit + 1); `keyOf` gives the next cursor's key from the page's last row. */
export function keysetPage<T>(rows: readonly T[], limit: number, keyOf?: (last: T) => readonly (string | number)[]): KeysetPage<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const hasMore = rows.length > limit;
  return { items, hasMore, nextCursor: hasMore && last !== undefined && keyOf ? encodeCursor(keyOf(last)) : null };
}
