// One tick of the lifecycle cron: missed notifies (verified orderquery), expiry (closeorder), stuck
// refunds (SUBMITTING resent under the same out_refund_no, PROCESSING past its notify window checked
// with refundquery), and the webhook outbox (events committed but not on the queue). Bounded: at most
// 50 WeChat calls, orders and refunds together, oldest due first. State changes only through the
// order's OrderGate (applyQueryResult / closeOrderFlow / applyRefundResult), and compare-and-set
// claims (next_check_at for orders, last_attempt_at / last_synced_at for refunds) keep two
// overlapping ticks off the same order or refund.
import { claimOrder, dueOrders, type LifecycleRow } from './lifecycle-repo';
import { CLOSE_MIN_AGE_MS } from '../channel';
import type { EventRef } from '../model';
import { failExpiredEvents, overdueEvents, rearm } from '../webhooks';
import type { GatewayDeps } from '../platform/deps';
import { DomainError } from '../platform/errors';
import { attemptsToClose, closeAttempt, closeOrderFlow, repairPaidAttempts } from '../orders';
import { PREPAY_LIFETIME_MS, syncOrder } from '../orders';
import type { RefundRow } from '../refunds';
import { advanceRefund, dueRefunds, REFUND_STEP_WORST_CALLS } from '../refunds';
import { RETRY_WINDOW_MS } from '../webhooks';
import { errorName, log } from '../platform/log';
import { checkPointAfter, closeDueAt } from './schedule';

/** WeChat calls per tick, at most. */
const MAX_WECHAT_CALLS_PER_TICK = 50;
/** Worst case per action: orderquery retries up to 3 times; a close may add a confirming orderquery. */
const WORST_CALLS = { CHECK: 3, CLOSE: 4 } as const;
/** Orders read per tick (bookkeeping included); the next tick takes the rest. */
const SCAN_LIMIT = 200;
/** A failed or unconfirmed close is tried again this much later. */
const CLOSE_RETRY_MS = 5 * 60_000;
/** A CLOSING order younger than this is a close in flight, not a stuck one. */
const CLOSING_GRACE_MS = 60_000;
/** A pending event whose message is this overdue was never enqueued, or its message was lost. */
const OUTBOX_GRACE_MS = 2 * 60_000;
const OUTBOX_BATCH = 100;

interface TickReport {
  checks: number;
  closes: number;
  paid: number;
  closed: number;
  scheduled: number;
  wechatCalls: number;
  budgetExhausted: boolean;
  eventsEnqueued: number;
  eventsExpired: number;
  /** SUBMITTING refunds sent again (same out_refund_no). */
  refundsResubmitted: number;
  /** PROCESSING refunds checked with refundquery. */
  refundsSynced: number;
  /** Refunds whose status changed this tick. */
  refundsMoved: number;
  /** Open attempts closed at WeChat because their order no longer needs them. */
  attemptsClosed: number;
}

type Plan = { kind: 'CHECK'; due: number; next: number } | { kind: 'CLOSE'; due: number } | { kind: 'SCHEDULE'; next: number } | { kind: 'NONE' };

const iso = (ms: number) => new Date(ms).toISOString();

/** What this order needs now, from its row alone. */
export function planOrder(row: LifecycleRow, nowMs: number): Plan {
  const closeDue = closeDueAt(Date.parse(row.created_at), Date.parse(row.expires_at));
  if (row.status === 'CLOSING' && nowMs - Date.parse(row.updated_at) < CLOSING_GRACE_MS) return { kind: 'NONE' };
  if (nowMs >= closeDue) return { kind: 'CLOSE', due: closeDue };
  if (row.status === 'CREATED' || !row.prepay_id || !row.prepay_expires_at) return { kind: 'SCHEDULE', next: closeDue };
  const issued = Date.parse(row.prepay_expires_at) - PREPAY_LIFETIME_MS;
  const due = row.next_check_at ? Date.parse(row.next_check_at) : checkPointAfter(issued, issued);
  if (due <= nowMs) return { kind: 'CHECK', due, next: Math.min(checkPointAfter(issued, nowMs), closeDue) };
  return { kind: 'SCHEDULE', next: Math.min(due, closeDue) };
}

