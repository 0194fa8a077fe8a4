// Anomalies: authentic facts that cannot be applied, kept for a person (docs/reliability.md §1.2, §3.2).

export type AnomalyKind =
  | 'AMOUNT_MISMATCH'
  | 'FEE_TYPE_MISMATCH'
  | 'APPID_MISMATCH'
  | 'MCH_MISMATCH'
  | 'UNKNOWN_ORDER'
  | 'RESULT_FAIL'
  | 'OPENID_MISMATCH'
  | 'TRADE_TYPE_MISMATCH'
  | 'MALFORMED_FIELD'
  | 'PAID_AFTER_CLOSE'
  | 'LATE_PAYMENT_NOTIFY'
  | 'TXN_CONFLICT'
  /** Another attempt of an already paid order was paid too: credited, and refunded in full automatically. */
  | 'DUPLICATE_PAYMENT'
  /** WeChat refused (or closed) a duplicate payment's automatic refund: the money is still held; a person acts. */
  | 'DUPLICATE_REFUND_FAILED'
  | 'REFUND_UNMATCHED'
  /** A refund notify whose refund_fee/total_fee differ from the refund row: nothing applied. */
  | 'REFUND_AMOUNT_MISMATCH'
  /** A refund notify naming another order or another refund_id than the row: nothing applied. */
  | 'REFUND_MISMATCH'
  /** 退款异常: the money left but did not reach the buyer; the reservation is kept; a person acts. */
  | 'REFUND_CHANGE'
  /** A final refund state contradicting another one already recorded (e.g. SUCCESS after FAILED). */
  | 'REFUND_STATE_CONFLICT'
  // T+1 reconciliation (src/worker/reconciliation): differences a person must look at.
  | 'RECON_MISSING_LOCALLY'
  | 'RECON_MISSING_AT_WECHAT';

/** One `anomalies` row to write (unique on `(body_sha256, kind)`). */
export interface AnomalyRecord {
  kind: AnomalyKind;
  outTradeNo: string | null;
  /**
   * The idempotency key (column body_sha256): for a notify its messageKeyOf (the authenticated
   * message, whatever its encoding), for other sources a hash of the facts.
   */
  bodySha256: string;
  /** Never a key or a signature: only the facts an operator needs to reconcile. */
  detail: Record<string, unknown>;
  now: string;
}

/** Which notify route a `notifications` record came from. */
export type NotifyKind = 'PAY' | 'REFUND';
