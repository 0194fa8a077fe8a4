// Reconciliation differences a person must look at, as rows of the shared `anomalies` table (one per
// day, kind and reference, whatever the number of runs) with an operator alert, and the merchant's
// `order.anomaly` event for each (outbox: in the same batch, once per anomaly row), like every anomaly.
import { anomalyInBatch } from '../anomalies';
import type { AnomalyKind, OutboxEvent } from '../model';
import type { GatewayDeps } from '../platform/deps';
import { log } from '../platform/log';
import { type Advance, commitStep, type NewItem, type RunRow } from './reconciliation-repo';
import { sha256Hex } from '../../core';
import { publish } from './completed';

const KIND: Partial<Record<NewItem['kind'], AnomalyKind>> = {
  MISSING_LOCALLY: 'RECON_MISSING_LOCALLY',
  MISSING_AT_WECHAT: 'RECON_MISSING_AT_WECHAT',
};

interface ReconAnomaly {
  stmt: D1PreparedStatement;
  /** Its order.anomaly: written only if the anomaly row exists, once per row (a re-run adds none). */
  event: OutboxEvent;
  /** The operator alert, raised only when the batch wrote the row. */
  alert: () => void;
}

async function anomalyFor(deps: GatewayDeps, billDate: string, item: NewItem): Promise<ReconAnomaly> {
  const kind = KIND[item.kind]!;
  const key = await sha256Hex(`RECONCILIATION\n${billDate}\n${item.kind}\n${item.ref}`);
  const record = {
    kind,
    outTradeNo: item.outTradeNo ?? null,
    bodySha256: key,
    detail: { billDate, bill: item.bill ?? null, local: item.local ?? null, note: item.note ?? null },
    now: new Date(deps.now()).toISOString(),
  };
  return anomalyInBatch({ db: deps.db, log: deps.log ?? log }, record, { billDate, note: item.note ?? null });
}

/**
 * Commits one step of a run: its items, an anomaly (with its order.anomaly) for each of `flagged`, and
 * the run's progress, in one batch. Then alerts and publishes only the anomalies that batch wrote, so a
 * re-run or a resumed step raises nothing twice.
 */
export async function commitStepWithAnomalies(
  deps: GatewayDeps,
  run: RunRow,
  items: NewItem[],
  flagged: NewItem[],
  advance: Advance,
  at: string,
): Promise<void> {
  const anomalies = await Promise.all(flagged.map((i) => anomalyFor(deps, run.bill_date, i)));
  const stmts = anomalies.map((a) => a.stmt);
  const events = anomalies.map((a) => a.event);
  const { written } = await commitStep(deps.db, run.bill_date, run.generation, items, stmts, advance, at, events);
  for (const a of anomalies) if (written.includes(a.event)) a.alert();
  await publish(deps, written);
}
