// The console's credentials in D1: sessions and trusted devices (keyed by the SHA-256 of their random
// ids, never the ids), and the failed-login budgets. SQL and statement builders only.

interface SessionRow {
  csrf: string;
  operator: string;
  access_id: string | null;
  token_epoch: string;
  expires_at: string;
  revoked_at: string | null;
}

interface NewSession {
  idSha256: string;
  csrf: string;
  operator: string;
  accessId: string | null;
  tokenEpoch: string;
}

export async function insertSession(db: D1Database, s: NewSession, now: string, expiresAt: string): Promise<void> {
  await db.batch([
    db
      .prepare('INSERT INTO admin_sessions (id_sha256, csrf, operator, access_id, token_epoch, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)')
      .bind(s.idSha256, s.csrf, s.operator, s.accessId, s.tokenEpoch, now, expiresAt),
    // Housekeeping: sessions a day past expiry are of no further use.
    db.prepare("DELETE FROM admin_sessions WHERE expires_at < strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '-1 day')").bind(now),
  ]);
}

export function getSession(db: D1Database, idSha256: string): Promise<SessionRow | null> {
  return db
    .prepare('SELECT csrf, operator, access_id, token_epoch, expires_at, revoked_at FROM admin_sessions WHERE id_sha256 = ?1')
    .bind(idSha256)
    .first<SessionRow>();
}

export async function revokeSession(db: D1Database, idSha256: string, now: string): Promise<void> {
  await db.prepare('UPDATE admin_sessions SET revoked_at = COALESCE(revoked_at, ?2) WHERE id_sha256 = ?1').bind(idSha256, now).run();
}

// ---- trusted devices ----

export async function insertDevice(db: D1Database, idSha256: string, now: string, expiresAt: string): Promise<void> {
  await db.batch([
    db.prepare('INSERT INTO admin_devices (id_sha256, created_at, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING').bind(idSha256, now, expiresAt),
    db.prepare('DELETE FROM admin_devices WHERE expires_at < ?1').bind(now),
  ]);
}

export async function deviceKnown(db: D1Database, idSha256: string, now: string): Promise<boolean> {
  return (await db.prepare('SELECT 1 AS ok FROM admin_devices WHERE id_sha256 = ?1 AND expires_at > ?2').bind(idSha256, now).first()) !== null;
}

// ---- failed-login budgets ----

/** A budget: its key and how many failures the sliding window allows before it refuses. */
export interface Budget {
  key: string;
  max: number;
}

interface BudgetWindows {
  currentMs: number;
  previousMs: number;
  /** The share of the previous window still inside the sliding window (1 at the window's start, then down to 0). */
  previousWeight: number;
}

export interface BudgetCount {
  bucket: string;
  window_ms: number;
  count: number;
}

/** One budget's failures in the sliding window, as SQL over the table's state when the statement starts. */
const weighted = (bucketParam: string) =>
  `(SELECT COALESCE(SUM(CASE WHEN window_ms = ?3 THEN count ELSE count * ?5 END), 0)
    FROM admin_login_failures WHERE bucket = ${bucketParam} AND window_ms IN (?3, ?4))`;

/**
 * Counts one attempt against both budgets, but only when neither is full; a refused attempt writes
 * nothing. One statement: SQLite reads the whole SELECT before it inserts (it reads the table it
 * writes), so both budgets are judged on the same state, and D1 runs statements one at a time, so
 * concurrent attempts cannot both take the last place. Every row older than the sliding window is
 * pruned first, whatever its bucket. Returns whether the attempt was admitted and both budgets' counts.
 */
export async function claimBudgets(db: D1Database, a: Budget, b: Budget, w: BudgetWindows): Promise<{ admitted: boolean; counts: BudgetCount[] }> {
  const [, claimed, counts] = await db.batch([
    db.prepare('DELETE FROM admin_login_failures WHERE window_ms < ?1').bind(w.previousMs),
    db
      .prepare(
        `INSERT INTO admin_login_failures (bucket, window_ms, count)
         SELECT bucket, ?3, 1 FROM (SELECT ?1 AS bucket UNION ALL SELECT ?2 AS bucket)
         WHERE ${weighted('?1')} < ?6 AND ${weighted('?2')} < ?7
         ON CONFLICT (bucket, window_ms) DO UPDATE SET count = count + 1
         RETURNING bucket`,
      )
      .bind(a.key, b.key, w.currentMs, w.previousMs, w.previousWeight, a.max, b.max),
    db
      .prepare('SELECT bucket, window_ms, count FROM admin_login_failures WHERE bucket IN (?1, ?2) AND window_ms IN (?3, ?4)')
      .bind(a.key, b.key, w.currentMs, w.previousMs),
  ]);
  return { admitted: (claimed?.results.length ?? 0) > 0, counts: (counts?.results ?? []) as BudgetCount[] };
}

/** Gives an admitted attempt back to both budgets (the token was right). */
export async function releaseBudgets(db: D1Database, keys: readonly string[], currentMs: number): Promise<void> {
  await db
    .prepare('UPDATE admin_login_failures SET count = count - 1 WHERE bucket IN (?1, ?2) AND window_ms = ?3 AND count > 0')
    .bind(keys[0], keys[1] ?? keys[0], currentMs)
    .run();
}
