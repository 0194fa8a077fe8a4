// Shared helpers for the refund tests: a paid order through the simulator, refund calls, the
// simulator's call log and refund notify deliveries, refund notifies the test sends itself, and a
// hand-built GatewayDeps for use-case calls.
import { env, exports } from 'cloudflare:workers';
import { expect } from 'vitest';
import { parseConfig } from '../../src/worker/platform/config';
import type { GatewayDeps } from '../../src/worker/platform/deps';
import { BATCH_HOOKS, orderGate, wechatDeps } from '../../src/worker/compose/wiring';
import { v2Channel } from '../../src/worker/wechat';
import { refundOfStored } from '../../src/worker/refunds';
import { AUTH, BUYER, api, freshNo, jsapiFor, postJson, prepayIdOf, simPay, simScenario } from './orders-helpers';

export { AUTH, api, freshNo, postJson, simScenario };

/** Creates an order on the merchant API and pays it in the simulator (its notify makes it PAID). */
export async function paidOrder(totalFee = 1999, scenario?: Record<string, unknown>): Promise<string> {
  const no = freshNo('RF');
  const created = await postJson('/v1/orders', { description: 'Refund test', total_fee: totalFee, out_trade_no: no, openid: BUYER });
  expect(created.status).toBe(201);
  if (scenario) await simScenario(no, scenario);
  const params = (await (await jsapiFor(no)).json()) as { package: string };
  expect((await simPay(prepayIdOf(params))).body.ok).toBe(true);
  expect((await orderView(no)).status).toBe('PAID');
  return no;
}

/** The plain fields of a refund notify (300 of a 1000 order, SUCCESS), before encryption. */
export function plainRefundNotify(no: string, orn: string, refundId: string, over: Record<string, string> = {}) {
  return {
    out_trade_no: no,
    out_refund_no: orn,
    refund_id: refundId,
    refund_fee: '300',
    total_fee: '1000',
    refund_status: 'SUCCESS',
    success_time: '2026-01-02 03:04:05',
    ...over,
  };
}

/** A PROCESSING refund of 300 on a 1000 order whose notifies the test sends itself. */
export async function processingRefund() {
  const no = await paidOrder(1000);
  await simScenario(no, { notify: 'never' });
  const orn = `${no}-n`;
  const r = await refundReq(no, { refund_fee: 300, out_refund_no: orn });
  expect(r.body.status).toBe('PROCESSING');
  return { no, orn, refundId: r.body.refund_id as string };
}

export async function refundReq(outTradeNo: string, body: Record<string, unknown>) {
  const res = await postJson(`/v1/orders/${outTradeNo}/refunds`, body);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

export async function orderView(outTradeNo: string): Promise<Record<string, any>> {
  return (await (await api(`/v1/orders/${outTradeNo}`, { headers: AUTH })).json()) as Record<string, any>;
}

export async function refundGet(outRefundNo: string) {
  const res = await api(`/v1/refunds/${encodeURIComponent(outRefundNo)}`, { headers: AUTH });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** How many calls of `endpoint` the simulator received for this order (its own call log). */
export async function simCalls(outTradeNo: string, endpoint = 'refund'): Promise<number> {
  const res = await api(`/sandbox/sim/calls?out_trade_no=${outTradeNo}`);
  const { calls } = (await res.json()) as { calls: Array<{ endpoint: string }> };
  return calls.filter((c) => c.endpoint === endpoint).length;
}

/** Runs the refund notify's pending delivery attempts now (the simulator sends it 5 s after acceptance). */
export async function flushRefundNotify(outRefundNo: string) {
  const res = await postJson('/sandbox/sim/deliveries/flush', { out_refund_no: outRefundNo }, {});
  expect(res.status).toBe(200);
  return res.json();
}

export async function refundDeliveries(outRefundNo: string): Promise<Array<Record<string, any>>> {
  const res = await api(`/sandbox/sim/deliveries?out_refund_no=${encodeURIComponent(outRefundNo)}`);
  return ((await res.json()) as { deliveries: Array<Record<string, any>> }).deliveries;
}

export async function simOrder(outTradeNo: string): Promise<Record<string, any>> {
  return (await (await api(`/sandbox/sim/orders/${outTradeNo}`)).json()) as Record<string, any>;
}

/** The stored refund row, its times (epoch ms since 0015) read back as the repos do, as ISO text. */
export async function refundRow(outRefundNo: string) {
  const row = await env.DB.prepare('SELECT * FROM refunds WHERE out_refund_no = ?1').bind(outRefundNo).first<Record<string, any>>();
  return row ? (refundOfStored(row) as unknown as Record<string, any>) : null;
}

export async function ledger(outTradeNo: string) {
  return (
    await env.DB.prepare('SELECT kind, amount_fen, transaction_id FROM ledger WHERE out_trade_no = ?1 ORDER BY id').bind(outTradeNo).all<Record<string, any>>()
  ).results;
}

export async function anomalies(outTradeNo: string) {
  return (await env.DB.prepare('SELECT kind, detail FROM anomalies WHERE out_trade_no = ?1 ORDER BY id').bind(outTradeNo).all<Record<string, any>>()).results;
}

/** Moves a refund's bookkeeping times back, as if it had been quiet for `byMs`. */
export async function ageRefund(outRefundNo: string, byMs: number) {
  const back = (iso: string | null) => (iso ? Date.parse(iso) - byMs : null); // stored as epoch ms since 0015
  const r = await refundRow(outRefundNo);
  await env.DB.prepare('UPDATE refunds SET updated_at = ?2, last_attempt_at = ?3, last_synced_at = ?4 WHERE out_refund_no = ?1')
    .bind(outRefundNo, back(r!.updated_at), back(r!.last_attempt_at), back(r!.last_synced_at))
    .run();
}

/** The gateway's dependencies as wiring.ts builds them, with a shorter WeChat deadline for timeout tests. */
export function testDeps(timeoutMs?: number): GatewayDeps {
  const cfg = parseConfig(env as unknown as Record<string, unknown>);
  if (!cfg.ok) throw new Error('config');
  const wechat = wechatDeps(cfg.config, env, { exports });
  return {
    db: env.DB,
    gate: (no) => orderGate(env, no),
    config: cfg.config,
    channel: v2Channel(timeoutMs ? { ...wechat, timeoutMs } : wechat),
    now: Date.now,
    waitUntil: () => undefined,
    batchHooks: BATCH_HOOKS,
  };
}

/**
 * Waits (bounded: 300 × 10 ms) until every automatic refund of the order filed by a notify has been
 * sent once (the notify route sends it after its reply), so no request of it runs on into the next test.
 */
export async function automaticRefundsSent(outTradeNo: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM refunds WHERE out_trade_no = ?1 AND automatic = 1 AND attempts = 0')
      .bind(outTradeNo)
      .first<{ n: number }>();
    if (row?.n === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the automatic refund of ${outTradeNo} was never sent`);
}
