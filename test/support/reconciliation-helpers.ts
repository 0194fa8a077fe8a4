// Helpers for the reconciliation tests: pay on a past day in the simulator, plant rows, drive a day's Reconciler.
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { formatWechatTime } from '../../src/core';
import { RECONCILER_TEST_HOOKS, type Reconciler, type ReconcilerTestHooks } from '../../src/worker/reconciliation/durable-object';
import { AUTH, BUYER, api, createOrder, jsapiFor, postJson, prepayIdOf, simClock, simPay, simScenario } from './orders-helpers';

export const DAY_MS = 24 * 3600_000;

/** The Beijing date `daysBack` days ago. Each test uses its own day: the simulator's bill holds the whole day. */
export function dayBack(daysBack: number): string {
  return formatWechatTime(new Date(Date.now() - daysBack * DAY_MS)).slice(0, 8);
}

/** Pays one order in the simulator with its clock set `daysBack` days back (then restores it). */
export async function payOnDay(daysBack: number, opts: { totalFee?: number; scenario?: Record<string, unknown> } = {}) {
  await simClock(-daysBack * DAY_MS);
  try {
    const order = await createOrder({ openid: BUYER, total_fee: opts.totalFee ?? 1999 });
    if (opts.scenario) await simScenario(order.out_trade_no, opts.scenario);
    const params = (await (await jsapiFor(order.out_trade_no)).json()) as { package: string };
    const paid = await simPay(prepayIdOf(params));
    if (!paid.body.ok) throw new Error(`sim pay failed: ${JSON.stringify(paid.body)}`);
    return { outTradeNo: order.out_trade_no as string, transactionId: paid.body.transaction_id as string, timeEnd: paid.body.time_end as string };
  } finally {
    await simClock(0);
  }
}

/** A PAID order WeChat never saw, with its time_end on `billDate`. */
export async function plantPaid(outTradeNo: string, billDate: string, totalFee = 500) {
  const now = Date.now(); // an order's times are epoch ms since 0018
  await env.DB.prepare(
    `INSERT INTO orders (out_trade_no, description, total_fee, fee_type, status, sign_type, request_hash, transaction_id, time_end, paid_at, expires_at, created_at, updated_at)
     VALUES (?1, 'planted', ?2, 'CNY', 'PAID', 'HMAC-SHA256', 'x', ?3, ?4, ?5, ?5, ?5, ?5)`,
  )
    .bind(outTradeNo, totalFee, `4200000000PLANT${outTradeNo}`.slice(0, 28), billDate + '120000', now)
    .run();
}

export const reconciler = (billDate: string) => env.RECONCILER.getByName(billDate);

export function setHooks(billDate: string, hooks: ReconcilerTestHooks | undefined) {
  return runInDurableObject(reconciler(billDate), (instance: Reconciler) => {
    instance[RECONCILER_TEST_HOOKS] = hooks;
  });
}

export async function runRow(billDate: string) {
  return env.DB.prepare('SELECT * FROM reconciliation_runs WHERE bill_date = ?1').bind(billDate).first<Record<string, any>>();
}

const FINAL = new Set(['BALANCED', 'DISCREPANCIES', 'NO_BILL', 'ERROR']);

/**
 * Steps the day's Reconciler until its run is final (or `until` holds), one alarm at a time. A step
 * that throws (a crash) is caught: the next alarm resumes, as the runtime's alarm retry would.
 */
export async function drive(billDate: string, until: (run: Record<string, any>) => boolean = (r) => FINAL.has(r.status), maxSteps = 100) {
  const stub = reconciler(billDate);
  for (let i = 0; i < maxSteps; i++) {
    await stub.idle();
    const run = await runRow(billDate);
    if (run && until(run)) return run;
    let ran = false;
    try {
      ran = await runDurableObjectAlarm(stub);
    } catch {
      ran = true; // a crashed step: resume on the next turn
    }
    if (!ran) await stub.kick(billDate);
  }
  throw new Error(`run ${billDate} did not settle: ${JSON.stringify(await runRow(billDate))}`);
}

export async function report(billDate: string) {
  const res = await api(`/v1/reconciliations/${billDate}`, { headers: AUTH });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

export async function start(billDate: unknown, rerun?: boolean) {
  const res = await postJson('/v1/reconciliations', rerun === undefined ? { bill_date: billDate } : { bill_date: billDate, rerun });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

export async function ledger(outTradeNo: string) {
  return (await env.DB.prepare('SELECT amount_fen, transaction_id FROM ledger WHERE out_trade_no = ?1').bind(outTradeNo).all()).results;
}
