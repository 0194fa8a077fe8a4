// BILL: one staged chunk against our books in batched reads. A payment WeChat took that we do not
// show as paid is confirmed by a verified orderquery and applied through the OrderGate, exactly as a
// notify would be (one credit, order.paid); every other difference stays OPEN with both sides. A number
// D1 lacks is looked up in the archive (archived-side.ts): an archived order is final, so a difference
// there stays OPEN (nothing is applied to it).
import { comparePayment, compareRefund, formatYuan, type BillEntry, type BillPayment } from '../../core';
import type { GatewayDeps } from '../platform/deps';
import type { OrderRow, OrderStatus } from '../orders';
import { itemsFor, paymentsByNo, writeItems, type NewItem, type PaymentOnFile, type RunRow } from './reconciliation-repo';
import { refundsByNo } from '../refunds';
import { applyQueryResult } from '../orders';
import { ChannelError } from '../channel';
import { commitStepWithAnomalies } from './anomalies';
import type { BillStage, StepHooks } from './stage';
import { archivedPaymentsByNo, archivedRefundsByNo } from './archived-side';

/** Concurrent orderqueries while confirming one chunk's missing payments. */
const CONFIRM_CONCURRENCY = 4;

const billSide = (e: BillPayment) => ({ transaction_id: e.transactionId, total_fee: e.totalFee, settlement_fee: e.settlementFee });
const ourSide = (o: OrderRow | undefined) => (o ? { status: o.status, transaction_id: o.transaction_id, total_fee: o.total_fee } : null);

function missingItem(e: BillPayment, row: OrderRow | undefined, resolution: 'OPEN' | 'APPLIED', note: string): NewItem {
  return {
    kind: 'MISSING_LOCALLY',
    ref: e.outTradeNo,
    outTradeNo: e.outTradeNo,
    transactionId: e.transactionId,
    resolution,
    bill: billSide(e),
    local: ourSide(row),
    note,
  };
}

/**
 * Our side of one bill payment: the order's payment when this number paid it (or is the order's own,
 * from before attempts), a duplicate's own transaction when it was given back, else not paid here.
 */
function localOf(p: PaymentOnFile | undefined): { status: OrderStatus; totalFee: number; transactionId: string | null } | null {
  if (!p) return null;
  const { order, attempt } = p;
  if (attempt && (attempt.status === 'REFUNDING' || attempt.status === 'REFUNDED')) {
    return { status: attempt.status, totalFee: order.total_fee, transactionId: attempt.transaction_id };
  }
  if (attempt && attempt.status !== 'PAID') return { status: 'NOTPAY', totalFee: order.total_fee, transactionId: null };
  return { status: order.status, totalFee: order.total_fee, transactionId: order.transaction_id };
}

/** Confirms one payment WeChat took and we missed: APPLIED only when orderquery agrees with the bill and the order's amount. */
async function confirm(deps: GatewayDeps, e: BillPayment, found: PaymentOnFile | undefined): Promise<NewItem> {
  const row = found?.order;
  if (!row) return missingItem(e, row, 'OPEN', 'no such order in our books');
  try {
    const q = await deps.channel.queryOrder({ outTradeNo: e.outTradeNo, signType: row.sign_type, appId: found.attempt?.appid ?? undefined });
    if (q.tradeState !== 'SUCCESS' || q.transactionId !== e.transactionId || q.totalFee !== e.totalFee) {
      return missingItem(e, row, 'OPEN', `orderquery disagrees with the bill (trade_state ${q.tradeState})`);
    }
    const outcome = await applyQueryResult(deps, row, q, 'RECONCILIATION', e.outTradeNo);
    if (outcome === 'SYNC_PAID') return missingItem(e, row, 'APPLIED', 'confirmed by orderquery and applied through the OrderGate');
    return missingItem(e, row, 'OPEN', `not applied (${outcome === 'SYNC_MISMATCH' ? 'amount or currency differs from the order' : 'the order refused it'})`);
  } catch (err) {
    const code = err instanceof ChannelError ? err.code : 'GATE';
    return missingItem(e, row, 'OPEN', `confirmation failed (${code}); a re-run retries it`);
  }
}

async function pool<T, R>(items: readonly T[], n: number, work: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
  return out;
}

