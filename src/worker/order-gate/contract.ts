// The OrderGate RPC contract: the shapes both the notify route and the merchant API pass to the DO.
// RPC shapes must stay forward and backward compatible across deploys (docs/reliability.md §6.1): add
// optional fields only.
import type { OrderStatus } from '../../core/order-state';

/** RECONCILIATION: a bill payment confirmed by a verified orderquery (src/worker/reconciliation). */
export type PaymentSource = 'NOTIFY' | 'ORDERQUERY' | 'CLOSE_ORDERPAID' | 'RECONCILIATION';

/** A verified payment fact: the signature (notify or orderquery answer) was checked by the caller. */
export interface PaymentFacts {
  outTradeNo: string;
  transactionId: string;
  /** Integer fen, as WeChat reported it; the DO re-checks it against the order. */
  totalFee: number;
  feeType: string;
  cashFee?: number;
  bankType?: string;
  /** The payer's openid as WeChat reported it. */
  openid?: string;
  /** WeChat's yyyyMMddHHmmss (Beijing), verbatim. */
  timeEnd?: string;
  source: PaymentSource;
}

/** The raw notify behind a payment, appended to `notifications` in the same D1 batch as its effect. */
export interface NotifyEvidence {
  rawBody: string;
  /** SHA-256 of the raw bytes: describes rawBody. */
  bodySha256: string;
  /**
   * SHA-256 of the authenticated message, the same for every re-encoding of it: the anomaly
   * idempotency key. Optional only for RPC compatibility; absent, bodySha256 stands in.
   */
  messageSha256?: string;
  /** UTC ISO-8601. */
  receivedAt: string;
}

/**
 * The order as the caller just read it from D1 (optional). The DO then tries its compare-and-set
 * from this status straight away, saving a D1 read; a stale snapshot only makes the CAS miss, after
 * which the DO reads the row itself. It is never trusted for anything else.
 */
export interface OrderSnapshot {
  status: OrderStatus;
  totalFee: number;
  feeType: string;
  transactionId: string | null;
}

export type GateOutcome =
  /** This call moved the order to PAID and wrote its one ledger credit. */
  | 'APPLIED'
  /** The same transaction_id was already applied: nothing written. */
  | 'ALREADY_APPLIED'
  /** Paid after a local close (or a failed prepay): PAID_AFTER_CLOSE + ledger + anomaly, in one batch. */
  | 'PAID_AFTER_CLOSE'
  /** The order is paid under another transaction_id, or this transaction_id belongs to another order: anomaly TXN_CONFLICT. */
  | 'CONFLICT'
  /** total_fee or fee_type differs from the order: anomaly AMOUNT_MISMATCH, nothing applied. */
  | 'AMOUNT_MISMATCH'
  /** A payment for a (partly) refunded order: anomaly LATE_PAYMENT_NOTIFY, nothing applied. */
  | 'LATE_PAYMENT'
  /** No such order in D1. */
  | 'UNKNOWN_ORDER'
  /** closeOrder: the requested phase happened (now CLOSING, CLOSED, or NOTPAY after ABORT). */
  | 'CLOSE_STEP_DONE'
  /** closeOrder: the order is not in a state this phase applies to; `status` says where it is. */
  | 'CLOSE_NOT_APPLICABLE';

export interface GateResult {
  outcome: GateOutcome;
  /** The order's status after the call; null only with UNKNOWN_ORDER. */
  status: OrderStatus | null;
}

/** BEGIN: →CLOSING before closeorder; CLOSED: CLOSING→CLOSED after closeorder SUCCESS/ORDERCLOSED; ABORT: CLOSING→NOTPAY. */
export type ClosePhase = 'BEGIN' | 'CLOSED' | 'ABORT';

export interface CloseRequest {
  outTradeNo: string;
  phase: ClosePhase;
}

/** The OrderGate's RPC surface as callers see it: the only way money state changes. */
export interface OrderGateRpc {
  applyPayment(p: PaymentFacts, evidence?: NotifyEvidence, seen?: OrderSnapshot): Promise<GateResult>;
  closeOrder(req: CloseRequest): Promise<GateResult>;
}
