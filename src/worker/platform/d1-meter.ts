// Counts D1 round trips (issue 20: one per first payment notify, none for a duplicate). Every call that
// goes to the database and back — a statement's first/all/run/raw, a batch, an exec — adds one to the
// meter of the work it runs in (AsyncLocalStorage, so concurrent requests and a Durable Object's
// interleaved calls each count their own). Wired only in sandbox mode (compose/wiring.ts): live mode
// neither counts nor shows anything. The notify route puts the sum on a sandbox-only response header.
import { AsyncLocalStorage } from 'node:async_hooks';

interface Meter {
  roundTrips: number;
}

const current = new AsyncLocalStorage<Meter>();

function tick(): void {
  const meter = current.getStore();
  if (meter) meter.roundTrips += 1;
}

/** The response header that carries a request's count (sandbox mode only). */
export const D1_ROUND_TRIPS_HEADER = 'X-Sandbox-D1-Round-Trips';

/** Runs `work` with a meter of its own; the count covers the D1 calls awaited inside it. */
export async function metered<T>(work: () => Promise<T>): Promise<{ value: T; roundTrips: number }> {
  const meter: Meter = { roundTrips: 0 };
  const value = await current.run(meter, work);
  return { value, roundTrips: meter.roundTrips };
}

/** Adds round trips made elsewhere on this work's behalf (a Durable Object reports its own). */
export function addRoundTrips(n: number | undefined): void {
  const meter = current.getStore();
  if (meter && n) meter.roundTrips += n;
}

const unwrap = new WeakMap<object, D1PreparedStatement>();

function statement(inner: D1PreparedStatement): D1PreparedStatement {
  const s = {
    bind: (...values: unknown[]) => statement(inner.bind(...values)),
    first: (column?: string) => {
      tick();
      return column === undefined ? inner.first() : inner.first(column);
    },
    all: () => {
      tick();
      return inner.all();
    },
    run: () => {
      tick();
      return inner.run();
    },
    raw: (options?: { columnNames?: boolean }) => {
      tick();
      return inner.raw(options as { columnNames: true });
    },
  };
  unwrap.set(s, inner);
  return s as unknown as D1PreparedStatement;
}

/** `db` with every round trip counted on the current meter; statements it prepares may be batched by it. */
export function meteredD1(db: D1Database): D1Database {
  const wrapped = {
    prepare: (query: string) => statement(db.prepare(query)),
    batch: (statements: D1PreparedStatement[]) => {
      tick();
      return db.batch(statements.map((s) => unwrap.get(s) ?? s));
    },
    exec: (query: string) => {
      tick();
      return db.exec(query);
    },
    // Not used by the gateway (no read replication): a session's calls would go uncounted.
    withSession: (constraint?: string) => db.withSession(constraint),
  };
  return wrapped as unknown as D1Database;
}
