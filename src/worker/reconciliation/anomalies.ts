// Reconciliation differences a person must look at, as rows of the shared `anomalies` table (one per
// day, kind and reference, whatever the number of runs) with an operator alert, and the merchant's
// `order.anomaly` event for each (outbox: in the same batch, once per anomaly row), like every anomaly.
import { raiseAlert } from '../alerts';
import type { GatewayDeps } from '../deps';
import { orderAnomalyEvent, type OutboxEvent } from '../d1/events-repo';
import { anomalyStmt, type AnomalyKind } from '../d1/payments-repo';
import type { NewItem } from '../d1/reconciliation-repo';
import { sha256Hex } from '../digest';

const KIND: Partial<Record<NewItem['kind'], AnomalyKind>> = {
  MISSING_LOCALLY: 'RECON_MISSING_LOCALLY',
  MISSING_AT_WECHAT: 'RECON_MISSING_AT_WECHAT',
};

export interface ReconAnomaly {
  stmt: D1PreparedStatement;
  /** Its order.anomaly: written only if the anomaly row exists, once per row (a re-run adds none). */
  event: OutboxEvent;
}

export async function anomalyFor(deps: GatewayDeps, billDate: string, item: NewItem): Promise<ReconAnomaly> {
  const kind = KIND[item.kind]!;
  const key = await sha256Hex(`RECONCILIATION\n${billDate}\n${item.kind}\n${item.ref}`);
  raiseAlert(kind, item.outTradeNo ?? null, { billDate, note: item.note ?? null });
  const record = {
    kind,
    outTradeNo: item.outTradeNo ?? null,
    bodySha256: key,
    detail: { billDate, bill: item.bill ?? null, local: item.local ?? null, note: item.note ?? null },
    now: new Date(deps.now()).toISOString(),
  };
  return { stmt: anomalyStmt(deps.db, record), event: orderAnomalyEvent(record) };
}
