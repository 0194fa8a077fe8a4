// The lifecycle sweep for refunds (lifecycle/tick.ts calls it every minute): SUBMITTING refunds are
// sent again under the same out_refund_no; PROCESSING ones quiet past their notify window are checked
// with a verified refundquery. Each step goes through the same claims (a compare-and-set on
// last_attempt_at / last_synced_at, so two ticks never work on the same refund) and the same gate as
// requests.
import type { GatewayDeps } from '../platform/deps';
import { getOrder } from '../orders';
import { stuckRefunds, unsentAutomaticRefunds, type RefundRow } from './refunds-repo';
import { submitRefund } from './submit';
import { REFUND_SYNC_AFTER_MS, syncRefund } from './sync';

const MIN = 60_000;

/**
 * How long a PROCESSING refund may stay quiet before the sweep asks refundquery, by how long it has
 * been PROCESSING: its notify window (REFUND_SYNC_AFTER_MS) while young, then less often, as a refund
 * to a bank card may take days (docs/wechatpay-v2.md §12): every 5 minutes after 10 minutes, every 30
 * minutes after an hour. A SUBMITTING refund is sent again once quiet for REFUND_SYNC_AFTER_MS.
 */
export function refundQuietLimitMs(row: Pick<RefundRow, 'status' | 'updated_at'>, nowMs: number): number {
  if (row.status !== 'PROCESSING') return REFUND_SYNC_AFTER_MS;
  const age = nowMs - Date.parse(row.updated_at);
  if (age < 10 * MIN) return REFUND_SYNC_AFTER_MS;
  if (age < 60 * MIN) return 5 * MIN;
  return 30 * MIN;
}

const ms = (iso: string | null) => (iso ? Date.parse(iso) : 0);

/** When the sweep should next act on this unfinished refund (ms since the epoch). */
export function refundDueAt(row: RefundRow, nowMs: number): number {
  return Math.max(ms(row.updated_at), ms(row.last_attempt_at), ms(row.last_synced_at)) + refundQuietLimitMs(row, nowMs);
}

/** Unfinished refunds due now, the most overdue first (scanning at most `scan` of the longest-quiet). */
export async function dueRefunds(deps: Pick<GatewayDeps, 'db' | 'now'>, scan: number): Promise<Array<{ row: RefundRow; due: number }>> {
  const nowMs = deps.now();
  const rows = await stuckRefunds(deps.db, new Date(nowMs - REFUND_SYNC_AFTER_MS).toISOString(), Math.max(1, Math.min(scan, 500)));
  return rows
    .map((row) => ({ row, due: refundDueAt(row, nowMs) }))
    .filter((r) => r.due <= nowMs)
    .sort((a, b) => a.due - b.due);
}

/** The most WeChat calls one refund's step can make: a refund call, then (a refusal after an unknown outcome) up to 3 refundqueries; or up to 3 refundqueries. */
export const REFUND_STEP_WORST_CALLS = { SUBMITTING: 4, PROCESSING: 3 } as const;

type AdvanceStep = 'RESUBMITTED' | 'SYNCED' | 'SKIPPED';

/** One sweep step for one refund, through its claim and the order's gate. The refund as it stands after. */
export async function advanceRefund(deps: GatewayDeps, row: RefundRow): Promise<{ step: AdvanceStep; after: RefundRow }> {
  const order = await getOrder(deps.db, row.out_trade_no);
  if (!order) return { step: 'SKIPPED', after: row };
  if (row.status === 'SUBMITTING') return { step: 'RESUBMITTED', after: await submitRefund(deps, row, order.sign_type) };
  return { step: 'SYNCED', after: await syncRefund(deps, row, order.sign_type) };
}

interface AdvanceReport {
  /** Refunds looked at. */
  seen: number;
  /** SUBMITTING refunds sent again. */
  resubmitted: number;
  /** PROCESSING refunds checked with refundquery. */
  synced: number;
  /** Refunds whose status changed. */
  moved: number;
}

/**
 * Advances at most `limit` due unfinished refunds, the most overdue first. Never throws for one
 * refund's trouble. The lifecycle tick interleaves the same steps (`dueRefunds` + `advanceRefund`)
 * with its orders, oldest first, under one WeChat-call budget.
 */
export async function advanceStuckRefunds(deps: GatewayDeps, limit: number): Promise<AdvanceReport> {
  const report: AdvanceReport = { seen: 0, resubmitted: 0, synced: 0, moved: 0 };
  const due = (await dueRefunds(deps, 500)).slice(0, Math.max(1, Math.min(limit, 500)));
  for (const { row } of due) {
    report.seen += 1;
    const { step, after } = await advanceRefund(deps, row).catch(() => ({ step: 'SKIPPED' as const, after: row }));
    if (step === 'RESUBMITTED') report.resubmitted += 1;
    if (step === 'SYNCED') report.synced += 1;
    if (after.status !== row.status) report.moved += 1;
  }
  return report;
}

/**
 * Sends the order's automatic refunds of duplicate payments right away (after the notify that found
 * them was answered), through the same claim as every send; the lifecycle sweep is the backstop.
 * Never throws.
 */
export async function sendAutomaticRefunds(deps: GatewayDeps, outTradeNo: string): Promise<void> {
  const rows = await unsentAutomaticRefunds(deps.db, outTradeNo).catch(() => []);
  for (const row of rows) await advanceRefund(deps, row).catch(() => undefined);
}
