// The lifecycle sweep's entry point for refunds (the cron of a later issue calls it): SUBMITTING
// refunds are sent again under the same out_refund_no; PROCESSING ones quiet past their window are
// checked with refundquery. Each step goes through the same claims and the same gate as requests.
import type { GatewayDeps } from '../deps';
import { getOrder } from '../d1/orders-repo';
import { stuckRefunds } from '../d1/refunds-repo';
import { submitRefund } from './submit';
import { REFUND_SYNC_AFTER_MS, syncRefund } from './sync';

export interface AdvanceReport {
  /** Refunds looked at. */
  seen: number;
  /** SUBMITTING refunds sent again. */
  resubmitted: number;
  /** PROCESSING refunds checked with refundquery. */
  synced: number;
  /** Refunds whose status changed. */
  moved: number;
}

/** Advances at most `limit` unfinished refunds quiet for REFUND_SYNC_AFTER_MS, oldest first. Never throws for one refund's trouble. */
export async function advanceStuckRefunds(deps: GatewayDeps, limit: number): Promise<AdvanceReport> {
  const report: AdvanceReport = { seen: 0, resubmitted: 0, synced: 0, moved: 0 };
  const rows = await stuckRefunds(deps.db, new Date(deps.now() - REFUND_SYNC_AFTER_MS).toISOString(), Math.max(1, Math.min(limit, 500)));
  for (const row of rows) {
    report.seen += 1;
    const order = await getOrder(deps.db, row.out_trade_no);
    if (!order) continue;
    const after = row.status === 'SUBMITTING' ? await submitRefund(deps, row, order.sign_type) : await syncRefund(deps, row, order.sign_type);
    if (row.status === 'SUBMITTING') report.resubmitted += 1;
    else report.synced += 1;
    if (after.status !== row.status) report.moved += 1;
  }
  return report;
}
