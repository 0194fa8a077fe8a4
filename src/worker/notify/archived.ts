// A notify naming an order past the hot window (docs/scaling.md §6) is not about an unknown order: the
// order comes back into D1 through its OrderGate, and the notify is judged as any other (a replay is a
// duplicate, another transaction a conflict). An order whose history alone moved (HISTORY_DAYS) gets its
// history back the same way, so the checks see its payment attempt.
import { readArchivedOrder } from '../archive';
import { orderOfPaymentNo } from '../orders';
import type { NotifyDeps } from '../platform/deps';

type Found = Awaited<ReturnType<typeof orderOfPaymentNo>>;

async function restoredArchived(deps: Pick<NotifyDeps, 'db' | 'gate' | 'archive'>, paymentNo: string): Promise<Found> {
  const archived = await readArchivedOrder(deps.db, deps.archive, paymentNo);
  const no = archived?.rows.orders?.[0]?.out_trade_no;
  if (typeof no !== 'string') return null;
  await deps.gate(no).restoreArchived(no);
  return orderOfPaymentNo(deps.db, paymentNo);
}

/** Restores of a history the nightly run keeps moving again in between, before the notify is retried. */
const HISTORY_RESTORES = 3;

/**
 * The order and attempt a notify's number names, with all their rows in D1; null when the number is
 * unknown. Never an order whose history is away: it would be judged without its attempt.
 */
export async function hotOrderOfPaymentNo(deps: Pick<NotifyDeps, 'db' | 'gate' | 'archive'>, paymentNo: string): Promise<Found> {
  let found = (await orderOfPaymentNo(deps.db, paymentNo)) ?? (await restoredArchived(deps, paymentNo));
  for (let i = 0; i < HISTORY_RESTORES; i++) {
    if (found?.order.history_part == null) return found;
    await deps.gate(found.order.out_trade_no).restoreArchived(found.order.out_trade_no);
    // Gone meanwhile: the whole order was archived in between; it comes back from there.
    found = (await orderOfPaymentNo(deps.db, paymentNo)) ?? (await restoredArchived(deps, paymentNo));
  }
  if (found?.order.history_part == null) return found;
  throw new Error('the order history moved again while being restored; the notify is retried');
}
