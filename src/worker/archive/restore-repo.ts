// An archived order brought back into D1 (a refund after archiving): its rows inserted by their column
// names, parents first, in one transaction, and only while the order is not in D1 already. An order
// whose history alone moved (HISTORY_DAYS) gets its history rows back from the member its lookup row
// names (the history's part, or a later whole-order part whose delete skipped it: a superset) and loses
// its mark, also in one transaction and only while the mark is still the one read. Idempotent: a second call, or a call
// for an order that never left, inserts nothing. The caller holds the order's OrderGate lock, so nothing
// else writes the order meanwhile. A later run may archive it, or move its history, again.
import type { ArchiveRows } from '../../core';
import { storedMsOf, type StoredTime } from '../platform/stored-time';
import { ARCHIVED_TABLES, type ArchivedTable, HISTORY_TABLES, ORDER_KEY } from './archived-tables-repo';

export async function restoreArchivedRows(db: D1Database, outTradeNo: string, part: number, rows: ArchiveRows): Promise<'RESTORED' | 'HOT'> {
  if (rows.orders?.[0]?.[ORDER_KEY] !== outTradeNo) throw new Error('the archived rows are not this order');
  const hot = await db.prepare(`SELECT history_part FROM orders WHERE ${ORDER_KEY} = ?1`).bind(outTradeNo).first<{ history_part: number | null }>();
  // Its history away: the member the lookup names holds it, whether the history's own part or a later
  // one of the whole order (a superset); the restore is conditional on the mark as read here.
  if (hot && hot.history_part == null) return 'HOT';
  if (hot && part < hot.history_part!) throw new Error('the archived member is older than the order history it would restore');
  const mark = hot?.history_part ?? part;
  const statements: D1PreparedStatement[] = [];
  if (!hot) {
    const absent = `NOT EXISTS (SELECT 1 FROM orders WHERE ${ORDER_KEY} = ?)`;
    for (const t of ARCHIVED_TABLES) {
      for (const row of rows[t.name] ?? []) {
        const [cols, values] = columnsOf(t, row);
        const sql =
          t.name === 'orders'
            ? `INSERT INTO orders (${cols.join(', ')}) SELECT ${cols.map(() => '?').join(', ')} WHERE ${absent}`
            : `INSERT OR IGNORE INTO ${t.name} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
        statements.push(db.prepare(sql).bind(...values, ...(t.name === 'orders' ? [outTradeNo] : [])));
      }
    }
    const [order] = await db.batch(statements);
    return order?.meta.changes === 1 ? 'RESTORED' : 'HOT';
  }
  // The order stayed: only its history comes back, while the mark is the one read; then the mark goes.
  const marked = `EXISTS (SELECT 1 FROM orders WHERE ${ORDER_KEY} = ? AND history_part = ?)`;
  for (const t of HISTORY_TABLES) {
    for (const row of rows[t.name] ?? []) {
      const [cols, values] = columnsOf(t, row);
      const sql = `INSERT OR IGNORE INTO ${t.name} (${cols.join(', ')}) SELECT ${cols.map(() => '?').join(', ')} WHERE ${marked}`;
      statements.push(db.prepare(sql).bind(...values, outTradeNo, mark));
    }
  }
  statements.push(
    db.prepare(`UPDATE orders SET history_part = NULL, history_trade_type = NULL WHERE ${ORDER_KEY} = ?1 AND history_part = ?2`).bind(outTradeNo, mark),
  );
  const results = await db.batch(statements);
  return results[results.length - 1]?.meta.changes === 1 ? 'RESTORED' : 'HOT';
}

/** A row's columns and values to insert (an older object's ISO times stored as ms). */
function columnsOf(t: ArchivedTable, row: ArchiveRows[string][number]): [string[], unknown[]] {
  const cols = Object.keys(row);
  return [cols, cols.map((c) => (t.msTimes?.includes(c) ? storedMsOf((row[c] ?? null) as StoredTime | null) : (row[c] ?? null)))];
}
