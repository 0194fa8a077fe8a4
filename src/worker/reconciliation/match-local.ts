// LOCAL and REFUNDS: our books against the staged bill, one page per step. A payment we show as paid
// on the day that WeChat's bill lacks (and, once refunds exist, a refund it lacks) stays OPEN. LOCAL
// pages D1's paid orders, then the day's archived orders one part per step (archived-side.ts).
import type { GatewayDeps } from '../platform/deps';
import { commitStep, finishRun, paidOrdersPage, paidTotals, type LocalPaid, type NewItem, type RunRow, type RunStatus } from './reconciliation-repo';
import { refundsOfDayPage, refundTotals, type LocalRefundRow } from '../refunds';
import type { OutboxEvent } from '../model';
import { commitStepWithAnomalies } from './anomalies';
import { completedEvent } from './completed';
import { dayBoundsIso } from './dates';
import { CHUNK_ROWS, type BillStage } from './stage';
import { ARCHIVE_CURSOR, archivedDayPage } from './archived-side';

/** Why a row of ours is missing at WeChat: the day has no bill at all, or this row is not in it. */
const notInBillNote = (run: RunRow) => (run.no_bill ? 'WeChat has no bill for the day' : 'not in the bill');

export async function matchLocalPage(deps: GatewayDeps, stage: BillStage, run: RunRow, rows = CHUNK_ROWS): Promise<void> {
  const page = await paidOrdersPage(deps.db, run.bill_date, run.local_cursor, rows);
  const present = stage.paymentsPresent(page.map((o) => o.payment_no));
  const items: NewItem[] = page.filter((o) => !present.has(o.payment_no)).map((o) => missingAtWechat(run, o));
  const last = page[page.length - 1];
  const done = page.length < rows;
  const advance = {
    phase: 'LOCAL' as const,
    fromChunk: run.next_chunk,
    fromCursor: run.local_cursor,
    toPhase: 'LOCAL' as const,
    toChunk: run.next_chunk,
    toCursor: done ? `${ARCHIVE_CURSOR}0` : `${last!.time_end}|${last!.out_trade_no}`,
  };
  await commitStepWithAnomalies(deps, run, items, items, advance, new Date(deps.now()).toISOString());
}

const missingAtWechat = (run: RunRow, o: LocalPaid): NewItem => ({
  kind: 'MISSING_AT_WECHAT',
  ref: o.out_trade_no,
  outTradeNo: o.out_trade_no,
  transactionId: o.transaction_id,
  resolution: 'OPEN',
  bill: null,
  local: { status: o.status, transaction_id: o.transaction_id, total_fee: o.total_fee, time_end: o.time_end },
  note: notInBillNote(run),
});

/**
 * LOCAL after D1's pages: the next part with archived members on the day, its paid orders and refunds
 * against the bill, and its sums added to the run's in the same CAS. No part left: on to REFUNDS.
 */
export async function matchArchivedPage(deps: GatewayDeps, stage: BillStage, run: RunRow): Promise<void> {
  const after = Number(run.local_cursor.slice(ARCHIVE_CURSOR.length));
  const page = await archivedDayPage(deps, run.bill_date, after);
  const base = { phase: 'LOCAL' as const, fromChunk: run.next_chunk, fromCursor: run.local_cursor, toChunk: run.next_chunk };
  const at = new Date(deps.now()).toISOString();
  if (!page) {
    await commitStepWithAnomalies(deps, run, [], [], { ...base, toPhase: 'REFUNDS', toCursor: '' }, at);
    return;
  }
  const present = stage.paymentsPresent(page.paid.map((o) => o.payment_no));
  const payments = page.paid.filter((o) => !present.has(o.payment_no)).map((o) => missingAtWechat(run, o));
  const refundsPresent = stage.refundsPresent(page.refunds.map((r) => r.outRefundNo));
  const refunds: NewItem[] = page.refunds.filter((r) => !refundsPresent.has(r.outRefundNo)).map((r) => refundMissingAtWechat(run, r));
  const advance = { ...base, toPhase: 'LOCAL' as const, toCursor: `${ARCHIVE_CURSOR}${page.part}`, add: page.sums };
  await commitStepWithAnomalies(deps, run, [...payments, ...refunds], payments, advance, at);
}

const refundMissingAtWechat = (run: RunRow, r: LocalRefundRow): NewItem => ({
  kind: 'REFUND_MISSING_AT_WECHAT',
  ref: r.outRefundNo,
  outTradeNo: r.outTradeNo,
  outRefundNo: r.outRefundNo,
  refundId: r.refundId,
  resolution: 'OPEN',
  bill: null,
  local: { refund_id: r.refundId, refund_fee: r.refundFee, status: r.status },
  note: notInBillNote(run),
});

/**
 * One page of our refunds of the day; without a refunds table, or after the last page, the run
 * finishes, with its reconciliation.completed in that same batch. Returns the final status and the
 * committed event when this step finished the run, else null.
 */
export async function matchRefundsPage(
  deps: GatewayDeps,
  stage: BillStage,
  run: RunRow,
  rows = CHUNK_ROWS,
): Promise<{ status: RunStatus; event: OutboxEvent } | null> {
  const [from, to] = dayBoundsIso(run.bill_date);
  const page = await refundsOfDayPage(deps.db, from, to, run.local_cursor, rows);
  if (page.length > 0) {
    const present = stage.refundsPresent(page.map((r) => r.outRefundNo));
    const items: NewItem[] = page.filter((r) => !present.has(r.outRefundNo)).map((r) => refundMissingAtWechat(run, r));
    if (page.length === rows) {
      const advance = {
        phase: 'REFUNDS' as const,
        fromChunk: run.next_chunk,
        fromCursor: run.local_cursor,
        toPhase: 'REFUNDS' as const,
        toChunk: run.next_chunk,
        toCursor: page[page.length - 1]!.outRefundNo,
      };
      await commitStep(deps.db, run.bill_date, run.generation, items, [], advance, new Date(deps.now()).toISOString());
      return null;
    }
    const advance = {
      phase: 'REFUNDS' as const,
      fromChunk: run.next_chunk,
      fromCursor: run.local_cursor,
      toPhase: 'REFUNDS' as const,
      toChunk: run.next_chunk,
      toCursor: run.local_cursor,
    };
    await commitStep(deps.db, run.bill_date, run.generation, items, [], advance, new Date(deps.now()).toISOString());
  }
  const [paid, refunds] = await Promise.all([paidTotals(deps.db, run.bill_date), refundTotals(deps.db, from, to)]);
  const event = completedEvent(deps, run.bill_date, run.generation);
  const status = await finishRun(
    deps.db,
    run.bill_date,
    run.generation,
    { paymentCount: paid.n, paidFee: paid.fee, refundCount: refunds.n, refundFee: refunds.fee },
    new Date(deps.now()).toISOString(),
    [event],
  );
  return status === null ? null : { status, event };
}