async function refundItems(deps: GatewayDeps, entries: BillEntry[]): Promise<NewItem[]> {
  const refunds = entries.filter((e) => e.kind === 'REFUND');
  if (refunds.length === 0) return [];
  const ours = await refundsByNo(
    deps.db,
    refunds.map((r) => r.outRefundNo),
  );
  for (const [no, r] of await archivedRefundsByNo(
    deps,
    refunds.filter((r) => !ours.has(r.outRefundNo)),
  ))
    ours.set(no, r);
  const items: NewItem[] = [];
  for (const r of refunds) {
    const local = ours.get(r.outRefundNo) ?? null;
    const verdict = compareRefund(r, local);
    if (verdict.kind === 'MATCHED') continue;
    items.push({
      kind: verdict.kind,
      ref: r.outRefundNo,
      outTradeNo: r.outTradeNo,
      transactionId: r.transactionId,
      outRefundNo: r.outRefundNo,
      refundId: r.refundId,
      resolution: 'OPEN',
      bill: { refund_id: r.refundId, refund_fee: r.refundFee, refund_status: r.refundStatus },
      local: local ? { refund_id: local.refundId, refund_fee: local.refundFee, status: local.status } : null,
      note: verdict.note,
    });
  }
  return items;
}

/** Matches staged chunk `run.next_chunk` and commits it with its progress in one batch. */
export async function matchChunk(deps: GatewayDeps, stage: BillStage, run: RunRow, hooks: StepHooks = {}): Promise<void> {
  const k = run.next_chunk;
  const entries = stage.chunk(k);
  const pays = entries.filter((e) => e.kind !== 'REFUND');
  const nos = [...new Set(pays.map((e) => e.outTradeNo))];
  const [found, earlier] = await Promise.all([paymentsByNo(deps.db, nos), itemsFor(deps.db, run.bill_date, 'MISSING_LOCALLY', nos)]);
  const archived = await archivedPaymentsByNo(
    deps,
    nos.filter((no) => !found.has(no)),
  );
  for (const [no, p] of archived) found.set(no, p);

  const items: NewItem[] = [];
  const toConfirm: BillPayment[] = [];
  for (const e of pays) {
    const row = found.get(e.outTradeNo)?.order;
    const before = earlier.get(e.outTradeNo);
    if (before?.resolution === 'APPLIED') continue; // fixed by an earlier run of this day: never again
    const verdict = comparePayment(e, localOf(found.get(e.outTradeNo)));
    // An OPEN item of this generation means a confirmation was under way when a step crashed: finish it.
    const resumed = e.kind === 'PAYMENT' && before?.generation === run.generation && verdict.kind === 'MATCHED';
    if (e.kind === 'PAYMENT' && archived.has(e.outTradeNo) && verdict.kind === 'MISSING_LOCALLY') {
      items.push(missingItem(e, row, 'OPEN', 'the order is archived and not paid in our books'));
    } else if (e.kind === 'PAYMENT' && !archived.has(e.outTradeNo) && (verdict.kind === 'MISSING_LOCALLY' || resumed)) toConfirm.push(e);
    else if (verdict.kind === 'AMOUNT_MISMATCH' || verdict.kind === 'STATUS_MISMATCH') {
      items.push({
        kind: verdict.kind,
        ref: e.outTradeNo,
        outTradeNo: e.outTradeNo,
        transactionId: e.transactionId,
        resolution: 'OPEN',
        bill: e.kind === 'PAYMENT' ? billSide(e) : { transaction_id: e.transactionId, trade_state: e.tradeState },
        local: ourSide(row),
        note:
          verdict.kind === 'STATUS_MISMATCH'
            ? verdict.note
            : `bill ${formatYuan(e.kind === 'PAYMENT' ? e.totalFee : 0)}, ours ${formatYuan(row?.total_fee ?? 0)}`,
      });
    }
  }
  const now = () => new Date(deps.now()).toISOString();
  // Written before any orderquery: a crash mid-confirmation leaves the item, and the resumed step finishes it.
  await writeItems(
    deps.db,
    run.bill_date,
    run.generation,
    toConfirm.map((e) => missingItem(e, found.get(e.outTradeNo)?.order, 'OPEN', 'confirming with orderquery')),
    now(),
  );
  const confirmed = await pool(toConfirm, CONFIRM_CONCURRENCY, (e) => confirm(deps, e, found.get(e.outTradeNo)));
  await hooks.afterApply?.(k);
  items.push(...confirmed, ...(await refundItems(deps, entries)));

  const advance = {
    phase: 'BILL' as const,
    fromChunk: k,
    fromCursor: '',
    toPhase: k + 1 >= run.chunk_count ? ('LOCAL' as const) : ('BILL' as const),
    toChunk: k + 1,
    toCursor: '',
  };
  const flagged = items.filter((i) => i.resolution === 'OPEN' && i.kind === 'MISSING_LOCALLY');
  await commitStepWithAnomalies(deps, run, items, flagged, advance, now());
  await hooks.afterChunk?.(k);
}
