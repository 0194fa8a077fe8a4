// POST /v1/orders/:out_trade_no/refunds: reserve the amount through the order's gate (the cap is
// serialised with payments), then call WeChat. Idempotent on out_refund_no by a hash of the request.
import { formatWechatTime, nonceStr } from '../../core';
import type { GatewayDeps } from '../platform/deps';
import { sha256Hex } from '../../core';
import { isArchivedNumber } from '../archive';
import { getOrder } from '../orders';
import type { RefundRow } from './refunds-repo';
import { DomainError } from '../platform/errors';
import type { RefundReserveResult } from '../model';
import type { CreateRefundBody } from './schemas';
import { submitRefund } from './submit';

/** `R` + the Beijing date (yyyyMMdd) + 24 CSPRNG alphanumerics: 33 of WeChat's out_refund_no alphabet. */
export function generateOutRefundNo(nowMs: number): string {
  return `R${formatWechatTime(new Date(nowMs)).slice(0, 8)}${nonceStr(24)}`;
}

/** What makes two requests "the same": the order, the amount and the reason. */
export function refundRequestHash(outTradeNo: string, body: CreateRefundBody): Promise<string> {
  return sha256Hex(JSON.stringify([outTradeNo, body.refund_fee, body.reason ?? null]));
}

function refusal(r: RefundReserveResult): DomainError {
  switch (r.outcome) {
    case 'UNKNOWN_ORDER':
      return new DomainError('ORDER_NOT_FOUND', 'no such order');
    case 'IDEMPOTENCY_CONFLICT':
      return new DomainError('IDEMPOTENCY_CONFLICT', 'a refund with this out_refund_no exists with a different request');
    case 'NOT_REFUNDABLE':
      return new DomainError('ORDER_NOT_REFUNDABLE', `the order is ${r.status}; only PAID, PAID_AFTER_CLOSE and PARTIALLY_REFUNDED orders can be refunded`);
    case 'EXCEEDS_PAID':
      return new DomainError('REFUND_EXCEEDS_PAID', `refund_fee exceeds what is left to refund (${r.refundableFee ?? 0} fen)`, {
        refundable_fee: r.refundableFee ?? 0,
      });
    case 'LIMIT_REACHED':
      return new DomainError('REFUND_LIMIT_REACHED', 'WeChat Pay allows at most 50 refunds per order');
    case 'WINDOW_EXPIRED':
      return new DomainError('REFUND_WINDOW_EXPIRED', 'WeChat Pay refunds only within one year of payment');
    default:
      return new DomainError('INTERNAL', 'unexpected reservation outcome');
  }
}

type CreateRefundResult = { created: boolean; refund: RefundRow };

export async function createRefund(deps: GatewayDeps, outTradeNo: string, body: CreateRefundBody): Promise<CreateRefundResult> {
  // Fail closed before anything is reserved: live refunds need the client certificate (I12).
  if (!deps.channel.refundsAvailable) {
    throw new DomainError('REFUND_UNAVAILABLE', 'refunds need the WECHAT_MTLS client-certificate binding, which is not configured');
  }
  let order = await getOrder(deps.db, outTradeNo);
  if (!order && (await isArchivedNumber(deps.db, outTradeNo))) {
    // Past the hot window: back into D1 through its gate first, then refunded exactly like any other
    // (an order whose history alone moved gets it back inside the gate's reservation).
    await deps.gate(outTradeNo).restoreArchived(outTradeNo);
    order = await getOrder(deps.db, outTradeNo);
  }
  if (!order) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
  const outRefundNo = body.out_refund_no ?? generateOutRefundNo(deps.now());
  const reserved = await deps.gate(outTradeNo).reserveRefund({
    outTradeNo,
    outRefundNo,
    refundFee: body.refund_fee,
    reason: body.reason ?? null,
    requestHash: await refundRequestHash(outTradeNo, body),
  });
  if ((reserved.outcome !== 'RESERVED' && reserved.outcome !== 'EXISTING') || !reserved.refund) throw refusal(reserved);
  // A new refund is sent now; a replay of one still SUBMITTING is the merchant's retry: send it again,
  // same number (at most once per RESUBMIT_AFTER_MS). Anything past SUBMITTING is answered as it stands.
  const refund = await submitRefund(deps, reserved.refund, order.sign_type);
  return { created: reserved.outcome === 'RESERVED', refund };
}
