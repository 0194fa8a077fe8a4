// The OrderGate RPC contract: the shapes both the notify route and the merchant API pass to the DO.
// RPC shapes must stay forward and backward compatible across deploys (docs/reliability.md §6.1): add
// optional fields only.
import type { OrderStatus } from '../../core/order-state';
import type { RefundState } from '../../core/refund-state';

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
export interface OrderGateRpc extends OrderGateRefundRpc {
  applyPayment(p: PaymentFacts, evidence?: NotifyEvidence, seen?: OrderSnapshot): Promise<GateResult>;
  closeOrder(req: CloseRequest): Promise<GateResult>;
}

// ---- refunds (issue 10) ----

/** A refund row's status (core/refund-state.ts). */
export type RefundStatus = RefundState;

/** A merchant's refund request, validated by the caller; the DO decides it against D1 under the lock. */
export interface RefundReserveRequest {
  outTradeNo: string;
  outRefundNo: string;
  refundFee: number;
  reason: string | null;
  /** SHA-256 of the request: the same out_refund_no with another request is an idempotency conflict. */
  requestHash: string;
}

export type RefundReserveOutcome =
  /** A SUBMITTING row was written and the amount reserved: the caller now calls WeChat. */
  | 'RESERVED'
  /** The same request was made before: `refund` is that refund. */
  | 'EXISTING'
  /** This out_refund_no is taken by another request (another amount, reason or order). */
  | 'IDEMPOTENCY_CONFLICT'
  /** The order is not PAID, PAID_AFTER_CLOSE or PARTIALLY_REFUNDED. */
  | 'NOT_REFUNDABLE'
  /** More than `refundableFee` was asked for. */
  | 'EXCEEDS_PAID'
  /** WeChat's 50 refunds per order. */
  | 'LIMIT_REACHED'
  /** WeChat refunds only within a year of payment. */
  | 'WINDOW_EXPIRED'
  | 'UNKNOWN_ORDER';

/** The refund row as the merchant API shows it (D1 column names; see d1/refunds-repo.ts RefundRow). */
export interface RefundRecord {
  out_refund_no: string;
  out_trade_no: string;
  refund_fee: number;
  total_fee: number;
  reason: string | null;
  status: RefundStatus;
  refund_id: string | null;
  failure_reason: string | null;
  request_hash: string;
  attempts: number;
  last_attempt_at: string | null;
  last_synced_at: string | null;
  created_at: string;
  updated_at: string;
  succeeded_at: string | null;
}

export interface RefundReserveResult {
  outcome: RefundReserveOutcome;
  refund?: RefundRecord;
  /** The order's status when decided; null with UNKNOWN_ORDER. */
  status: OrderStatus | null;
  /** With EXCEEDS_PAID: what may still be refunded. */
  refundableFee?: number;
}

export type RefundResultSource = 'API' | 'NOTIFY' | 'REFUNDQUERY';

/** A verified fact about a refund: a signed API answer, a decrypted and matched notify, or a signed refundquery item. */
export interface RefundFacts {
  outTradeNo: string;
  outRefundNo: string;
  /** PROCESSING: accepted by WeChat; FAILED: refused for certain (a business FAIL such as NOTENOUGH). */
  status: Exclude<RefundStatus, 'SUBMITTING'>;
  /** As WeChat reported it; the DO re-checks it against the row. */
  refundFee: number;
  totalFee?: number;
  refundId?: string;
  /** UTC ISO-8601, from WeChat's success_time when it gave one. */
  succeededAt?: string;
  /** WeChat's err_code for FAILED. */
  failureReason?: string;
  source: RefundResultSource;
}

export type RefundApplyOutcome =
  /** This call moved the refund (see `transition`). */
  | 'APPLIED'
  /** Already there, or behind it (an API acceptance after the notify): nothing written. */
  | 'UNCHANGED'
  /** Contradicts a final state already recorded: anomaly REFUND_STATE_CONFLICT, nothing applied. */
  | 'CONFLICT'
  /** refund_fee, total_fee, order or refund_id differ from the row: anomaly, nothing applied. */
  | 'MISMATCH'
  | 'UNKNOWN_REFUND';

/** One refund state change, as committed: the single point a webhook event hangs from. */
export interface RefundTransition {
  outRefundNo: string;
  outTradeNo: string;
  from: RefundStatus;
  to: RefundStatus;
  orderStatus: OrderStatus;
  at: string;
}

export interface RefundApplyResult {
  outcome: RefundApplyOutcome;
  /** The refund after the call; null with UNKNOWN_REFUND. */
  refund: RefundRecord | null;
  transition?: RefundTransition;
}

/** The OrderGate's refund methods (serialised with payments by the same lock). */
export interface OrderGateRefundRpc {
  reserveRefund(req: RefundReserveRequest): Promise<RefundReserveResult>;
  applyRefundResult(facts: RefundFacts, evidence?: NotifyEvidence): Promise<RefundApplyResult>;
}
