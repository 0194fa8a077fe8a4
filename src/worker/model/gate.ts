// The OrderGate RPC contract: the shapes both the notify route and the merchant API pass to the DO
// (a domain type: GatewayDeps.gate speaks it, so it lives here rather than in order-gate/).
// RPC shapes must stay forward and backward compatible across deploys (docs/reliability.md §6.1): add
// optional fields only.
// The facts it carries are the gateway's domain types (model/).
import type { OrderStatus } from '../../core/order-state';
import type { NoticeExpectations, NoticeFields } from '../../core/payment-notice-checks';
import type { AnomalyKind } from './anomaly';
import type { NotifyEvidence, OrderSnapshot, PaymentFacts, TradeType } from './payment';
import type { RefundFacts, RefundRecord, RefundTransition } from './refund';

export type GateOutcome =
  /** This call moved the order to PAID and wrote its one ledger credit. */
  | 'APPLIED'
  /** The same transaction_id was already applied: nothing written. */
  | 'ALREADY_APPLIED'
  /** Paid after a local close (or a failed prepay): PAID_AFTER_CLOSE + ledger + anomaly, in one batch. */
  | 'PAID_AFTER_CLOSE'
  /** The order is paid under another transaction_id, or this transaction_id belongs to another order: anomaly TXN_CONFLICT. */
  | 'CONFLICT'
  /** Another attempt paid the order first: anomaly DUPLICATE_PAYMENT, the credit and its automatic refund recorded. */
  | 'DUPLICATE_PAYMENT'
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
  /** Sandbox mode only: the D1 round trips the call made (platform/d1-meter.ts). */
  d1RoundTrips?: number;
}

/**
 * What an OrderGate keeps of a payment attempt, written right after the D1 commit that made it (D1
 * first, then this cache): the immutable facts a notify's checks need (core/payment-notice-checks.ts).
 */
export interface AttemptFacts {
  outTradeNo: string;
  /** The number WeChat knows it by: the order's own for the first attempt, else `<order>_<n>` or random. */
  paymentNo: string;
  /** The order total, integer fen. */
  totalFee: number;
  feeType: string;
  appId: string;
  tradeType: TradeType;
  /** The buyer of a buyer-bound trade type (JSAPI, MINIPROGRAM), else null. */
  openid: string | null;
}

/** How an OrderGate answered a payment notice (`settleNotice`). */
export type NoticeSettlement = (
  | /** This number is an attempt of that order: ask the order's gate. */ { kind: 'ALIAS'; outTradeNo: string }
  | /** Nothing kept for this number (made before the gate kept facts, or the write was lost): the caller reads D1. */ { kind: 'NO_FACTS' }
  | /** Authentic but not applicable: the caller records the anomaly. */ {
      kind: 'ANOMALY';
      anomaly: AnomalyKind;
      detail: Record<string, unknown>;
      outTradeNo: string | null;
    }
  | /** Checked and applied (or answered from the paid-memo): `payment` is what was checked. */ { kind: 'SETTLED'; result: GateResult; payment: PaymentFacts }
) & { d1RoundTrips?: number };

/** BEGIN: →CLOSING before closeorder; CLOSED: CLOSING→CLOSED after closeorder SUCCESS/ORDERCLOSED; ABORT: CLOSING→NOTPAY. */
type ClosePhase = 'BEGIN' | 'CLOSED' | 'ABORT';

export interface CloseRequest {
  outTradeNo: string;
  phase: ClosePhase;
}

/** The OrderGate's RPC surface as callers see it: the only way money state changes. */
export interface OrderGateRpc extends OrderGateRefundRpc {
  applyPayment(p: PaymentFacts, evidence?: NotifyEvidence, seen?: OrderSnapshot, opts?: { reportRoundTrips?: boolean }): Promise<GateResult>;
  /** A payment notice for the number this gate is named by: checked against the facts it keeps, then applied (issue 20). */
  settleNotice(notice: NoticeFields, evidence: NotifyEvidence, expect: NoticeExpectations): Promise<NoticeSettlement>;
  /** Keeps an attempt's facts (on the order's gate), after the D1 commit that made the attempt. */
  rememberAttempt(facts: AttemptFacts): Promise<void>;
  /** On the gate named by an attempt's own number (not the order's): where its order's gate is. */
  rememberAlias(outTradeNo: string): Promise<void>;
  closeOrder(req: CloseRequest): Promise<GateResult>;
}

// ---- refunds (issue 10) ----

/** A merchant's refund request, validated by the caller; the DO decides it against D1 under the lock. */
export interface RefundReserveRequest {
  outTradeNo: string;
  outRefundNo: string;
  refundFee: number;
  reason: string | null;
  /** SHA-256 of the request: the same out_refund_no with another request is an idempotency conflict. */
  requestHash: string;
}

type RefundReserveOutcome =
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

export interface RefundReserveResult {
  outcome: RefundReserveOutcome;
  refund?: RefundRecord;
  /** The order's status when decided; null with UNKNOWN_ORDER. */
  status: OrderStatus | null;
  /** With EXCEEDS_PAID: what may still be refunded. */
  refundableFee?: number;
}

type RefundApplyOutcome =
  /** This call moved the refund (see `transition`). */
  | 'APPLIED'
  /** Already there, or behind it (an API acceptance after the notify): nothing written. */
  | 'UNCHANGED'
  /** Contradicts a final state already recorded: anomaly REFUND_STATE_CONFLICT, nothing applied. */
  | 'CONFLICT'
  /** refund_fee, total_fee, order or refund_id differ from the row: anomaly, nothing applied. */
  | 'MISMATCH'
  | 'UNKNOWN_REFUND';

export interface RefundApplyResult {
  outcome: RefundApplyOutcome;
  /** The refund after the call; null with UNKNOWN_REFUND. */
  refund: RefundRecord | null;
  transition?: RefundTransition;
}

/** The OrderGate's refund methods (serialised with payments by the same lock). */
/** restoreArchived: the archived order is back in D1 (RESTORED), was there already (HOT), or is not archived. */
export type RestoreOutcome = 'RESTORED' | 'HOT' | 'NOT_ARCHIVED';

interface OrderGateRefundRpc {
  reserveRefund(req: RefundReserveRequest): Promise<RefundReserveResult>;
  /** Brings an archived order back into D1 under the order's lock, before a refund of it (issue 20). */
  restoreArchived(outTradeNo: string): Promise<RestoreOutcome>;
  applyRefundResult(facts: RefundFacts, evidence?: NotifyEvidence): Promise<RefundApplyResult>;
}
