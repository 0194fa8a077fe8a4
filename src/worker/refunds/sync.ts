// Catch-up for refunds: a signature-verified refundquery (by out_refund_no), applied through the gate.
import { parseWechatTime, type SignType } from '../../core';
import { ChannelError } from '../channel';
import type { GatewayDeps } from '../platform/deps';
import { errorName, log } from '../platform/log';
import { claimRefundSync, getRefund, refundTarget, type RefundRow } from './refunds-repo';

/** A SUBMITTING or PROCESSING refund quiet for this long is checked with refundquery before a read answers. */
export const REFUND_SYNC_AFTER_MS = 60_000;

const ms = (iso: string | null) => (iso ? Date.parse(iso) : 0);

/** Unfinished, and nothing heard or tried for REFUND_SYNC_AFTER_MS. */
export function refundSyncDue(row: RefundRow, nowMs: number): boolean {
  if (row.status !== 'SUBMITTING' && row.status !== 'PROCESSING') return false;
  return nowMs - Math.max(ms(row.updated_at), ms(row.last_attempt_at), ms(row.last_synced_at)) >= REFUND_SYNC_AFTER_MS;
}

/** WeChat's `yyyy-MM-dd HH:mm:ss` (Beijing) as UTC ISO-8601, or undefined when malformed. */
export function refundTimeToIso(s: string | undefined): string | undefined {
  if (!s || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(s)) return undefined;
  return parseWechatTime(s.replace(/[-: ]/g, ''))?.toISOString();
}

interface SyncOptions {
  /** After a definitive refusal of a resubmission: if WeChat has no such refund, release it with this reason. */
  releaseIfAbsent?: string;
}

/**
 * One rate-limited refundquery for this refund, applied through the gate. Never throws for WeChat or
 * gate trouble: a read must not fail because WeChat is slow. Returns the refund as it stands after.
 */
export async function syncRefund(deps: GatewayDeps, row: RefundRow, signType: SignType, opts: SyncOptions = {}): Promise<RefundRow> {
  const nowMs = deps.now();
  if (
    !(await claimRefundSync(deps.db, row.out_refund_no, new Date(nowMs).toISOString(), new Date(nowMs - REFUND_SYNC_AFTER_MS).toISOString())) &&
    !opts.releaseIfAbsent
  ) {
    return row;
  }
  const base = { outTradeNo: row.out_trade_no, outRefundNo: row.out_refund_no, source: 'REFUNDQUERY' as const };
  try {
    try {
      const q = await deps.channel.queryRefund(row.out_refund_no, { ...(await refundTarget(deps.db, row)), signType });
      const found = q.refunds.find((r) => r.outRefundNo === row.out_refund_no);
      if (found) {
        const result = await deps.gate(row.out_trade_no).applyRefundResult({
          ...base,
          status: found.status,
          refundFee: found.refundFee,
          totalFee: q.totalFee,
          refundId: found.refundId,
          succeededAt: refundTimeToIso(found.successTime),
        });
        return result.refund ?? row;
      }
    } catch (e) {
      if (!(e instanceof ChannelError) || e.code !== 'REFUNDNOTEXIST') throw e;
    }
    // WeChat has no refund under this number.
    if (opts.releaseIfAbsent && row.status === 'SUBMITTING') {
      const result = await deps.gate(row.out_trade_no).applyRefundResult({
        ...base,
        source: 'API',
        status: 'FAILED',
        refundFee: row.refund_fee,
        totalFee: row.total_fee,
        failureReason: opts.releaseIfAbsent,
      });
      return result.refund ?? row;
    }
    return (await getRefund(deps.db, row.out_refund_no)) ?? row;
  } catch (e) {
    const detail = e instanceof ChannelError ? { code: e.code, errCode: e.errCode } : { error: errorName(e) };
    (deps.log ?? log).warn('REFUND_SYNC_FAILED', { outTradeNo: row.out_trade_no, outRefundNo: row.out_refund_no, ...detail });
    return row;
  }
}
