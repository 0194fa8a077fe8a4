// The archive's D1 side (migrations/0012_archive.sql): the run's lease and cursor, the sweep over old
// orders, the generic reads, the verified parts with their lookup rows, and the fenced deletes.
import type { ArchiveRow } from '../../core';
import { ARCHIVED_TABLES, eligibleSql, FENCE_SQL, HISTORY_TABLES, historyEligibleSql, ORDER_KEY, ORDER_TIME, rowsOfOrdersSql } from './archived-tables-repo';

export interface SweepRow {
  out_trade_no: string;
  /** Epoch ms (orders' times since 0018). */
  created_at: number;
  eligible: number;
  /** The part holding the order's history when it moved before the order (HISTORY_DAYS). */
  history_part: number | null;
}

/** The sweep's keyset position: the last order swept, (created_at in epoch ms, out_trade_no). */
export interface Cursor {
  at: number;
  no: string;
}

/** What a sweep moves: whole orders past HOT_DAYS, or the history of orders past HISTORY_DAYS. */
export type SweepKind = 'archive' | 'history';
const CURSOR_COLUMNS: Record<SweepKind, readonly [string, string]> = { archive: ['cursor_at', 'cursor_no'], history: ['history_at', 'history_no'] };

/** Before every order (archive_state's default, stored as ''). */
export const START_CURSOR: Cursor = { at: 0, no: '' };

/**
 * archive_state.cursor_at is TEXT: the decimal text of the epoch ms since 0018 ('' at the start). An ISO
 * instant (a cursor written before 0018, which converts it) reads as the same instant.
 */
function cursorAtOf(stored: string): number {
  if (stored === '') return START_CURSOR.at;
  return /^\d+$/.test(stored) ? Number(stored) : Date.parse(stored);
}

const storedCursorAt = (c: Cursor): string => (c.at === START_CURSOR.at && c.no === START_CURSOR.no ? '' : String(c.at));

/** Takes the one run's lease until `now + ms`, if it is free or has expired. */
export async function takeLease(db: D1Database, holder: string, now: number, ms: number): Promise<boolean> {
  const r = await db
    .prepare('UPDATE archive_state SET lease_holder = ?1, lease_until = ?2 WHERE id = 1 AND (lease_holder IS NULL OR lease_until <= ?3)')
    .bind(holder, now + ms, now)
    .run();
  return r.meta.changes === 1;
}

export async function releaseLease(db: D1Database, holder: string): Promise<void> {
  await db.prepare('UPDATE archive_state SET lease_holder = NULL, lease_until = 0 WHERE id = 1 AND lease_holder = ?1').bind(holder).run();
}

export async function readCursor(db: D1Database, kind: SweepKind): Promise<Cursor> {
  const [at, no] = CURSOR_COLUMNS[kind];
  const r = await db.prepare(`SELECT ${at} AS at, ${no} AS no FROM archive_state WHERE id = 1`).first<{ at: string; no: string }>();
  return r ? { at: cursorAtOf(String(r.at)), no: r.no } : START_CURSOR;
}

/** Moves a cursor (no part written: the orders swept were not final yet, or the sweep starts over). */
export async function moveCursor(db: D1Database, holder: string, kind: SweepKind, to: Cursor): Promise<void> {
  const [at, no] = CURSOR_COLUMNS[kind];
  await db.prepare(`UPDATE archive_state SET ${at} = ?1, ${no} = ?2 WHERE id = 1 AND lease_holder = ?3`).bind(storedCursorAt(to), to.no, holder).run();
}

/**
 * The next orders after the cursor created before `cutoff` (epoch ms), in key order, each marked final (for
 * its kind of move) or not. The history sweep reads only orders whose history is still in D1 (orders_history_hot).
 */
export async function sweep(db: D1Database, kind: SweepKind, webhooks: boolean, cursor: Cursor, cutoff: number, limit: number): Promise<SweepRow[]> {
  const eligible = kind === 'archive' ? eligibleSql(webhooks) : historyEligibleSql(webhooks);
  const only = kind === 'archive' ? '' : 'o.history_part IS NULL AND ';
  const sql = `SELECT o.${ORDER_KEY} AS out_trade_no, o.${ORDER_TIME} AS created_at, o.history_part, (${eligible}) AS eligible FROM orders o
    WHERE ${only}o.${ORDER_TIME} < ?1 AND (o.${ORDER_TIME}, o.${ORDER_KEY}) > (?2, ?3) ORDER BY o.${ORDER_TIME}, o.${ORDER_KEY} LIMIT ?4`;
  const r = await db.prepare(sql).bind(cutoff, cursor.at, cursor.no, limit).all<SweepRow>();
  return r.results;
}

