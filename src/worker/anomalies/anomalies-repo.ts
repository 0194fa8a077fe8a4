// The anomalies table (unique on `(body_sha256, kind)`) and the notify record kept with an anomaly.
import type { AnomalyRecord, NotifyEvidence, NotifyKind, OutboxEvent } from '../model';
import { outboxStatement } from '../outbox';

const ANOMALY_SQL = `INSERT INTO anomalies (kind, out_trade_no, body_sha256, detail, created_at) VALUES (?1, ?2, unhex(?3), ?4, ?5)
  ON CONFLICT (body_sha256, kind) DO NOTHING`;
/** Follows ANOMALY_SQL in one batch: the raw body is kept only with the anomaly's first record. */
const NOTIFICATION_SQL = `INSERT INTO notifications (kind, out_trade_no, body_sha256, raw_body, verdict, received_at)
  SELECT ?6, ?1, unhex(?2), ?3, ?4, ?5 WHERE changes() = 1`;

/** The anomaly insert (idempotent on key + kind), for callers that put it in their own batch. */
export function anomalyStmt(db: D1Database, a: AnomalyRecord): D1PreparedStatement {
  return db.prepare(ANOMALY_SQL).bind(a.kind, a.outTradeNo, a.bodySha256, JSON.stringify(a.detail), a.now);
}

function notificationStmt(db: D1Database, outTradeNo: string | null, e: NotifyEvidence, verdict: string, kind: NotifyKind): D1PreparedStatement {
  return db.prepare(NOTIFICATION_SQL).bind(outTradeNo, e.bodySha256, e.rawBody, verdict, Date.parse(e.receivedAt), kind);
}

/**
 * An authentic message that cannot be applied: the anomaly (idempotent on its key + kind), for a
 * notify its record, and its order.anomaly event, in one transaction. True when this call recorded
 * it; false when the same message had been recorded before, in which case nothing was written.
 */
export async function recordAnomaly(
  db: D1Database,
  a: AnomalyRecord,
  event: OutboxEvent,
  evidence?: NotifyEvidence,
  kind: NotifyKind = 'PAY',
): Promise<boolean> {
  const stmts = [anomalyStmt(db, a)];
  if (evidence) stmts.push(notificationStmt(db, a.outTradeNo, evidence, `ANOMALY:${a.kind}`, kind));
  stmts.push(outboxStatement(db, event));
  const [anomaly] = await db.batch(stmts);
  return anomaly?.meta.changes === 1;
}
