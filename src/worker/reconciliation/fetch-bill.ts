// FETCH: download the day's ALL bill (gzip), inflate and parse it as a stream, and stage it in chunks
// with its totals checked against the summary line. Not ready or failing: retried later; 20002: no bill.
import { addToTotals, billEntry, emptyBillTotals, readBillLines, summaryDifference, type BillEntry } from '../../core';
import type { GatewayDeps } from '../platform/deps';
import { deferFetch, failRun, finishFetch, type RunRow } from './reconciliation-repo';
import { ChannelError } from '../channel';
import { log } from '../platform/log';
import { completedEvent, reconciliationCompleted } from './completed';
import { billReadyAt } from './dates';
import { CHUNK_ROWS, type BillStage } from './stage';

/** Bill fetch attempts (not-ready answers and failures) before the run is an ERROR. */
const MAX_FETCH_ATTEMPTS = 8;
const RETRY_BASE_MS = 15 * 60_000;
const RETRY_MAX_MS = 3 * 3600_000;

export const retryDelayMs = (attempts: number): number => Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1), RETRY_MAX_MS);

type Staged = { ok: true; chunks: number; totals: ReturnType<typeof emptyBillTotals> } | { ok: false; reason: string };

async function stageBill(stage: BillStage, chunks: AsyncIterable<string>, rows: number): Promise<Staged> {
  stage.reset();
  const totals = emptyBillTotals();
  let buffer: BillEntry[] = [];
  let chunk = 0;
  let summarised = false;
  for await (const line of readBillLines(chunks)) {
    if (line.kind === 'error') return { ok: false, reason: `bill malformed: ${line.reason}` };
    if (line.kind === 'record') {
      let entry: BillEntry;
      try {
        entry = billEntry(line.record);
      } catch {
        return { ok: false, reason: `bill record ${totals.records + 1} has a missing column or an inexact amount` };
      }
      addToTotals(totals, entry);
      buffer.push(entry);
      if (buffer.length === rows) {
        stage.put(chunk++, buffer);
        buffer = [];
      }
    } else if (line.kind === 'summary') {
      const diff = summaryDifference(totals, line.summary);
      if (diff) return { ok: false, reason: `bill summary ${diff} differs from its records` };
      summarised = true;
    }
  }
  if (!summarised) return { ok: false, reason: 'bill has no summary' };
  if (buffer.length > 0) stage.put(chunk++, buffer);
  return { ok: true, chunks: chunk, totals };
}

/** One FETCH attempt. Returns when to step again (now, or the retry time). */
export async function fetchStep(deps: GatewayDeps, stage: BillStage, run: RunRow, rows = CHUNK_ROWS): Promise<number | null> {
  const now = deps.now();
  const iso = new Date(now).toISOString();
  const ready = billReadyAt(run.bill_date);
  if (now < ready) {
    await deferFetch(deps.db, run.bill_date, run.generation, run.attempts, new Date(ready).toISOString(), iso);
    return ready;
  }
  const due = run.next_attempt_at ? Date.parse(run.next_attempt_at) : 0;
  if (due > now) return due;

  let staged: Staged;
  try {
    const bill = await deps.channel.fetchBill(run.bill_date, 'ALL');
    if (bill.kind === 'NO_BILL') {
      stage.reset();
      staged = { ok: true, chunks: 0, totals: emptyBillTotals() };
      await finishFetch(deps.db, run.bill_date, run.generation, { noBill: true, chunkCount: 0, ...totalsOf(staged.totals) }, iso);
      return now;
    }
    staged = await stageBill(stage, bill.chunks, rows);
  } catch (e) {
    // WeChat not ready ("not generated"), failing, or a stream that broke mid-way: try again later.
    const code = e instanceof ChannelError ? e.code : 'STREAM';
    const attempts = run.attempts + 1;
    (deps.log ?? log).warn('RECONCILIATION_FETCH_FAILED', { billDate: run.bill_date, code, attempts });
    if (attempts >= MAX_FETCH_ATTEMPTS) {
      await fail(deps, run, `bill unavailable after ${attempts} attempts (${code})`, iso);
      return null;
    }
    const next = now + retryDelayMs(attempts);
    await deferFetch(deps.db, run.bill_date, run.generation, attempts, new Date(next).toISOString(), iso);
    return next;
  }
  if (!staged.ok) {
    await fail(deps, run, staged.reason.slice(0, 200), iso);
    return null;
  }
  await finishFetch(deps.db, run.bill_date, run.generation, { noBill: false, chunkCount: staged.chunks, ...totalsOf(staged.totals) }, iso);
  return now;
}

/** ERROR, with its reconciliation.completed in the same batch, enqueued once committed. */
async function fail(deps: GatewayDeps, run: RunRow, reason: string, iso: string): Promise<void> {
  const event = completedEvent(deps, run.bill_date, run.generation);
  if (await failRun(deps.db, run.bill_date, run.generation, reason, iso, [event])) {
    await reconciliationCompleted(deps, run.bill_date, 'ERROR', run.generation, event);
  }
}

function totalsOf(t: ReturnType<typeof emptyBillTotals>) {
  return {
    records: t.records,
    paymentCount: t.paymentCount,
    paidFee: t.paidFee,
    refundCount: t.refundCount,
    refundFee: t.refundFee,
    serviceMilliFen: t.serviceCharge,
  };
}
