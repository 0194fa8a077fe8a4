// The merchant's and the cron's entry points: start (or re-run) a day, read its report, list days.
import { formatYuanMilli, netSettlement } from '../../core';
import type { GatewayDeps } from '../platform/deps';
import {
  beginRun,
  countItems,
  getRun,
  ITEM_KINDS,
  type ItemKey,
  type ItemKind,
  type ItemRow,
  listItemsPage,
  listRuns,
  type Resolution,
  type RunRow,
} from './reconciliation-repo';
import { DomainError } from '../platform/errors';
import { DEFAULT_PAGE_LIMIT, decodeCursor, keysetPage } from '../platform/paging';
import { beijingDate, billReadyAt, checkBillDate, oldestBillDate, previousBeijingDay } from './dates';

/** Wakes the day's engine (the Reconciler DO) so that it steps now. */
type KickReconciler = (billDate: string) => Promise<void>;

interface RequestResult {
  /** A run was (re)started by this call: 202; otherwise the day is already done or under way. */
  started: boolean;
  run: RunRow;
}

/**
 * Starts a day's run, or its next generation when `rerun` (a finished day) or after an ERROR. A day
 * PENDING or RUNNING is left to finish. Re-runs never apply twice: fixes go through the idempotent
 * OrderGate and a fix already APPLIED for the day is never attempted again.
 */
/** The request's way to wake the Reconciler; without one, the cron's next tick steps the run. */
export const kickOf = (deps: GatewayDeps): KickReconciler => deps.kickReconciler ?? (async () => {});

export async function requestReconciliation(deps: GatewayDeps, kick: KickReconciler, billDate: unknown, rerun = false): Promise<RequestResult> {
  const now = deps.now();
  const day = checkBillDate(billDate, now);
  const firstAttempt = new Date(Math.max(now, billReadyAt(day))).toISOString();
  const { run, started } = await beginRun(deps.db, day, new Date(now).toISOString(), firstAttempt, rerun);
  if (started || run.status === 'PENDING' || run.status === 'RUNNING') await kick(day);
  return { started, run };
}

/** The cron (10:00 Beijing): yesterday once, and any run whose retry is due (a backstop for alarms). */
export async function dailyReconciliation(deps: GatewayDeps, kick: KickReconciler, due: string[]): Promise<string> {
  const day = previousBeijingDay(deps.now());
  await requestReconciliation(deps, kick, day);
  for (const d of due) if (d !== day) await kick(d);
  return day;
}

const milli = (m: number | null) => (m === null ? null : { millifen: m, yuan: formatYuanMilli(m) });

/**
 * The report's JSON: both sides' totals and, for one day's report, a page of its items with the cursor
 * of the next page (null on the last); amounts in integer fen (fees in 1/1000 fen).
 */
export function reportView(run: RunRow, items: ItemRow[] | null, nextCursor: string | null = null) {
  // Each side's counts and sums are written together (one UPDATE): a known count means known sums.
  const billKnown = run.bill_payment_count !== null;
  const bill = billKnown
    ? {
        payment_count: run.bill_payment_count!,
        paid_fee: run.bill_paid_fee!,
        refund_count: run.bill_refund_count,
        refund_fee: run.bill_refund_fee,
        service_charge: milli(run.bill_service_millifen),
        net_settlement: milli(netSettlement({ paidFee: run.bill_paid_fee!, refundFee: run.bill_refund_fee!, serviceCharge: run.bill_service_millifen! })),
      }
    : null;
  const oursKnown = run.local_payment_count !== null;
  const ours = oursKnown
    ? {
        payment_count: run.local_payment_count!,
        paid_fee: run.local_paid_fee!,
        refund_count: run.local_refund_count,
        refund_fee: run.local_refund_fee,
        // We keep no fee schedule: our net is our gross less the bill's service charge.
        service_charge: null,
        net_settlement: billKnown
          ? milli(netSettlement({ paidFee: run.local_paid_fee!, refundFee: run.local_refund_fee ?? 0, serviceCharge: run.bill_service_millifen! }))
          : null,
      }
    : null;
  return {
    bill_date: run.bill_date,
    status: run.status,
    generation: run.generation,
    requested_at: run.requested_at,
    finished_at: run.finished_at,
    next_attempt_at: run.status === 'PENDING' ? run.next_attempt_at : null,
    error: run.error,
    totals: { bill, ours },
    ...(items
      ? {
          items: items.map((i) => ({
            kind: i.kind,
            resolution: i.resolution,
            out_trade_no: i.out_trade_no,
            transaction_id: i.transaction_id,
            out_refund_no: i.out_refund_no,
            refund_id: i.refund_id,
            bill: i.bill ? (JSON.parse(i.bill) as Record<string, unknown>) : null,
            ours: i.local ? (JSON.parse(i.local) as Record<string, unknown>) : null,
            note: i.note,
          })),
          next_cursor: nextCursor,
        }
      : {}),
  };
}