/** The deps with a channel that counts the requests it sends to WeChat. */
function counted(deps: GatewayDeps): { deps: GatewayDeps; calls: () => number } {
  let n = 0;
  return { deps: { ...deps, channel: deps.channel.counted(() => (n += 1)) }, calls: () => n };
}

function warn(deps: GatewayDeps, event: string, outTradeNo: string, e: unknown): void {
  const detail = e instanceof DomainError ? { code: e.code } : { error: errorName(e) };
  (deps.log ?? log).warn(event, { outTradeNo, ...detail });
}

/** Missed notify: a verified orderquery; SUCCESS with our amount goes through the gate as a notify would. */
async function check(deps: GatewayDeps, row: LifecycleRow): Promise<boolean> {
  const outcome = await syncOrder(deps, row, true);
  return outcome === 'SYNC_PAID';
}

/** Expiry: closeorder → CLOSED (order.closed); ORDERPAID → verified query → PAID. True: the order is settled. */
async function close(deps: GatewayDeps, row: LifecycleRow): Promise<'CLOSED' | 'PAID' | 'OPEN'> {
  try {
    const status = await closeOrderFlow(deps, row);
    return status === 'CLOSED' ? 'CLOSED' : 'OPEN';
  } catch (e) {
    if (e instanceof DomainError && e.code === 'ORDER_PAID') return 'PAID';
    warn(deps, 'LIFECYCLE_CLOSE_FAILED', row.out_trade_no, e);
    return 'OPEN';
  }
}

type Work = { kind: 'ORDER'; due: number; row: LifecycleRow; plan: Plan } | { kind: 'REFUND'; due: number; row: RefundRow };

/** One refund step (resend or refundquery) through its claim and the order's gate. */
async function refundStep(deps: GatewayDeps, row: RefundRow, report: TickReport): Promise<void> {
  try {
    const { step, after } = await advanceRefund(deps, row);
    if (step === 'RESUBMITTED') report.refundsResubmitted += 1;
    if (step === 'SYNCED') report.refundsSynced += 1;
    if (after.status !== row.status) report.refundsMoved += 1;
  } catch (e) {
    warn(deps, 'LIFECYCLE_REFUND_FAILED', row.out_trade_no, e);
  }
}

/** Orders and refunds in one list, oldest due first, under one WeChat-call budget. */
async function runWork(deps: GatewayDeps, report: TickReport): Promise<void> {
  const nowMs = deps.now();
  const rows = await dueOrders(deps.db, iso(nowMs), iso(nowMs - CLOSE_MIN_AGE_MS), SCAN_LIMIT);
  const dueOf = (p: Plan) => (p.kind === 'CHECK' || p.kind === 'CLOSE' ? p.due : Number.POSITIVE_INFINITY);
  const work: Work[] = rows.map((row) => {
    const plan = planOrder(row, nowMs);
    return { kind: 'ORDER', due: dueOf(plan), row, plan };
  });
  for (const { row, due } of await dueRefunds(deps, SCAN_LIMIT)) work.push({ kind: 'REFUND', due, row });
  work.sort((a, b) => a.due - b.due);
  const budget = counted(deps);
  const fits = (worst: number) => {
    if (budget.calls() + worst <= MAX_WECHAT_CALLS_PER_TICK) return true;
    report.budgetExhausted = true;
    return false; // bookkeeping for the rest still runs; their WeChat calls wait for the next tick
  };
  for (const item of work) {
    if (item.kind === 'REFUND') {
      if (fits(REFUND_STEP_WORST_CALLS[item.row.status as 'SUBMITTING' | 'PROCESSING'])) await refundStep(budget.deps, item.row, report);
      continue;
    }
    const { row, plan } = item;
    if (plan.kind === 'NONE') continue;
    if (plan.kind === 'SCHEDULE') {
      if (row.next_check_at !== iso(plan.next) && (await claimOrder(deps.db, row.out_trade_no, row.status, row.next_check_at, iso(plan.next), false)))
        report.scheduled += 1;
      continue;
    }
    if (!fits(WORST_CALLS[plan.kind])) continue;
    const next = plan.kind === 'CHECK' ? plan.next : nowMs + CLOSE_RETRY_MS;
    if (!(await claimOrder(deps.db, row.out_trade_no, row.status, row.next_check_at, iso(next), true))) continue;
    try {
      if (plan.kind === 'CHECK') {
        report.checks += 1;
        if (await check(budget.deps, row)) report.paid += 1;
      } else {
        report.closes += 1;
        const settled = await close(budget.deps, row);
        if (settled === 'CLOSED') report.closed += 1;
        if (settled === 'PAID') report.paid += 1;
      }
    } catch (e) {
      warn(deps, 'LIFECYCLE_ACTION_FAILED', row.out_trade_no, e); // the claim already set the next look
    }
  }
  report.wechatCalls = budget.calls();
}

