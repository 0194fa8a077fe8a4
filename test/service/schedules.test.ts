// When the lifecycle cron looks at an order, and when a failed webhook is tried again: pure decisions,
// in Node. (The two schedule tests moved here from lifecycle-cron and webhooks-delivery, which ran them
// in workerd without touching a binding; those files still prove the cron and the queue act on them.)
import { describe, expect, it } from 'vitest';
import { checkPointAfter, closeDueAt } from '../../src/worker/lifecycle/schedule';
import { planOrder } from '../../src/worker/lifecycle/tick';
import type { LifecycleRow } from '../../src/worker/lifecycle/lifecycle-repo';
import { PREPAY_LIFETIME_MS } from '../../src/worker/orders/sync';
import { nextAttemptAt, RETRY_DELAYS_MS, RETRY_WINDOW_MS, retryDelayMs } from '../../src/worker/webhooks/schedule';
import { orderRow } from '../support/fakes';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('the lifecycle check schedule', () => {
  it('checks at 1, 2, 5, 10 and 30 minutes after the prepay, then every 30 minutes, until the close is due', () => {
    const points: number[] = [];
    let t = 0;
    for (let i = 0; i < 8; i++) {
      t = checkPointAfter(0, t);
      points.push(t);
    }
    expect(points.map((p) => p / MIN)).toEqual([1, 2, 5, 10, 30, 60, 90, 120]);
    expect(checkPointAfter(0, 31 * MIN) / MIN).toBe(60);
    expect(closeDueAt(0, 2 * MIN)).toBe(5 * MIN); // never before WeChat's 5-minute rule
    expect(closeDueAt(0, 30 * MIN)).toBe(30 * MIN);
  });
});

describe('planOrder: what an open order needs now, from its row alone', () => {
  const T0 = Date.parse('2026-05-01T02:00:00.000Z'); // the prepay was issued then
  const row = (o: Partial<LifecycleRow> = {}): LifecycleRow => ({
    ...orderRow({ created_at: iso(T0), updated_at: iso(T0), expires_at: iso(T0 + 60 * MIN), prepay_expires_at: iso(T0 + PREPAY_LIFETIME_MS) }),
    next_check_at: null,
    check_count: 0,
    ...o,
  });

  it('a NOTPAY order never looked at: scheduled for its first check point, checked once it is due', () => {
    expect(planOrder(row(), T0 + 30_000)).toEqual({ kind: 'SCHEDULE', next: T0 + MIN });
    expect(planOrder(row(), T0 + MIN)).toEqual({ kind: 'CHECK', due: T0 + MIN, next: T0 + 2 * MIN });
  });

  it('a missed check point is checked late, and the next one is the first after now', () => {
    expect(planOrder(row({ next_check_at: iso(T0 + 5 * MIN) }), T0 + 7 * MIN)).toEqual({ kind: 'CHECK', due: T0 + 5 * MIN, next: T0 + 10 * MIN });
  });

  it('the next check never lies past the close', () => {
    expect(planOrder(row({ next_check_at: iso(T0 + 30 * MIN) }), T0 + 31 * MIN)).toEqual({ kind: 'CHECK', due: T0 + 30 * MIN, next: T0 + 60 * MIN });
    expect(planOrder(row({ expires_at: iso(T0 + 45 * MIN), next_check_at: iso(T0 + 30 * MIN) }), T0 + 31 * MIN)).toMatchObject({ next: T0 + 45 * MIN });
  });

  it('expired → CLOSE (due at expiry, never before 5 minutes after creation), whatever the check schedule says', () => {
    expect(planOrder(row(), T0 + 60 * MIN)).toEqual({ kind: 'CLOSE', due: T0 + 60 * MIN });
    expect(planOrder(row({ expires_at: iso(T0 + MIN) }), T0 + 3 * MIN)).toEqual({ kind: 'CHECK', due: T0 + MIN, next: T0 + 5 * MIN });
    expect(planOrder(row({ expires_at: iso(T0 + MIN) }), T0 + 5 * MIN)).toEqual({ kind: 'CLOSE', due: T0 + 5 * MIN });
  });

  it('a CREATED order (no prepay) is only scheduled for its close', () => {
    expect(planOrder(row({ status: 'CREATED', prepay_id: null, prepay_expires_at: null }), T0 + 10 * MIN)).toEqual({ kind: 'SCHEDULE', next: T0 + 60 * MIN });
    expect(planOrder(row({ status: 'CREATED', prepay_id: null, prepay_expires_at: null }), T0 + 60 * MIN)).toEqual({ kind: 'CLOSE', due: T0 + 60 * MIN });
  });

  it('a CLOSING order younger than a minute is a close in flight: left alone; older, it is stuck and acted on', () => {
    const closing = row({ status: 'CLOSING', updated_at: iso(T0 + 60 * MIN) });
    expect(planOrder(closing, T0 + 60 * MIN + 59_999)).toEqual({ kind: 'NONE' });
    expect(planOrder(closing, T0 + 61 * MIN)).toEqual({ kind: 'CLOSE', due: T0 + 60 * MIN });
  });
});

describe('the webhook retry schedule and the 3-day window', () => {
  it("Svix's schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), then every 12 h, while inside 3 days", () => {
    expect(RETRY_DELAYS_MS.map((ms) => ms / 1000)).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(retryDelayMs(8)).toBe(12 * 3600_000);
    expect(retryDelayMs(20)).toBe(12 * 3600_000);
    // walk a never-answering receiver: attempt times from the window's start
    const times = [0];
    for (let n = 1; ; n++) {
      const next = nextAttemptAt(0, n, times[times.length - 1]!);
      if (next === null) break;
      times.push(next);
    }
    expect(times.map((t) => t / 1000)).toEqual([0, 5, 305, 2105, 9305, 27305, 63305, 99305, 142505, 185705, 228905]);
    expect(times[times.length - 1]! + 12 * 3600_000).toBeGreaterThan(RETRY_WINDOW_MS);
    // every delay fits Queues' 12 h maximum
    for (let n = 1; n < 20; n++) expect(retryDelayMs(n)).toBeLessThanOrEqual(43_200_000);
  });
});
