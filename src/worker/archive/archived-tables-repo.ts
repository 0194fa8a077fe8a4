// What an archived order is made of, in one place: the tables, how each row belongs to its order, what
// marks a change, and when an order is final enough to leave D1. Rows are read with SELECT * and restored
// by their column names, so a column added or dropped by a later migration needs no change here; a table
// added, or an order key renamed, does.
import type { ArchiveRow, ArchiveRows } from '../../core';

export interface ArchivedTable {
  readonly name: string;
  /** The column naming the order (direct children), or the parent it hangs from. */
  readonly link: { readonly column: string } | { readonly column: string; readonly parent: string; readonly parentKey: string };
  /** A column whose MAX moves whenever a row is changed in place (the delete fence); absent: rows never change. */
  readonly changes?: string;
  /** Times stored as epoch ms since a migration after the archive began (0015, 0018): a restore stores an older object's ISO text as ms. */
  readonly msTimes?: readonly string[];
  /** The row's own key: a history merge matches archived rows with D1's by it (D1's copy wins). */
  readonly key: string;
  /** Stays in D1 when only the order's history moves (HISTORY_DAYS); leaves with the order at HOT_DAYS. */
  readonly stays?: true;
}

/** Parents before children: the order restores are inserted in; deletes go the other way (foreign keys). */
export const ARCHIVED_TABLES: readonly ArchivedTable[] = [
  {
    name: 'orders',
    link: { column: 'out_trade_no' },
    changes: 'updated_at',
    key: 'out_trade_no',
    stays: true,
    msTimes: ['prepay_expires_at', 'paid_at', 'closed_at', 'last_notify_at', 'last_synced_at', 'expires_at', 'created_at', 'updated_at', 'next_check_at'],
  },
  {
    name: 'payment_attempts',
    link: { column: 'out_trade_no' },
    changes: 'updated_at',
    key: 'payment_no',
    msTimes: ['expires_at', 'paid_at', 'closed_at', 'created_at', 'updated_at'],
  },
  {
    name: 'refunds',
    link: { column: 'out_trade_no' },
    changes: 'updated_at',
    key: 'out_refund_no',
    stays: true,
    msTimes: ['last_attempt_at', 'last_synced_at', 'created_at', 'updated_at', 'succeeded_at'],
  },
  { name: 'ledger', link: { column: 'out_trade_no' }, key: 'id' },
  { name: 'notifications', link: { column: 'out_trade_no' }, key: 'id' },
  { name: 'anomalies', link: { column: 'out_trade_no' }, changes: 'acknowledged_at', key: 'id', stays: true },
  { name: 'events', link: { column: 'out_trade_no' }, changes: 'window_started_at', key: 'seq' },
  { name: 'event_attempts', link: { column: 'event_seq', parent: 'events', parentKey: 'seq' }, key: 'id' },
];

export const TABLE_NAMES: readonly string[] = ARCHIVED_TABLES.map((t) => t.name);

/** An order's history: what moves to R2 after HISTORY_DAYS while the order row stays hot. */
export const HISTORY_TABLES: readonly ArchivedTable[] = ARCHIVED_TABLES.filter((t) => !t.stays);

/** The orders column the day and the sweep's keyset are taken from (epoch ms since 0018). */
export const ORDER_TIME = 'created_at';
export const ORDER_KEY = 'out_trade_no';

/** Other numbers an order is known by: each attempt's payment_no that differs from its order's (lookup kind 1). */
export const ALIASES = { table: 'payment_attempts', column: 'payment_no' } as const;

/**
 * SQL true while the order `o` is final: nothing left for the gateway to move (no payable attempt, no
 * open refund and, when webhooks are on, no undelivered event). Only such orders are archived, and deleted.
 * Without WEBHOOK_URL events are only recorded, never delivered, so they cannot hold an order back.
 */
export function eligibleSql(webhooks: boolean): string {
  return `o.status NOT IN ('CREATED','NOTPAY','CLOSING','REFUNDING')
  AND NOT EXISTS (SELECT 1 FROM payment_attempts a WHERE a.out_trade_no = o.out_trade_no AND a.status IN ('PENDING','REFUNDING'))
  AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.out_trade_no = o.out_trade_no AND r.status IN ('SUBMITTING','PROCESSING'))${
    webhooks
      ? `
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.out_trade_no = o.out_trade_no AND e.status = 'pending')`
      : ''
  }`;
}

/**
 * SQL true while the history of order `o` may leave D1 before the order does: final as above, paid
 * (a closed order can still take a late payment, whose commit writes its attempt), and paid only through
 * its own number, so the order row alone tells reconciliation and a notify what they need (no duplicate
 * payment, no attempt number other than the order's). With webhooks on, every event of it delivered: a
 * failed one stays in the events feed for the merchant to catch up on and redeliver.
 */
export function historyEligibleSql(webhooks: boolean): string {
  return `o.history_part IS NULL AND o.status IN ('PAID','PAID_AFTER_CLOSE','PARTIALLY_REFUNDED','REFUNDED')
  AND NOT EXISTS (SELECT 1 FROM payment_attempts a WHERE a.out_trade_no = o.out_trade_no AND a.payment_no <> o.out_trade_no)${
    webhooks
      ? `
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.out_trade_no = o.out_trade_no AND e.status <> 'delivered')`
      : ''
  }
  AND ${eligibleSql(webhooks)}`;
}