/** Every archived table's rows of these orders, SELECT * (one query per table). */
export async function readOrderRows(db: D1Database, orderNos: readonly string[]): Promise<Record<string, ArchiveRow[]>> {
  const json = JSON.stringify(orderNos);
  const results = await db.batch(ARCHIVED_TABLES.map((t) => db.prepare(rowsOfOrdersSql(t)).bind(json)));
  return Object.fromEntries(ARCHIVED_TABLES.map((t, i) => [t.name, (results[i]?.results ?? []) as ArchiveRow[]]));
}

/** The last D1 migration applied: the schema the archived rows have. */
export async function schemaVersion(db: D1Database): Promise<string> {
  try {
    const r = await db.prepare('SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1').first<{ name: string }>();
    return r?.name ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function partsOfDay(db: D1Database, day: number): Promise<number> {
  return (await db.prepare('SELECT COUNT(*) AS n FROM archive_parts WHERE day = ?1').bind(day).first<{ n: number }>())?.n ?? 0;
}

export interface VerifiedPart {
  day: number;
  objectKey: string;
  schema: string;
  orderCount: number;
  rowCount: number;
  bytes: number;
  sha256: string;
  /** Only the orders' history leaves D1 (their order, refund and anomaly rows stay). */
  history: boolean;
  /** [number, kind, pos, len] */
  lookups: readonly (readonly [string, 0 | 1, number, number])[];
  /** [out_refund_no, out_trade_no]: the refunds of a whole-order part (archive_refunds). */
  refunds: readonly (readonly [string, string])[];
  /** [out_trade_no, fence] */
  pending: readonly (readonly [string, string])[];
  /** [yyyymmdd, pos, len]: each Beijing day a member has something on WeChat's bill (archive_days). */
  billDays: readonly (readonly [number, number, number])[];
  /** The cursor after this part's orders. */
  cursor: Cursor;
}

/**
 * Records a verified part, its lookup rows, its orders' fences and the cursor past them, in one
 * transaction, only while `holder` still holds the lease. False: the lease was lost and nothing changed.
 */
export async function recordPart(db: D1Database, holder: string, now: number, p: VerifiedPart): Promise<boolean> {
  const leased = 'EXISTS (SELECT 1 FROM archive_state WHERE id = 1 AND lease_holder = ?1 AND lease_until > ?2)';
  const [part] = await db.batch([
    db
      .prepare(
        `INSERT INTO archive_parts (day, object_key, schema, order_count, row_count, bytes, sha256, state, verified_at, history)
         SELECT ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'INDEXED', ?10, ?11 WHERE ${leased}`,
      )
      .bind(holder, now, p.day, p.objectKey, p.schema, p.orderCount, p.rowCount, p.bytes, p.sha256, new Date(now).toISOString(), p.history ? 1 : 0),
    db
      .prepare(
        `INSERT INTO archive_lookup (number, kind, day, part, pos, len)
         SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), p.day, p.id, json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]')
         FROM json_each(?2) j, archive_parts p WHERE p.object_key = ?1
         ON CONFLICT (number, kind) DO UPDATE SET day = excluded.day, part = excluded.part, pos = excluded.pos, len = excluded.len`,
      )
      .bind(p.objectKey, JSON.stringify(p.lookups)),
    db
      .prepare(
        `INSERT OR REPLACE INTO archive_pending (part, out_trade_no, fence)
         SELECT p.id, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]') FROM json_each(?2) j, archive_parts p WHERE p.object_key = ?1`,
      )
      .bind(p.objectKey, JSON.stringify(p.pending)),
    db
      .prepare(
        `INSERT OR REPLACE INTO archive_refunds (out_refund_no, out_trade_no)
         SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]') FROM json_each(?2) j, archive_parts p WHERE p.object_key = ?1`,
      )
      .bind(p.objectKey, JSON.stringify(p.refunds)),
    db
      .prepare(
        `INSERT OR IGNORE INTO archive_days (day, part, pos, len)
         SELECT json_extract(j.value, '$[0]'), p.id, json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]')
         FROM json_each(?2) j, archive_parts p WHERE p.object_key = ?1`,
      )
      .bind(p.objectKey, JSON.stringify(p.billDays)),
    db
      .prepare(
        `UPDATE archive_state SET ${CURSOR_COLUMNS[p.history ? 'history' : 'archive'].join(' = ?2, ')} = ?3
         WHERE id = 1 AND EXISTS (SELECT 1 FROM archive_parts WHERE object_key = ?1)`,
      )
      .bind(p.objectKey, storedCursorAt(p.cursor), p.cursor.no),
  ]);
  return part?.meta.changes === 1;
}

/** The oldest part whose orders are not all deleted yet (history: only their history goes). */
export async function openPart(db: D1Database): Promise<{ id: number; history: boolean } | null> {
  const r = await db.prepare(`SELECT id, history FROM archive_parts WHERE state = 'INDEXED' ORDER BY id LIMIT 1`).first<{ id: number; history: number }>();
  return r ? { id: r.id, history: r.history === 1 } : null;
}

const DOOMED = `(SELECT out_trade_no FROM archive_pending WHERE part = ?1 AND doomed = 1)`;

/**
 * Deletes up to `limit` orders of the part with all their rows, in one transaction. An order goes only
 * while its lookup row names this verified part, it is still final and its fence still matches the rows
 * archived. A history part deletes only the history tables' rows and marks the order row with the part
 * (keeping the paying attempt's trade type), in the same transaction. Returns how many orders went
 * (0: none left that may go).
 */
export async function deleteChunk(db: D1Database, webhooks: boolean, part: { id: number; history: boolean }, limit: number): Promise<number> {
  const eligible = part.history ? historyEligibleSql(webhooks) : eligibleSql(webhooks);
  const mark = db
    .prepare(
      `UPDATE archive_pending SET doomed = 1 WHERE part = ?1 AND out_trade_no IN (
         SELECT ap.out_trade_no FROM archive_pending ap
         JOIN archive_lookup l ON l.number = ap.out_trade_no AND l.kind = 0 AND l.part = ap.part
         JOIN archive_parts p ON p.id = ap.part AND p.state = 'INDEXED' AND p.verified_at IS NOT NULL
         JOIN orders o ON o.${ORDER_KEY} = ap.out_trade_no
         WHERE ap.part = ?1 AND ap.doomed = 0 AND ${eligible} AND (${FENCE_SQL}) = ap.fence
         ORDER BY ap.out_trade_no LIMIT ?2)`,
    )
    .bind(part.id, limit);
  const marks = part.history
    ? [
        db
          .prepare(
            `UPDATE orders SET history_part = ?1,
               history_trade_type = (SELECT a.trade_type FROM payment_attempts a WHERE a.payment_no = orders.payment_no)
             WHERE ${ORDER_KEY} IN ${DOOMED}`,
          )
          .bind(part.id),
      ]
    : [];
  const tables = part.history ? HISTORY_TABLES : ARCHIVED_TABLES;
  const deletes = [...tables].reverse().map((t) => db.prepare(rowsOfOrdersSql(t, DOOMED).replace(/^SELECT \*/, 'DELETE')).bind(part.id));
  const done = db.prepare('DELETE FROM archive_pending WHERE part = ?1 AND doomed = 1').bind(part.id);
  const [marked] = await db.batch([mark, ...marks, ...deletes, done]);
  return marked?.meta.changes ?? 0;
}

/** The part is finished: orders whose fence no longer matched stay in D1 (the next sweep archives them again). */
export async function finishPart(db: D1Database, part: number, now: number): Promise<void> {
  await db.batch([
    db.prepare('DELETE FROM archive_pending WHERE part = ?1').bind(part),
    db.prepare(`UPDATE archive_parts SET state = 'DONE', done_at = ?2 WHERE id = ?1 AND state = 'INDEXED'`).bind(part, new Date(now).toISOString()),
  ]);
}

export interface LookupHit {
  number: string;
  kind: number;
  part: number;
  day: number;
  object_key: string;
  pos: number;
  len: number;
}

/** Where an order number (kind 0) or a payment number (kind 1) was archived, if it was. */
export async function lookupNumber(db: D1Database, number: string): Promise<LookupHit | null> {
  return db
    .prepare(
      `SELECT l.number, l.kind, l.part, l.day, p.object_key, l.pos, l.len FROM archive_lookup l JOIN archive_parts p ON p.id = l.part
       WHERE l.number = ?1 ORDER BY l.kind LIMIT 1`,
    )
    .bind(number)
    .first<LookupHit>();
}

/** Archived members, by where they are: a part's object and their [pos, len] in it. */
export interface PartMembers {
  part: number;
  objectKey: string;
  bytes: number;
  members: { pos: number; len: number }[];
}

/** The first part after `afterPart` with members that have something on Beijing day `day` (yyyymmdd), with those members. */
export async function nextPartOfDay(db: D1Database, day: number, afterPart: number): Promise<PartMembers | null> {
  const r = await db
    .prepare(
      `SELECT d.part, p.object_key AS objectKey, p.bytes, json_group_array(json_array(d.pos, d.len)) AS members
       FROM archive_days d JOIN archive_parts p ON p.id = d.part
       WHERE d.day = ?1 AND d.part = (SELECT MIN(part) FROM archive_days WHERE day = ?1 AND part > ?2) GROUP BY d.part`,
    )
    .bind(day, afterPart)
    .first<{ part: number; objectKey: string; bytes: number; members: string }>();
  if (!r) return null;
  const members = (JSON.parse(r.members) as [number, number][]).map(([pos, len]) => ({ pos, len }));
  return { part: r.part, objectKey: r.objectKey, bytes: r.bytes, members };
}

/**
 * Of these order numbers read from `part`, those whose archived copy there is the current one: the lookup
 * row names this part (a later archive of the order moves it) and the order is not in D1 (restored, or
 * not deleted yet: D1 is then the truth).
 */
export async function currentInPart(db: D1Database, part: number, orderNos: readonly string[]): Promise<Set<string>> {
  if (orderNos.length === 0) return new Set();
  const { results } = await db
    .prepare(
      `SELECT j.value AS no FROM json_each(?2) j
       WHERE EXISTS (SELECT 1 FROM archive_lookup l WHERE l.number = j.value AND l.kind = 0 AND l.part = ?1)
         AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.${ORDER_KEY} = j.value)`,
    )
    .bind(part, JSON.stringify(orderNos))
    .all<{ no: string }>();
  return new Set(results.map((r) => r.no));
}

/** Where each of these numbers (orders' or attempts' payment numbers) is archived, grouped by part. */
export async function lookupNumbers(db: D1Database, numbers: readonly string[]): Promise<Map<number, PartMembers & { numbers: string[] }>> {
  const out = new Map<number, PartMembers & { numbers: string[] }>();
  if (numbers.length === 0) return out;
  const { results } = await db
    .prepare(
      `SELECT l.number, l.part, p.object_key AS objectKey, p.bytes, l.pos, l.len FROM json_each(?1) j
       JOIN archive_lookup l ON l.number = j.value AND l.kind = (SELECT MIN(kind) FROM archive_lookup WHERE number = j.value)
       JOIN archive_parts p ON p.id = l.part`,
    )
    .bind(JSON.stringify([...new Set(numbers)]))
    .all<{ number: string; part: number; objectKey: string; bytes: number; pos: number; len: number }>();
  for (const r of results) {
    const g = out.get(r.part) ?? { part: r.part, objectKey: r.objectKey, bytes: r.bytes, members: [], numbers: [] };
    g.members.push({ pos: r.pos, len: r.len });
    g.numbers.push(r.number);
    out.set(r.part, g);
  }
  return out;
}

/** The order an archived refund belongs to, by the refund's own number (archive_refunds). */
export async function orderOfArchivedRefund(db: D1Database, outRefundNo: string): Promise<string | null> {
  return db.prepare('SELECT out_trade_no FROM archive_refunds WHERE out_refund_no = ?1').bind(outRefundNo).first<string>('out_trade_no');
}
