// The Reconciler Durable Object: the per-day engine that runs a reconciliation one bounded step per alarm.
import { DurableObject } from 'cloudflare:workers';
import type { BillEntry } from '../../core';
import { getConfig } from '../platform/config';
import { errorName, log } from '../platform/log';
import { reconcileStep } from './step';
import type { BillStage, StepHooks } from './stage';
import { gatewayDeps } from '../compose/wiring';

export const RECONCILER_TEST_HOOKS: unique symbol = Symbol('Reconciler.testHooks');

export interface ReconcilerTestHooks extends StepHooks {
  /** Rows per chunk and page (tests use a few to get several chunks from a small bill). */
  rows?: number;
}

/** The staged bill in this object's SQLite storage: one row per bill record, by chunk and by reference. */
class SqlBillStage implements BillStage {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS bill_rows (chunk INTEGER NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL, entry TEXT NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS bill_rows_chunk ON bill_rows (chunk)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS bill_rows_ref ON bill_rows (kind, ref)`);
  }
  reset(): void {
    this.sql.exec('DELETE FROM bill_rows');
  }
  put(chunk: number, entries: readonly BillEntry[]): void {
    for (const e of entries) {
      const [kind, ref] = e.kind === 'REFUND' ? ['R', e.outRefundNo] : ['P', e.outTradeNo];
      this.sql.exec('INSERT INTO bill_rows (chunk, kind, ref, entry) VALUES (?, ?, ?, ?)', chunk, kind, ref, JSON.stringify(e));
    }
  }
  chunk(chunk: number): BillEntry[] {
    return this.sql
      .exec<{ entry: string }>('SELECT entry FROM bill_rows WHERE chunk = ? ORDER BY rowid', chunk)
      .toArray()
      .map((r) => JSON.parse(r.entry) as BillEntry);
  }
  #present(kind: string, refs: readonly string[]): Set<string> {
    if (refs.length === 0) return new Set();
    const rows = this.sql.exec<{ ref: string }>(
      'SELECT DISTINCT ref FROM bill_rows WHERE kind = ? AND ref IN (SELECT value FROM json_each(?))',
      kind,
      JSON.stringify(refs),
    );
    return new Set(rows.toArray().map((r) => r.ref));
  }
  paymentsPresent(outTradeNos: readonly string[]): Set<string> {
    return this.#present('P', outTradeNos);
  }
  refundsPresent(outRefundNos: readonly string[]): Set<string> {
    return this.#present('R', outRefundNos);
  }
}

/**
 * One Reconciler per bill date (`env.RECONCILER.getByName(bill_date)`): the engine of that day's run.
 * Each alarm runs one step (the fetch, one chunk, or one page) and sets the next alarm; the progress
 * itself is in D1 (reconciliation_runs), so a crash or an eviction resumes at the step that did not
 * commit. Steps run one at a time under a promise-chain lock; the D1 CAS makes a duplicate harmless.
 */
export class Reconciler extends DurableObject<Env> {
  [RECONCILER_TEST_HOOKS]?: ReconcilerTestHooks;
  #tail: Promise<unknown> = Promise.resolve();
  #stage: SqlBillStage | undefined;

  /** Remembers the day and steps as soon as possible. */
  async kick(billDate: string): Promise<void> {
    this.ctx.storage.kv.put('bill_date', billDate);
    const at = await this.ctx.storage.getAlarm();
    if (at === null || at > Date.now()) await this.ctx.storage.setAlarm(Date.now());
  }

  /** Resolves once the step under way (if any) has finished. */
  async idle(): Promise<void> {
    await this.#tail;
  }

  override async alarm(): Promise<void> {
    const run = this.#tail.then(() => this.#step());
    this.#tail = run.catch(() => undefined);
    await run;
  }

  async #step(): Promise<void> {
    const billDate = this.ctx.storage.kv.get<string>('bill_date');
    if (!billDate) return;
    this.#stage ??= new SqlBillStage(this.ctx.storage.sql);
    const hooks = this[RECONCILER_TEST_HOOKS];
    const config = getConfig(this.env);
    // Fail closed (I12): with a broken configuration nothing is fetched or applied; a fixed deploy's cron resumes it.
    if (!config.ok) return;
    const deps = gatewayDeps(this.env, this.ctx, config.config);
    try {
      const next = await reconcileStep(deps, this.#stage, billDate, { rows: hooks?.rows, hooks });
      if (next !== null) await this.ctx.storage.setAlarm(next);
    } catch (e) {
      // Nothing partial was committed: the runtime retries the alarm, and the step starts again from D1.
      log.warn('RECONCILIATION_STEP_FAILED', { billDate, error: errorName(e) });
      throw e;
    }
  }
}
