// "Record, event, publish, alert": the one way an anomaly is reported, whoever found it (a notify, the
// OrderGate, a refund result, the T+1 reconciliation). The event and the alert happen only for the
// copy that wrote the row, so a re-sent message or a re-run raises nothing twice.
import type { AnomalyKind, AnomalyRecord, NotifyEvidence, NotifyKind, OutboxEvent } from '../model';
import type { Logger } from '../platform/log';
import { orderAnomalyEvent } from '../outbox';
import { anomalyStmt, recordAnomaly } from './anomalies-repo';

export interface AnomalyDeps {
  readonly db: D1Database;
  /** Puts committed events on the webhook queue (fire and forget: the cron relays a lost one). */
  readonly publish: (events: readonly OutboxEvent[]) => void;
  readonly log: Logger;
}

/** A notify's anomaly key: its message hash (an evidence from an older caller has only the body's). */
export function messageKeyOf(e: NotifyEvidence): string {
  return e.messageSha256 ?? e.bodySha256;
}

/** The operator alert: one `ANOMALY` warn line (the log pipeline pages on it). Only facts, never a secret. */
export function alertAnomaly(log: Logger, kind: AnomalyKind, outTradeNo: string | null, detail: Record<string, unknown> = {}): void {
  log.warn('ANOMALY', { kind, outTradeNo, ...detail });
}

interface AnomalyReport {
  record: AnomalyRecord;
  /** The notify behind it: its `notifications` record commits with the anomaly. */
  evidence?: NotifyEvidence;
  notifyKind?: NotifyKind;
  /** Extra fields of the alert line. */
  alert?: Record<string, unknown>;
}

/** Records the anomaly with its notify record and order.anomaly in one batch; publishes and alerts once. True: this call recorded it. */
export async function reportAnomaly(deps: AnomalyDeps, r: AnomalyReport): Promise<boolean> {
  const event = orderAnomalyEvent(r.record);
  const recorded = await recordAnomaly(deps.db, r.record, event, r.evidence, r.notifyKind);
  if (recorded) {
    deps.publish([event]);
    alertAnomaly(deps.log, r.record.kind, r.record.outTradeNo, r.alert);
  }
  return recorded;
}

/** For a caller with its own batch: the anomaly's statement, its event, and the alert to raise if the batch wrote it. */
export function anomalyInBatch(
  deps: Pick<AnomalyDeps, 'db' | 'log'>,
  record: AnomalyRecord,
  alert: Record<string, unknown> = {},
): { stmt: D1PreparedStatement; event: OutboxEvent; alert: () => void } {
  return { stmt: anomalyStmt(deps.db, record), event: orderAnomalyEvent(record), alert: () => alertAnomaly(deps.log, record.kind, record.outTradeNo, alert) };
}
