// Reconciliation differences a person must look at, as rows of the shared `anomalies` table (one per
// day, kind and reference, whatever the number of runs) with an operator alert.
import { raiseAlert } from '../alerts';
import type { GatewayDeps } from '../deps';
import { anomalyStmt, type AnomalyKind } from '../d1/payments-repo';
import type { NewItem } from '../d1/reconciliation-repo';
import { sha256Hex } from '../digest';

const KIND: Partial<Record<NewItem['kind'], AnomalyKind>> = {
  MISSING_LOCALLY: 'RECON_MISSING_LOCALLY',
  MISSING_AT_WECHAT: 'RECON_MISSING_AT_WECHAT',
};

export async function anomalyFor(deps: GatewayDeps, billDate: string, item: NewItem): Promise<D1PreparedStatement> {
  const kind = KIND[item.kind]!;
  const key = await sha256Hex(`RECONCILIATION\n${billDate}\n${item.kind}\n${item.ref}`);
  raiseAlert(kind, item.outTradeNo ?? null, { billDate, note: item.note ?? null });
  return anomalyStmt(deps.db, {
    kind,
    outTradeNo: item.outTradeNo ?? null,
    bodySha256: key,
    detail: { billDate, bill: item.bill ?? null, local: item.local ?? null, note: item.note ?? null },
    now: new Date(deps.now()).toISOString(),
  });
}
