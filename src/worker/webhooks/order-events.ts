// GET /v1/orders/:out_trade_no/events: an order's webhook events with their delivery attempts, wherever
// they are: D1 while hot; the order's archive member once its history moved (HISTORY_DAYS) or the whole
// order did (HOT_DAYS), with anything D1 recorded since. The feed (GET /v1/events) covers D1 only.
import { archivedOrder, getOrder } from '../orders';
import type { GatewayDeps } from '../platform/deps';
import { DomainError } from '../platform/errors';
import { eventDetailOf } from './api';
import { attemptOf, type AttemptRow, type EventRow, eventsOfOrder, ORDER_OF_EVENT_COLUMNS } from './events-repo';

type Deps = Pick<GatewayDeps, 'db' | 'config' | 'archive'>;
type Row = Record<string, unknown>;

/** At most this many events of one order (an order has a handful: paid, refunds, anomalies, closed). */
const MAX_EVENTS = 100;

export async function orderEvents(deps: Deps, outTradeNo: string) {
  const hot = await getOrder(deps.db, outTradeNo);
  const d1 = hot ? await eventsOfOrder(deps.db, outTradeNo, MAX_EVENTS) : { events: [], attempts: [] };
  const archived = hot && hot.history_part == null ? null : await archivedOrder(deps, outTradeNo);
  if (!hot && !archived) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
  const moved = archived ? movedEvents(archived.rows) : { events: [], attempts: [] };
  const seen = new Set(moved.events.map((e) => e.seq));
  const events = [...moved.events, ...d1.events.filter((e) => !seen.has(e.seq))].sort((a, b) => a.seq - b.seq).slice(0, MAX_EVENTS);
  const attempts = [...moved.attempts, ...d1.attempts.filter((a) => !moved.attempts.some((m) => m.id === a.id))];
  return {
    data: await Promise.all(
      events.map((e) =>
        eventDetailOf(
          deps,
          e,
          attempts.filter((a) => a.event_id === e.id),
        ),
      ),
    ),
  };
}

/** The member's events in the shape the hot join gives (`o_*`: the order's set-once fields, from its archived row). */
function movedEvents(rows: Record<string, Row[]>): { events: EventRow[]; attempts: AttemptRow[] } {
  const order = rows.orders?.[0] ?? {};
  const paying = (rows.payment_attempts ?? []).find((a) => a.payment_no === order.payment_no);
  const joined = Object.fromEntries(
    ORDER_OF_EVENT_COLUMNS.map((c) => [`o_${c}`, c === 'trade_type' ? (paying?.trade_type ?? order.history_trade_type ?? null) : (order[c] ?? null)]),
  );
  const events = (rows.events ?? []).map((e) => ({ ...joined, ...e }) as unknown as EventRow);
  const idOf = new Map(events.map((e) => [e.seq, e.id]));
  const attempts = (rows.event_attempts ?? []).map((a) =>
    attemptOf({ ...(a as unknown as Parameters<typeof attemptOf>[0]), event_id: String(idOf.get(a.event_seq as number) ?? '') }),
  );
  return { events, attempts };
}
