// Sending a reserved refund to WeChat (申请退款 over the certificate transport) and applying what the
// answer proves through the order's gate. Always the same out_refund_no and amounts (docs/wechatpay-v2.md
// §12: 一笔退款失败后重新提交，请不要更换退款单号). Only a verified business FAIL releases the amount.
import type { SignType } from '../../core';
import { ChannelError } from '../channel';
import type { RefundFacts } from '../model';
import type { GatewayDeps } from '../platform/deps';
import { errorName, log } from '../platform/log';
import { claimRefundAttempt, getRefund, refundTarget, type RefundRow } from './refunds-repo';
import { syncRefund } from './sync';

/** A refund call finishes within the client's deadline (5 s); a new attempt waits for two of them. */
export const RESUBMIT_AFTER_MS = 10_000;

/**
 * WeChat said for certain that this refund will not happen: a signed result_code=FAIL that is not a
 * "retry with the same parameters" code. A timeout, SYSTEMERROR, an unsigned FAIL (return_code) or an
 * unverifiable answer says nothing for certain.
 */
function isDefinitiveRefusal(e: ChannelError): boolean {
  if (e.retryable) return false;
  return !['RETURN_FAIL', 'SIGN_INVALID', 'PROTOCOL', 'TIMEOUT', 'NETWORK'].includes(e.code);
}

function refundNotifyUrl(deps: Pick<GatewayDeps, 'config'>): string {
  return `${deps.config.publicBaseUrl}/wechat/refund-notify`;
}

/** Applies a verified fact through the gate; the refund as it stands after. */
async function applyFact(deps: Pick<GatewayDeps, 'gate' | 'db'>, row: RefundRow, facts: RefundFacts): Promise<RefundRow> {
  const result = await deps.gate(row.out_trade_no).applyRefundResult(facts);
  return result.refund ?? (await getRefund(deps.db, row.out_refund_no)) ?? row;
}

function warn(deps: Pick<GatewayDeps, 'log'>, event: string, row: RefundRow, detail: Record<string, unknown>): void {
  (deps.log ?? log).warn(event, { outTradeNo: row.out_trade_no, outRefundNo: row.out_refund_no, ...detail });
}

/**
 * One attempt for a SUBMITTING refund, if this caller wins the attempt claim (one per
 * RESUBMIT_AFTER_MS, however many replays, reads and sweeps race). Never throws for WeChat or gate
 * trouble after the reservation: the reservation is durable and a later attempt finishes the job.
 */
export async function submitRefund(deps: GatewayDeps, row: RefundRow, signType: SignType): Promise<RefundRow> {
  if (row.status !== 'SUBMITTING') return row;
  const nowMs = deps.now();
  const claimed = await claimRefundAttempt(deps.db, row.out_refund_no, new Date(nowMs).toISOString(), new Date(nowMs - RESUBMIT_AFTER_MS).toISOString());
  if (!claimed) return (await getRefund(deps.db, row.out_refund_no)) ?? row;
  const base = { outTradeNo: row.out_trade_no, outRefundNo: row.out_refund_no, refundFee: row.refund_fee, totalFee: row.total_fee, source: 'API' as const };
  try {
    const accepted = await deps.channel.refund({
      order: { ...(await refundTarget(deps.db, row)), signType },
      outRefundNo: row.out_refund_no,
      totalFee: row.total_fee,
      refundFee: row.refund_fee,
      refundDesc: row.reason ?? undefined,
      notifyUrl: refundNotifyUrl(deps),
    });
    return await applyFact(deps, row, { ...base, status: 'PROCESSING', refundId: accepted.refundId });
  } catch (e) {
    if (!(e instanceof ChannelError)) {
      warn(deps, 'REFUND_APPLY_FAILED', row, { error: errorName(e) });
      return (await getRefund(deps.db, row.out_refund_no).catch(() => null)) ?? row;
    }
    if (!isDefinitiveRefusal(e)) {
      warn(deps, 'REFUND_OUTCOME_UNKNOWN', row, { code: e.code, errCode: e.errCode });
      return (await getRefund(deps.db, row.out_refund_no).catch(() => null)) ?? row;
    }
    // An earlier attempt's outcome is unknown: WeChat may hold the refund after all. Ask before releasing.
    if (row.attempts > 0) {
      const synced = await syncRefund(deps, { ...row, last_synced_at: null }, signType, { releaseIfAbsent: e.errCode ?? e.code });
      return synced;
    }
    warn(deps, 'REFUND_REFUSED', row, { code: e.code, errCode: e.errCode });
    try {
      return await applyFact(deps, row, { ...base, status: 'FAILED', failureReason: e.errCode ?? e.code });
    } catch {
      return row;
    }
  }
}
