// An order past the hot window, read from the R2 archive (docs/scaling.md §6): the same rows the D1
// tables held, so the same views render it; it is read-only until a refund brings it back.
import { readArchivedOrder } from '../archive';
import type { GatewayDeps } from '../platform/deps';
import { attemptOfStored, type PaymentAttemptRow } from './attempts-repo';
import { orderOfStored, type OrderRow } from './orders-repo';

export interface ArchivedOrderRows {
  row: OrderRow;
  attempts: PaymentAttemptRow[];
  /** The other tables' rows as archived (refunds, ledger, notifications, anomalies, events, event_attempts). */
  rows: Record<string, Record<string, unknown>[]>;
}

/** The archived order with this out_trade_no, or null (never archived, or the number is an attempt's). */
export async function archivedOrder(deps: Pick<GatewayDeps, 'db' | 'archive'>, outTradeNo: string): Promise<ArchivedOrderRows | null> {
  const found = await readArchivedOrder(deps.db, deps.archive, outTradeNo);
  const archived = found?.rows.orders?.[0] as Record<string, unknown> | undefined;
  if (found?.kind !== 0 || !archived) return null;
  // The order's times as the hot reads show them (epoch ms since 0018; ISO text in an object archived before).
  const stored = orderOfStored(archived);
  // Attempt times as the hot reads show them (epoch ms since 0015; ISO text in an object archived before).
  const attempts = (found.rows.payment_attempts ?? []).map((a) => attemptOfStored(a as Record<string, unknown>));
  // getOrder joins the paying attempt's trade_type (ORDER_COLUMNS); the archived row is the table's own.
  const row = { ...stored, trade_type: attempts.find((a) => a.payment_no === stored.payment_no)?.trade_type ?? null };
  return { row, attempts, rows: found.rows as Record<string, Record<string, unknown>[]> };
}
