// The refund comparison of T+1 reconciliation against real refunds: made through the merchant API and
// settled by the simulator's refund notify on a past sandbox day, then altered, deleted or planted in D1.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { simClock } from '../support/orders-helpers';
import { DAY_MS, dayBack, drive, payOnDay, report, start } from '../support/reconciliation-helpers';
import { flushRefundNotify, refundReq, refundRow } from '../support/refunds-helpers';

/**
 * A refund of `fee` made on the day `daysBack` back: the simulator's clock is set back while the API
 * call is made and its notify delivered, so WeChat dates it (退款申请时间) on that day. Our row is
 * stamped by the gateway's own clock, which the tests cannot set back: its application time is moved
 * to the same moment, as it would have been had the call been made that day.
 */
async function refundOnDay(daysBack: number, outTradeNo: string, fee: number, settle = true) {
  const orn = `${outTradeNo}-r${fee}`;
  await simClock(-daysBack * DAY_MS);
  try {
    const r = await refundReq(outTradeNo, { refund_fee: fee, out_refund_no: orn });
    expect(r.status).toBe(201);
    if (settle) await flushRefundNotify(orn);
  } finally {
    await simClock(0);
  }
  await env.DB.prepare('UPDATE refunds SET created_at = ?2 WHERE out_refund_no = ?1')
    .bind(orn, Date.now() - daysBack * DAY_MS) // epoch ms since 0015
    .run();
  return orn;
}

const kinds = (items: any[]) => items.map((i) => [i.kind, i.out_refund_no ?? i.out_trade_no]).sort();

describe('refunds in the reconciliation', () => {
  it('REFUND_MISSING_LOCALLY (deleted, or FAILED in our books), REFUND_AMOUNT_MISMATCH and REFUND_MISSING_AT_WECHAT, with both sides', async () => {
    const day = dayBack(12);
    const a = await payOnDay(12, { totalFee: 1000 });
    const b = await payOnDay(12, { totalFee: 1000 });
    const c = await payOnDay(12, { totalFee: 1000 });
    const e = await payOnDay(12, { totalFee: 1000 });
    const matched = await refundOnDay(12, a.outTradeNo, 300);
    const deleted = await refundOnDay(12, b.outTradeNo, 400);
    const altered = await refundOnDay(12, c.outTradeNo, 500);
    const failedHere = await refundOnDay(12, e.outTradeNo, 200);
    expect((await refundRow(matched))!).toMatchObject({ status: 'SUCCESS', refund_id: expect.any(String) });

    await env.DB.prepare('DELETE FROM refunds WHERE out_refund_no = ?1').bind(deleted).run();
    await env.DB.prepare('UPDATE refunds SET refund_fee = 501 WHERE out_refund_no = ?1').bind(altered).run();
    await env.DB.prepare(`UPDATE refunds SET status = 'FAILED', succeeded_at = NULL WHERE out_refund_no = ?1`).bind(failedHere).run();
    // A SUCCESS refund WeChat never made, applied on the day.
    const planted = `${a.outTradeNo}-planted`;
    const at = Date.now() - 12 * DAY_MS; // epoch ms since 0015
    await env.DB.prepare(
      `INSERT INTO refunds (out_refund_no, out_trade_no, refund_fee, total_fee, status, refund_id, request_hash, created_at, updated_at, succeeded_at)
       VALUES (?1, ?2, 100, 1000, 'SUCCESS', ?3, 'x', ?4, ?4, ?4)`,
    )
      .bind(planted, a.outTradeNo, `50300PLANTED${Date.now()}`, at)
      .run();

    expect((await start(day)).status).toBe(202);
    await drive(day);
    const { body } = await report(day);
    expect(body.status).toBe('DISCREPANCIES');
    expect(kinds(body.items)).toEqual(
      [
        ['REFUND_MISSING_LOCALLY', deleted],
        ['REFUND_MISSING_LOCALLY', failedHere],
        ['REFUND_AMOUNT_MISMATCH', altered],
        ['REFUND_MISSING_AT_WECHAT', planted],
      ].sort(),
    );
    const item = (orn: string) => body.items.find((i: any) => i.out_refund_no === orn);
    expect(item(deleted)).toMatchObject({
      resolution: 'OPEN',
      out_trade_no: b.outTradeNo,
      refund_id: expect.any(String),
      bill: { refund_fee: 400, refund_status: 'SUCCESS' },
      ours: null,
      note: 'no such refund in our books',
    });
    expect(item(failedHere)).toMatchObject({ bill: { refund_fee: 200 }, ours: { refund_fee: 200, status: 'FAILED' }, note: 'bill SUCCESS, ours FAILED' });
    expect(item(altered)).toMatchObject({ bill: { refund_fee: 500 }, ours: { refund_fee: 501, status: 'SUCCESS' }, note: 'bill 500 fen, ours 501 fen' });
    expect(item(planted)).toMatchObject({ out_trade_no: a.outTradeNo, bill: null, ours: { refund_fee: 100, status: 'SUCCESS' }, note: 'not in the bill' });
    expect(body.totals.bill).toMatchObject({ payment_count: 4, paid_fee: 4000, refund_count: 4, refund_fee: 1400 });
    // Ours: 300 + 501 + 100 (the deleted one is gone, the FAILED one moved no money).
    expect(body.totals.ours).toMatchObject({ payment_count: 4, paid_fee: 4000, refund_count: 3, refund_fee: 901 });
    expect(body.item_counts).toMatchObject({
      total: 4,
      open: 4,
      by_kind: {
        REFUND_MISSING_LOCALLY: { open: 2, applied: 0 },
        REFUND_AMOUNT_MISMATCH: { open: 1 },
        REFUND_MISSING_AT_WECHAT: { open: 1 },
        MISSING_LOCALLY: { open: 0 },
      },
    });
  });

  it('a day with partial, full, still-PROCESSING and closed refunds whose books agree is BALANCED', async () => {
    const day = dayBack(13);
    const partial = await payOnDay(13, { totalFee: 1000 });
    const full = await payOnDay(13, { totalFee: 500 });
    const processing = await payOnDay(13, { totalFee: 600, scenario: { refund_status: 'PROCESSING' } });
    const closed = await payOnDay(13, { totalFee: 800, scenario: { refund_status: 'REFUNDCLOSE' } });
    await refundOnDay(13, partial.outTradeNo, 300);
    await refundOnDay(13, full.outTradeNo, 500);
    const p = await refundOnDay(13, processing.outTradeNo, 100, false);
    const c = await refundOnDay(13, closed.outTradeNo, 800);
    expect((await refundRow(p))!.status).toBe('PROCESSING');
    expect((await refundRow(c))!.status).toBe('REFUNDCLOSE');

    await start(day);
    await drive(day);
    const { body } = await report(day);
    expect(body).toMatchObject({
      status: 'BALANCED',
      items: [],
      // WeChat's bill: the REFUNDCLOSE refund is not on it; the PROCESSING one is.
      totals: {
        bill: { payment_count: 4, paid_fee: 2900, refund_count: 3, refund_fee: 900 },
        ours: { payment_count: 4, paid_fee: 2900, refund_count: 3, refund_fee: 900 },
      },
    });
  });
});
