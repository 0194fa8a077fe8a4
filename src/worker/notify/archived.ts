// A notify naming an order past the hot window (docs/scaling.md §6) is not about an unknown order: the
// order comes back into D1 through its OrderGate, and the notify is judged as any other (a replay is a
// duplicate, another transaction a conflict). Reached only when the number is not in D1.
import { readArchivedOrder } from '../archive';
import { orderOfPaymentNo } from '../orders';
import type { NotifyDeps } from '../platform/deps';

export async function restoredArchived(deps: Pick<NotifyDeps, 'db' | 'gate' | 'archive'>, paymentNo: string): ReturnType<typeof orderOfPaymentNo> {
  const archived = await readArchivedOrder(deps.db, deps.archive, paymentNo);
  const no = archived?.rows.orders?.[0]?.out_trade_no;
  if (typeof no !== 'string') return null;
  await deps.gate(no).restoreArchived(no);
  return orderOfPaymentNo(deps.db, paymentNo);
}
