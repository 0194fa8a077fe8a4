// What the merchant API returns for an order: never prepay_id, request_hash or sign internals.
import { transition } from '../../core/order-state';
import type { PayParams } from '../channel';
import type { PaymentAttemptRow } from './attempts-repo';
import type { OrderRow } from './orders-repo';

/** What may still be refunded: total minus SUBMITTING, PROCESSING, SUCCESS and CHANGE refunds; 0 unless refundable. */
export function refundableFee(row: Pick<OrderRow, 'status' | 'total_fee' | 'refund_reserved_fee'>): number {
  return transition(row.status, 'REFUND_ACCEPTED').ok ? row.total_fee - (row.refund_reserved_fee ?? 0) : 0;
}

export function orderView(row: OrderRow, checkoutUrl: string) {
  return {
    out_trade_no: row.out_trade_no,
    status: row.status,
    description: row.description,
    total_fee: row.total_fee,
    fee_type: row.fee_type,
    attach: row.attach,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, string>),
    // Only what the merchant named: the buyer who turned up is a different fact.
    openid: row.openid,
    payer_openid: row.prepay_openid,
    payment_no: row.payment_no ?? null,
    trade_type: row.trade_type ?? null,
    transaction_id: row.transaction_id,
    cash_fee: row.cash_fee,
    bank_type: row.bank_type,
    time_end: row.time_end,
    paid_at: row.paid_at,
    closed_at: row.closed_at,
    refunded_fee: row.refunded_fee ?? 0,
    refundable_fee: refundableFee(row),
    expires_at: row.expires_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
    checkout_url: checkoutUrl,
  };
}

/** What the client needs to pay, by trade type, in the API's shape. */
function payView(pay: PayParams) {
  switch (pay.tradeType) {
    case 'JSAPI':
    case 'MINIPROGRAM':
    case 'APP':
      return pay.params;
    case 'NATIVE':
      return { code_url: pay.codeUrl };
    case 'MWEB':
      return { mweb_url: pay.mwebUrl };
  }
}

/** A payment attempt as the merchant API shows it; `pay` only while it can be paid. */
export function paymentView(a: PaymentAttemptRow, pay: PayParams | null) {
  return {
    payment_no: a.payment_no,
    out_trade_no: a.out_trade_no,
    trade_type: a.trade_type,
    status: a.status,
    payer_openid: a.openid,
    transaction_id: a.transaction_id,
    expires_at: a.expires_at,
    paid_at: a.paid_at,
    created_at: a.created_at,
    pay: pay && payView(pay),
  };
}
