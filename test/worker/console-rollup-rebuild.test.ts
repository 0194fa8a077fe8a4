// scripts/console-daily-rebuild.sql recomputes console_daily by the live code's rules: run over the
// books the batches wrote, it changes nothing, and from an empty table it gives the same totals.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import rebuildSql from '../../scripts/console-daily-rebuild.sql?raw';
import { flushRefundNotify, paidOrder, refundReq } from '../support/refunds-helpers';

async function daily() {
  return (await env.DB.prepare('SELECT * FROM console_daily ORDER BY day').all()).results;
}

async function rebuild() {
  const statements = rebuildSql
    .split(';')
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
  await env.DB.batch(statements.map((s) => env.DB.prepare(s)));
}

describe('console daily totals rebuild', () => {
  it('agrees with what the payment and refund batches wrote', async () => {
    const a = await paidOrder(1234);
    await paidOrder(2345);
    await refundReq(a, { refund_fee: 234, out_refund_no: `${a}-r` });
    await flushRefundNotify(`${a}-r`);
    const written = await daily();
    expect(written.length).toBeGreaterThan(0);
    expect(written.reduce((n, r) => n + (r.paid_fee as number), 0)).toBe(1234 + 2345);
    expect(written.reduce((n, r) => n + (r.refund_fee as number), 0)).toBe(234);

    await rebuild(); // over the live rows: nothing changes
    expect(await daily()).toEqual(written);
    await env.DB.prepare('DELETE FROM console_daily').run();
    await rebuild(); // from nothing: the same totals
    expect(await daily()).toEqual(written);
  });
});