/** At most this many attempts closed per tick (one closeorder each; an ORDERPAID adds a query). */
const ATTEMPT_CLOSES_PER_TICK = 10;

/**
 * Open attempts their order no longer needs (a sibling paid, the order closed or failed, or the
 * attempt expired a grace period ago), at least 5 minutes old (WeChat refuses an earlier close):
 * closed at WeChat, so no money can come in for them any more. First, attempts paid by code from
 * before attempts are marked PAID.
 */
async function runAttemptCloses(deps: GatewayDeps, report: TickReport): Promise<void> {
  const nowMs = deps.now();
  await repairPaidAttempts(deps.db, iso(nowMs));
  for (const a of await attemptsToClose(deps.db, nowMs, CLOSE_MIN_AGE_MS, ATTEMPT_CLOSES_PER_TICK)) {
    try {
      const outcome = await closeAttempt(deps, a);
      if (outcome === 'CLOSED') report.attemptsClosed += 1;
      if (outcome === 'PAID') report.paid += 1;
    } catch (e) {
      warn(deps, 'LIFECYCLE_ATTEMPT_CLOSE_FAILED', a.out_trade_no, e);
    }
  }
}

/** Events committed but not (or no longer) on the queue go on it; those past their 3-day window are failed. */
async function runOutbox(deps: GatewayDeps, report: TickReport): Promise<void> {
  if (!deps.config.webhookUrl || !deps.publishEvents) return; // recorded, not delivered: nothing to enqueue
  const nowMs = deps.now();
  report.eventsExpired = await failExpiredEvents(deps.db, iso(nowMs - RETRY_WINDOW_MS), iso(nowMs));
  const overdue = await overdueEvents(deps.db, iso(nowMs - OUTBOX_GRACE_MS), OUTBOX_BATCH);
  const refs: EventRef[] = [];
  for (const { id } of overdue) {
    const ref = await rearm(deps.db, id, iso(nowMs), false, true);
    if (ref) refs.push(ref);
  }
  await deps.publishEvents(refs);
  report.eventsEnqueued = refs.length;
}

export async function runLifecycleTick(deps: GatewayDeps): Promise<TickReport> {
  const report: TickReport = {
    checks: 0,
    closes: 0,
    paid: 0,
    closed: 0,
    scheduled: 0,
    wechatCalls: 0,
    budgetExhausted: false,
    eventsEnqueued: 0,
    eventsExpired: 0,
    refundsResubmitted: 0,
    refundsSynced: 0,
    refundsMoved: 0,
    attemptsClosed: 0,
  };
  // The outbox first: it makes no WeChat call and must not wait behind a slow WeChat.
  await runOutbox(deps, report);
  await runWork(deps, report);
  await runAttemptCloses(deps, report);
  return report;
}
