// Where a run keeps the day's bill between invocations: written once by the fetch step, read one
// chunk at a time by the match steps. The Reconciler DO implements it over its own SQLite storage.
import type { BillEntry } from '../../core';

export interface BillStage {
  /** Drops whatever an earlier fetch staged. */
  reset(): void;
  put(chunk: number, entries: readonly BillEntry[]): void;
  chunk(chunk: number): BillEntry[];
  /** Which of these out_trade_nos the bill has a payment (or other non-refund) row for. */
  paymentsPresent(outTradeNos: readonly string[]): Set<string>;
  /** Which of these out_refund_nos the bill has a refund row for. */
  refundsPresent(outRefundNos: readonly string[]): Set<string>;
}

/** Test-only fault points (docs/reliability.md §7.0): throw to model a crash at that point. */
export interface StepHooks {
  /** After a chunk's confirmations were applied through the OrderGate, before the chunk is committed. */
  afterApply?: (chunk: number) => Promise<void>;
  /** After a chunk was committed, before the step returns. */
  afterChunk?: (chunk: number) => Promise<void>;
}

/** Rows per chunk and per local page: one invocation's bounded share of the day. */
export const CHUNK_ROWS = 2000;