export type ReportView = ReturnType<typeof reportView>;

interface ItemCount {
  kind: ItemKind;
  resolution: Resolution;
  count: number;
}

/** The report's items counted: in all, OPEN, APPLIED, and by kind (every kind listed, zeros included). */
function itemCounts(counts: readonly ItemCount[]) {
  const byKind = Object.fromEntries(ITEM_KINDS.map((k) => [k, { open: 0, applied: 0 }])) as Record<ItemKind, { open: number; applied: number }>;
  for (const c of counts) byKind[c.kind][c.resolution === 'APPLIED' ? 'applied' : 'open'] += c.count;
  const open = counts.filter((c) => c.resolution === 'OPEN').reduce((s, c) => s + c.count, 0);
  const applied = counts.filter((c) => c.resolution === 'APPLIED').reduce((s, c) => s + c.count, 0);
  return { total: open + applied, open, applied, by_kind: byKind };
}

/**
 * `data.reconciliation` of a reconciliation.completed event: the GET /v1/reconciliations/:bill_date
 * view without its items, with their counts, from the snapshot its own batch took (d1/events-repo.ts).
 */
export function completedView(snapshot: { run: RunRow; item_counts: ItemCount[] | null }) {
  return { ...reportView(snapshot.run, null), item_counts: itemCounts(snapshot.item_counts ?? []) };
}

/** An item's key ([kind, ref], its place in the report's order) as a cursor carries it, or null. */
export function itemKey(v: readonly unknown[]): ItemKey | null {
  return v.length === 2 && (ITEM_KINDS as readonly unknown[]).includes(v[0]) && typeof v[1] === 'string' && v[1].length > 0
    ? { kind: v[0] as ItemKind, ref: v[1] }
    : null;
}

/** The item key a cursor of ours carries, or null for anything else. */
export function readItemCursor(cursor: string): ItemKey | null {
  return decodeCursor(cursor, itemKey);
}

/**
 * A day's report with one page of its items (after `after`, in (kind, ref) order) and `next_cursor`;
 * `item_counts` counts every item of the report, not only the page's.
 */
export async function getReport(
  deps: GatewayDeps,
  billDate: string,
  page: { limit: number; after: ItemKey | null } = { limit: DEFAULT_PAGE_LIMIT, after: null },
) {
  const run = /^\d{8}$/.test(billDate) ? await getRun(deps.db, billDate) : null;
  if (!run) throw new DomainError('RECONCILIATION_NOT_FOUND', 'no reconciliation for that bill_date');
  const [rows, counts] = await Promise.all([
    listItemsPage(deps.db, billDate, run.generation, page.after, page.limit),
    countItems(deps.db, billDate, run.generation),
  ]);
  const { items, nextCursor } = keysetPage(rows, page.limit, (last) => [last.kind, last.ref]);
  const view = reportView(run, items, nextCursor);
  return { ...view, item_counts: itemCounts(counts) };
}

export type ReportPage = Awaited<ReturnType<typeof getReport>>;

const LIST_LIMIT = 100;

/** Days from `from` to `to` (yyyyMMdd, inclusive), newest first; by default the last 3 months. */
export async function listReports(deps: GatewayDeps, from: string | undefined, to: string | undefined) {
  const now = deps.now();
  const lo = from ?? oldestBillDate(now);
  const hi = to ?? beijingDate(now);
  for (const d of [lo, hi]) if (!/^\d{8}$/.test(d)) throw new DomainError('INVALID_BILL_DATE', 'from and to must be written yyyyMMdd');
  if (lo > hi) throw new DomainError('INVALID_BILL_DATE', 'from must not be after to');
  const { results } = await listRuns(deps.db, lo, hi, LIST_LIMIT);
  return { from: lo, to: hi, reconciliations: results.map((r) => reportView(r, null)) };
}
