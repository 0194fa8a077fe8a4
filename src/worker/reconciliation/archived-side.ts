// Our books past the hot window (docs/scaling.md §6): an order archived to R2 is still on its days'
// bills. BILL looks up the bill's numbers D1 lacks in the archive; LOCAL walks the day's archived
// members (archive_days) one part per step. A member counts only while it is the order's current copy
// and the order is not in D1 (restored, or not deleted yet: then D1's rows are the truth and D1's pages count it).
import type { ArchiveRow, ArchiveRows } from '../../core';
import { beijingDayOf, currentInPart, lookupNumbers, nextPartOfDay, readMembers } from '../archive';
import { orderOfStored } from '../orders';
import type { GatewayDeps } from '../platform/deps';
import { REFUND_ON_BILL, type LocalRefundRow } from '../refunds';
import { type ArchivedSums, DUPLICATE_STATUSES, type LocalPaid, PAID_STATUSES, type PaymentOnFile } from './reconciliation-repo';

/** The LOCAL cursor of the archived pages: `archive:<the last part done>`. */
export const ARCHIVE_CURSOR = 'archive:';

const str = (v: ArchiveRow[string] | undefined): string | null => (typeof v === 'string' ? v : null);
const num = (v: ArchiveRow[string] | undefined): number => (typeof v === 'number' ? v : 0);

const refundOf = (r: ArchiveRow): LocalRefundRow => ({
  outRefundNo: String(r.out_refund_no),
  outTradeNo: String(r.out_trade_no),
  refundId: str(r.refund_id),
  refundFee: num(r.refund_fee),
  status: String(r.status),
});

/** The archived orders of these numbers (orders' or attempts'), each read once, part by part. */
async function archivedByNumber(deps: Pick<GatewayDeps, 'db' | 'archive'>, numbers: readonly string[]): Promise<Map<string, ArchiveRows>> {
  const out = new Map<string, ArchiveRows>();
  for (const at of (await lookupNumbers(deps.db, numbers)).values()) {
    const rows = await readMembers(deps.archive, at);
    for (const [i, n] of at.numbers.entries()) {
      const member = rows[i];
      if (member) out.set(n, member);
    }
  }
  return out;
}

/** Like paymentsByNo, for bill numbers that D1 does not have: each with its archived order and attempt. */
export async function archivedPaymentsByNo(deps: Pick<GatewayDeps, 'db' | 'archive'>, billNos: readonly string[]): Promise<Map<string, PaymentOnFile>> {
  const out = new Map<string, PaymentOnFile>();
  for (const [no, rows] of await archivedByNumber(deps, billNos)) {
    const stored = rows.orders?.[0];
    if (!stored) continue;
    const order = orderOfStored(stored as Record<string, unknown>); // times as ISO, whichever form the object holds

    const a = rows.payment_attempts?.find((r) => r.payment_no === no);
    out.set(no, { order, attempt: a ? { status: String(a.status), transaction_id: str(a.transaction_id), appid: str(a.appid) } : null });
  }
  return out;
}

/** Like refundsByNo, for bill refunds D1 does not have: found through their order's archived member. */
export async function archivedRefundsByNo(
  deps: Pick<GatewayDeps, 'db' | 'archive'>,
  refunds: readonly { outRefundNo: string; outTradeNo: string }[],
): Promise<Map<string, LocalRefundRow>> {
  const out = new Map<string, LocalRefundRow>();
  const wanted = new Set(refunds.map((r) => r.outRefundNo));
  for (const rows of (await archivedByNumber(deps, [...new Set(refunds.map((r) => r.outTradeNo))])).values()) {
    for (const r of rows.refunds ?? []) if (wanted.has(String(r.out_refund_no))) out.set(String(r.out_refund_no), refundOf(r));
  }
  return out;
}

export interface ArchivedPage {
  part: number;
  /** Archived orders paid on the day (time_end), as paidOrdersPage lists D1's. */
  paid: LocalPaid[];
  /** Archived refunds on the day's bill (applied on the day, REFUND_ON_BILL), as refundsOfDayPage lists D1's. */
  refunds: LocalRefundRow[];
  sums: ArchivedSums;
}

/** The next part after `afterPart` with archived members on `billDate` (yyyyMMdd), read and summed; null: none left. */
export async function archivedDayPage(deps: Pick<GatewayDeps, 'db' | 'archive'>, billDate: string, afterPart: number): Promise<ArchivedPage | null> {
  const at = await nextPartOfDay(deps.db, Number(billDate), afterPart);
  if (!at) return null;
  const members = await readMembers(deps.archive, at);
  const orderNos = members.map((m) => String(m.orders?.[0]?.out_trade_no));
  const current = await currentInPart(deps.db, at.part, orderNos);
  const page: ArchivedPage = { part: at.part, paid: [], refunds: [], sums: { payments: 0, paidFee: 0, refunds: 0, refundFee: 0 } };
  const onDay = (timeEnd: ArchiveRow[string] | undefined) => typeof timeEnd === 'string' && timeEnd.startsWith(billDate);
  const isoDay = `${billDate.slice(0, 4)}-${billDate.slice(4, 6)}-${billDate.slice(6, 8)}`;
  for (const rows of members) {
    const order = rows.orders?.[0];
    if (!order || !current.has(String(order.out_trade_no))) continue;
    const fee = num(order.total_fee);
    if (PAID_STATUSES.includes(String(order.status)) && onDay(order.time_end)) {
      page.paid.push({
        out_trade_no: String(order.out_trade_no),
        payment_no: str(order.payment_no) ?? String(order.out_trade_no),
        transaction_id: str(order.transaction_id),
        total_fee: fee,
        status: String(order.status),
        time_end: String(order.time_end),
      });
      page.sums.payments++;
      page.sums.paidFee += fee;
    }
    for (const a of rows.payment_attempts ?? []) {
      if (DUPLICATE_STATUSES.includes(String(a.status)) && onDay(a.time_end)) {
        page.sums.payments++;
        page.sums.paidFee += fee;
      }
    }
    for (const r of rows.refunds ?? []) {
      const created = r.created_at;
      if ((typeof created !== 'string' && typeof created !== 'number') || beijingDayOf(created) !== isoDay) continue;
      if (!REFUND_ON_BILL.includes(String(r.status))) continue;
      page.refunds.push(refundOf(r));
      page.sums.refunds++;
      page.sums.refundFee += num(r.refund_fee);
    }
  }
  return page;
}
