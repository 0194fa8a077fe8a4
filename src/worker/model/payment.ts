// Payment facts as the OrderGate applies them, whatever reported them (notify, orderquery, closeorder, the bill).
// They cross the DO's RPC boundary: add optional fields only (docs/reliability.md §6.1).
import type { OrderStatus } from '../../core/order-state';
import type { CheckedPayment } from '../../core/payment-notice-checks';

/**
 * The ways a buyer pays: JSAPI (WeChat's in-app browser, under the 公众号 appid), MINIPROGRAM (JSAPI
 * under the mini-program's appid), NATIVE (a QR code scanned with WeChat), MWEB (H5: a phone browser
 * outside WeChat) and APP (the merchant's app, under its open-platform appid).
 */
export type TradeType = 'JSAPI' | 'MINIPROGRAM' | 'NATIVE' | 'MWEB' | 'APP';

/** RECONCILIATION: a bill payment confirmed by a verified orderquery (src/worker/reconciliation). */
export type PaymentSource = 'NOTIFY' | 'ORDERQUERY' | 'CLOSE_ORDERPAID' | 'RECONCILIATION';

/**
 * A verified payment fact: the signature (notify or orderquery answer) was checked by the caller. The
 * fields of a checked notice (core/payment-notice-checks.ts), whatever reported it: integer fen as
 * WeChat reported it (the DO re-checks it against the order); `appId` (a notify's, checked) is absent
 * for facts from orderquery, closeorder or the bill.
 */
export interface PaymentFacts extends Omit<CheckedPayment, 'appId' | 'source'> {
  appId?: string;
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
