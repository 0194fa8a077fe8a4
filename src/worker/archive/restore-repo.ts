// An archived order brought back into D1 (a refund after archiving): its rows inserted by their column
// names, parents first, in one transaction, and only while the order is not in D1 already. Idempotent:
// a second call, or a call for an order that never left, inserts nothing. The caller holds the order's
// OrderGate lock, so nothing else writes the order meanwhile. A later run may archive it again.
import type { ArchiveRows } from '../../core';
import { storedMsOf, type StoredTime } from '../platform/stored-time';
import { ARCHIVED_TABLES, ORDER_KEY } from './archived-tables-repo';

export async function restoreArchivedRows(db: D1Database, outTradeNo: string, rows: ArchiveRows): Promise<'RESTORED' | 'HOT'> {
  const absent = `NOT EXISTS (SELECT 1 FROM orders WHERE ${ORDER_KEY} = ?)`;
  const statements: D1PreparedStatement[] = [];
  for (const t of ARCHIVED_TABLES) {
    for (const row of rows[t.name] ?? []) {
      const cols = Object.keys(row);
      const values = cols.map((c) => (t.msTimes?.includes(c) ? storedMsOf((row[c] ?? null) as StoredTime | null) : (row[c] ?? null)));
      const sql =
        t.name === 'orders'
          ? `INSERT INTO orders (${cols.join(', ')}) SELECT ${cols.map(() => '?').join(', ')} WHERE ${absent}`
          : `INSERT OR IGNORE INTO ${t.name} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
      statements.push(db.prepare(sql).bind(...values, ...(t.name === 'orders' ? [outTradeNo] : [])));
    }
  }
  if (statements.length === 0 || rows.orders?.[0]?.[ORDER_KEY] !== outTradeNo) throw new Error('the archived rows are not this order');
  const [order] = await db.batch(statements);
  return order?.meta.changes === 1 ? 'RESTORED' : 'HOT';
}
