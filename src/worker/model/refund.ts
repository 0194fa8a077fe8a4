// Refunds as the gateway models them: the row the merchant API shows and the verified facts that move it.
import type { OrderStatus } from '../../core/order-state';
import type { RefundState } from '../../core/refund-state';

/** A refund row's status (core/refund-state.ts). */
export type RefundStatus = RefundState;

/** The refund row as the merchant API shows it (D1 column names; refunds/refunds-repo.ts RefundRow). */
export interface RefundRecord {
  out_refund_no: string;
  out_trade_no: string;
  refund_fee: number;
  total_fee: number;
  reason: string | null;
  status: RefundStatus;
  refund_id: string | null;
  failure_reason: string | null;
  /** 0011: 32 bytes for a merchant's refund (platform/stored-hash.ts); text `late:…`/`duplicate:…` for an automatic one. */
  request_hash: StoredHash;
  attempts: number;
  last_attempt_at: string | null;
  last_synced_at: string | null;
  created_at: string;
  updated_at: string;
  succeeded_at: string | null;
  /** 0009: the attempt whose money it returns (its WeChat number); null before attempts: the order's own number. */
  payment_no?: string | null;
  /** 0009: 1 for the automatic refund of a duplicate payment (outside the order's refund sums). */
  duplicate?: number;
  /** 0009: 1 for a refund the gateway filed itself (a duplicate's, or a payment after close's under LATE_PAYMENT_POLICY=refund). */
  automatic?: number;
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

/** One refund state change, as committed: the single point a webhook event hangs from. */
export interface RefundTransition {
  outRefundNo: string;
  outTradeNo: string;
  from: RefundStatus;
  to: RefundStatus;
  orderStatus: OrderStatus;
  at: string;
}

/**
 * A SHA-256 as D1 returns it since migration 0011: a 32-byte BLOB (an ArrayBuffer, or an array of
 * bytes), or text (an automatic refund's `late:…` marker, a row older than 0011). platform/stored-hash.ts
 * turns it back into hex.
 */
export type StoredHash = ArrayBuffer | ArrayLike<number> | string;