/**
 * An order's rows with its moved history put back: the archived rows of each history table (D1's copy
 * where it has one), then D1's rows not among them (a notify recorded after the move). The order, refund
 * and anomaly rows are D1's.
 */
export function withHistory(hot: ArchiveRows, archived: ArchiveRows): ArchiveRows {
  const out = Object.create(null) as ArchiveRows;
  for (const t of ARCHIVED_TABLES) {
    const d1 = hot[t.name] ?? [];
    if (t.stays) {
      // The order row's mark pointed at the history this member now holds itself.
      const rows = t.name === 'orders' ? d1.map((r) => ({ ...r, history_part: null, history_trade_type: null })) : d1;
      if (rows.length) out[t.name] = rows;
      continue;
    }
    // D1's copy wins where both have a row (only a restore puts one back, and D1's is never older).
    const moved = archived[t.name] ?? [];
    const hotByKey = new Map(d1.map((r) => [r[t.key], r]));
    const keys = new Set(moved.map((r) => r[t.key]));
    const rows = [...moved.map((r) => hotByKey.get(r[t.key]) ?? r), ...d1.filter((r) => !keys.has(r[t.key]))];
    if (rows.length) out[t.name] = rows;
  }
  return out;
}

/** The rows of `t` belonging to the orders whose numbers are the JSON array bound as ?1. */
export function rowsOfOrdersSql(t: ArchivedTable, orderNos = '(SELECT value FROM json_each(?1))'): string {
  if ('parent' in t.link) {
    const parent = ARCHIVED_TABLES.find((p) => p.name === (t.link as { parent: string }).parent)!;
    return `SELECT * FROM ${t.name} WHERE ${t.link.column} IN (SELECT ${t.link.parentKey} FROM ${parent.name} WHERE ${parent.link.column} IN ${orderNos})`;
  }
  return `SELECT * FROM ${t.name} WHERE ${t.link.column} IN ${orderNos}`;
}

/** The same rows for one order `o` (its number as `o.out_trade_no`), as a WHERE target. */
function rowsOfOrderWhere(t: ArchivedTable): string {
  if ('parent' in t.link) {
    const parent = ARCHIVED_TABLES.find((p) => p.name === (t.link as { parent: string }).parent)!;
    return `${t.link.column} IN (SELECT ${t.link.parentKey} FROM ${parent.name} WHERE ${parent.link.column} = o.${ORDER_KEY})`;
  }
  return `${t.link.column} = o.${ORDER_KEY}`;
}

/**
 * The fence of order `o` in SQL: per table, its row count and the MAX of its change column. A delete
 * goes ahead only while it equals the fence of the rows that were archived (`fenceOf`): a row added or
 * changed after the read (a late refund, a duplicate notify, an acknowledged anomaly) keeps the order in D1.
 */
export const FENCE_SQL = ARCHIVED_TABLES.map(
  (t) => `(SELECT COUNT(*) || ':' || COALESCE(MAX(${t.changes ?? 'NULL'}), '') FROM ${t.name} WHERE ${rowsOfOrderWhere(t)})`,
).join(` || '|' || `);

function maxOf(rows: readonly ArchiveRow[], column: string | undefined): string {
  if (!column) return '';
  let max: ArchiveRow[string] = null;
  for (const r of rows) {
    const v = r[column] ?? null;
    if (v === null || v instanceof Uint8Array) continue;
    if (max === null || (typeof v === 'number' && typeof max === 'number' ? v > max : String(v) > String(max))) max = v;
  }
  return max === null ? '' : String(max);
}

/** The same fence computed from the rows read for the archive. */
export function fenceOf(rows: ArchiveRows): string {
  return ARCHIVED_TABLES.map((t) => `${(rows[t.name] ?? []).length}:${maxOf(rows[t.name] ?? [], t.changes)}`).join('|');
}

/** Groups rows read for many orders by order number (children through their parent's key). */
export function groupByOrder(read: Record<string, ArchiveRow[]>): Map<string, ArchiveRows> {
  const out = new Map<string, ArchiveRows>();
  const ownerOf = new Map<string, Map<unknown, string>>();
  for (const t of ARCHIVED_TABLES) {
    const childKeys = ARCHIVED_TABLES.flatMap((c) => ('parent' in c.link && c.link.parent === t.name ? [c.link.parentKey] : []));
    const owners = new Map<unknown, string>();
    ownerOf.set(t.name, owners);
    for (const r of read[t.name] ?? []) {
      const link = t.link;
      const no = 'parent' in link ? ownerOf.get(link.parent)?.get(r[link.column]) : r[link.column];
      if (typeof no !== 'string') continue;
      for (const k of childKeys) owners.set(r[k], no);
      const rows = out.get(no) ?? (Object.create(null) as ArchiveRows);
      const list = rows[t.name] ?? [];
      list.push(r);
      rows[t.name] = list;
      out.set(no, rows);
    }
  }
  return out;
}
