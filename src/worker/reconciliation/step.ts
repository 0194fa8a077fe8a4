// One invocation's share of a day's reconciliation, whatever engine calls it (the Reconciler DO's
// alarm): FETCH the bill, match it chunk by chunk (BILL), then our books page by page (LOCAL, REFUNDS).
// Progress is in D1 and moves by CAS, so a crash resumes where it stopped and nothing applies twice.
import type { GatewayDeps } from '../platform/deps';
import { getRun } from './reconciliation-repo';
import { reconciliationCompleted } from './completed';
import { fetchStep } from './fetch-bill';
import { matchChunk } from './match-bill';
import { matchArchivedPage, matchLocalPage, matchRefundsPage } from './match-local';
import { ARCHIVE_CURSOR } from './archived-side';
import { CHUNK_ROWS, type BillStage, type StepHooks } from './stage';

interface StepOptions {
  rows?: number;
  hooks?: StepHooks;
}

/** Runs one step of the day's run. Returns when the next step is due (ms), or null when the run is over. */
export async function reconcileStep(deps: GatewayDeps, stage: BillStage, billDate: string, opts: StepOptions = {}): Promise<number | null> {
  const run = await getRun(deps.db, billDate);
  if (!run || run.phase === 'DONE') return null;
  const rows = opts.rows ?? CHUNK_ROWS;
  switch (run.phase) {
    case 'FETCH':
      return fetchStep(deps, stage, run, rows);
    case 'BILL':
      await matchChunk(deps, stage, run, opts.hooks);
      return deps.now();
    case 'LOCAL':
      if (run.local_cursor.startsWith(ARCHIVE_CURSOR)) await matchArchivedPage(deps, stage, run);
      else await matchLocalPage(deps, stage, run, rows);
      return deps.now();
    case 'REFUNDS': {
      const done = await matchRefundsPage(deps, stage, run, rows);
      if (done === null) return deps.now();
      await reconciliationCompleted(deps, billDate, done.status, run.generation, done.event);
      return null;
    }
  }
}
