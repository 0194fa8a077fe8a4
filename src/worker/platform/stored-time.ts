// Times stored as INTEGER epoch milliseconds (6 bytes instead of 24 ISO characters): the ledger's and a
// notification's since migration 0011, a payment attempt's and a refund's since 0015, an order's since
// 0018. The code keeps ISO-8601 text;
// a write binds `storedMs`, a read turns the number back with `storedIso`, so the API, the console and
// the webhooks show the same instants as before. A row archived before the migration still holds the
// ISO text: `storedIso` passes it through, and a restore stores it as ms (`storedMsOf`).

/** A stored time as D1 returns it: epoch ms, or ISO text in a row archived before its migration. */
export type StoredTime = number | string;

/** The epoch ms a time is stored as. */
export function storedMs(iso: string): number {
  return Date.parse(iso);
}

/** A stored time as ISO-8601 text (null stays null). */
export function storedIso(v: StoredTime): string;
export function storedIso(v: StoredTime | null): string | null;
export function storedIso(v: StoredTime | null): string | null {
  if (v === null) return null;
  return typeof v === 'number' ? new Date(v).toISOString() : v;
}

/** A stored time as epoch ms, from either form (a restore of a row archived before the migration). */
export function storedMsOf(v: StoredTime | null): number | null {
  if (v === null) return null;
  return typeof v === 'number' ? v : Date.parse(v);
}

/** The row with each of `columns` read back as ISO text. */
export function withIsoTimes<T>(row: Record<string, unknown>, columns: readonly string[]): T {
  const out: Record<string, unknown> = { ...row };
  for (const c of columns) if (c in out) out[c] = storedIso(out[c] as StoredTime | null);
  return out as T;
}

/** SQL turning an ISO text column into epoch ms (as migrations 0011 and 0015 convert rows). */
export function msOfIsoSql(column: string): string {
  return `CAST(round((julianday(${column}) - 2440587.5) * 86400000.0) AS INTEGER)`;
}

/** SQL turning an epoch-ms column back into the ISO text `storedIso` gives (for a copy kept as text, e.g. events.order_updated_at). */
export function isoOfMsSql(column: string): string {
  return `strftime('%Y-%m-%dT%H:%M:%fZ', ${column} / 1000.0, 'unixepoch')`;
}
