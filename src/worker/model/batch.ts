// Money batches and what may ride in them. A money-state change (payments-repo, refunds-repo,
// orders-repo) runs ONE D1 batch; hooks add their own statements to that batch without the payment
// code knowing who they belong to (today: the console's daily rollup, wired in compose/wiring.ts).
import type { OrderStatus } from '../../core/order-state';

/** A committed-together change, as a hook sees it. `at` is the stamp the change writes (paid_at, closed_at, updated_at). */
export type MoneyChange =
  /** The CAS into PAID or PAID_AFTER_CLOSE with this transaction (paid_at = at). */
  | { kind: 'PAID'; outTradeNo: string; transactionId: string; status: Extract<OrderStatus, 'PAID' | 'PAID_AFTER_CLOSE'>; at: string }
  /** A CAS into CLOSED (closed_at = at). */
  | { kind: 'CLOSED'; outTradeNo: string; at: string }
  /** A refund's move to SUCCESS (its updated_at = at). */
  | { kind: 'REFUND_SUCCEEDED'; outRefundNo: string; at: string }
  /**
   * The order's first prepay (CREATED→NOTPAY). Its statements come straight after the CAS, so the
   * first of them may guard on `changes() = 1`.
   */
  | { kind: 'FIRST_PREPAY'; outTradeNo: string };

/**
 * Statements appended to the change's own batch: they commit or roll back with it. Each must be
 * guarded so that it writes only when the change did (an EXISTS on the row the change leaves, or
 * `changes()` where MoneyChange says so), must not fail on a repeat (it would roll the money back),
 * and must not touch money state.
 */
type BatchHook = (db: D1Database, change: MoneyChange) => D1PreparedStatement[];

/** The hooks a money batch runs (empty: nothing rides along). */
export type BatchHooks = readonly BatchHook[];
