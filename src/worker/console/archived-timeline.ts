// 订单详情 of an order past the hot window: the archived rows in the shape orderTimelineRows gives,
// ordered as its queries order them. Read-only, except that a refund restores the order first.
import { archivedOrder } from '../orders';
import type { GatewayDeps } from '../platform/deps';
import { storedIso, type StoredTime } from '../platform/stored-time';
import { refundOfStored } from '../refunds';
import { attemptOf } from '../webhooks';
import type { orderTimelineRows } from './console-repo';

type Timeline = Awaited<ReturnType<typeof orderTimelineRows>>;

const by =
  (...keys: string[]) =>
  (a: Record<string, unknown>, b: Record<string, unknown>) => {
    for (const k of keys) {
      const [x, y] = [a[k], b[k]];
      if (x !== y) return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) < 0 ? -1 : 1;
    }
    return 0;
  };

export async function archivedTimeline(deps: Pick<GatewayDeps, 'db' | 'archive'>, outTradeNo: string): Promise<Timeline | null> {
  const a = await archivedOrder(deps, outTradeNo);
  if (!a) return null;
  const rows = (t: string) => [...(a.rows[t] ?? [])];
  // As the hot queries shape them: times stored as epoch ms shown as ISO instants, an attempt named by its event's id.
  const events = rows('events').sort(by('seq'));
  const eventId = new Map(events.map((e) => [e.seq, e.id]));
  return {
    order: a.row,
    notifications: rows('notifications')
      .sort(by('id'))
      .map((n) => ({ ...n, received_at: storedIso(n.received_at as StoredTime) })),
    refunds: rows('refunds')
      .map(refundOfStored)
      .sort((x, y) => by('created_at', 'out_refund_no')(x as never, y as never)),
    anomalies: rows('anomalies').sort(by('created_at', 'id')),
    events,
    attempts: rows('event_attempts')
      .sort(by('id'))
      .map((r) => attemptOf({ ...(r as unknown as Parameters<typeof attemptOf>[0]), event_id: String(eventId.get(r.event_seq) ?? '') })),
    payments: [...a.attempts].sort((x, y) => by('created_at', 'payment_no')(x as never, y as never)),
  } as unknown as Timeline;
}

/**
 * 订单详情 of an order whose history moved before it (HISTORY_DAYS): the order, its refunds and
 * anomalies from D1; its attempts, notifies and webhook events from the part, with any D1 recorded since.
 */
export async function timelineWithHistory(deps: Pick<GatewayDeps, 'db' | 'archive'>, hot: Timeline): Promise<Timeline> {
  const moved = hot.order?.history_part == null ? null : await archivedTimeline(deps, hot.order.out_trade_no);
  if (!moved) return hot;
  const union = <T>(archived: T[], d1: T[], key: (x: T) => unknown) => {
    const seen = new Set(archived.map(key));
    return [...archived, ...d1.filter((x) => !seen.has(key(x)))];
  };
  return {
    ...hot,
    notifications: union(moved.notifications, hot.notifications, (n) => n.id),
    events: union(moved.events, hot.events, (e) => e.seq),
    attempts: union(moved.attempts, hot.attempts, (a) => a.id),
    payments: union(moved.payments, hot.payments, (p) => p.payment_no),
  };
}
