// Spent OAuth states (migrations/0003_oauth_states.sql): the server-side half of "a state is single-use".
import { sha256Hex } from '../../core';

/** Expired rows removed per spend: pruning piggybacks on callbacks and never grows with the backlog. */
export const OAUTH_STATE_PRUNE_BATCH = 100;
/** Rows outlive their cookie by this much, so an isolate whose clock lags still finds them. */
const PRUNE_GRACE_MS = 60_000;

/**
 * Marks `state` spent. True only for the first caller: the insert is atomic in D1, so of two
 * concurrent callbacks with one state exactly one gets true. Also prunes a bounded batch of expired rows.
 */
export async function spendOauthState(db: D1Database, state: string, cookieExpiresMs: number, nowMs: number): Promise<boolean> {
  const [spend] = await db.batch([
    db
      .prepare('INSERT INTO oauth_states_used (state_hash, expires_at) VALUES (?1, ?2) ON CONFLICT (state_hash) DO NOTHING')
      .bind(await sha256Hex(state), new Date(cookieExpiresMs).toISOString()),
    db
      .prepare('DELETE FROM oauth_states_used WHERE rowid IN (SELECT rowid FROM oauth_states_used WHERE expires_at < ?1 LIMIT ?2)')
      .bind(new Date(nowMs - PRUNE_GRACE_MS).toISOString(), OAUTH_STATE_PRUNE_BATCH),
  ]);
  return spend!.meta.changes === 1;
}
