/**
 * Simulator controls under /sandbox/sim/ (documented in docs/sandbox.md): scenarios, the sandbox
 * clock, the call log, test users, notify deliveries, and a test receiver for notify_url.
 */
import { Hono } from 'hono';
import { buildXml } from '../../core';
import { payDeliveryStub, refundDeliveryStub } from '../deliveries';
import { merchantStub, type SandboxEnv } from '../hono-env';
import { ANY_ORDER } from '../merchant-do';
import { parseScenario, ScenarioError } from '../scenarios';
import type { ReceiverConfig } from '../state';
import { OUT_TRADE_NO } from '../../core';
import { OUT_REFUND_NO } from '../refund';
import { appKindOf, type SimMerchant } from '../settings';
import { USER_NAME } from '../users';
import { BULK_MAX_PER_CALL } from '../bulk';

export const sim = new Hono<SandboxEnv>();

const bad = (message: string) => Response.json({ ok: false, error: 'BAD_REQUEST', message }, { status: 400 });

async function jsonObject(req: Request): Promise<Record<string, unknown> | null> {
  try {
    const v: unknown = await req.json();
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const scenarioKey = (v: unknown): string | null => (v === ANY_ORDER || (typeof v === 'string' && OUT_TRADE_NO.test(v)) ? (v as string) : null);

sim.post('/scenario', async (c) => {
  const body = await jsonObject(c.req.raw);
  if (!body) return bad('body must be a JSON object');
  const key = scenarioKey(body.out_trade_no);
  if (!key) return bad('out_trade_no must be an out_trade_no or "*"');
  try {
    const scenario = parseScenario(body);
    await merchantStub(c.env, c.get('merchant').mchId).setScenario(key, scenario);
    return c.json({ ok: true, out_trade_no: key, scenario });
  } catch (e) {
    if (e instanceof ScenarioError) return bad(e.message);
    throw e;
  }
});

sim.get('/scenario', async (c) => {
  const key = scenarioKey(c.req.query('out_trade_no'));
  if (!key) return bad('out_trade_no must be an out_trade_no or "*"');
  return c.json({ out_trade_no: key, scenario: (await merchantStub(c.env, c.get('merchant').mchId).scenario(key)) ?? null });
});

sim.delete('/scenario', async (c) => {
  const key = scenarioKey(c.req.query('out_trade_no'));
  if (!key) return bad('out_trade_no must be an out_trade_no or "*"');
  await merchantStub(c.env, c.get('merchant').mchId).setScenario(key, undefined);
  return c.json({ ok: true });
});

sim.get('/clock', async (c) => c.json(await merchantStub(c.env, c.get('merchant').mchId).clock()));

/** `{"offset_ms": n}` sets the offset from real time; `{"advance_ms": n}` adds to it. */
sim.post('/clock', async (c) => {
  const body = await jsonObject(c.req.raw);
  const stub = merchantStub(c.env, c.get('merchant').mchId);
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && Math.abs(v) <= 366 * 24 * 3600_000;
  if (body && isInt(body.offset_ms) && body.advance_ms === undefined) return c.json(await stub.setClockOffset(body.offset_ms));
  if (body && isInt(body.advance_ms) && body.offset_ms === undefined) {
    const { offset_ms } = await stub.clock();
    return c.json(await stub.setClockOffset(offset_ms + body.advance_ms));
  }
  return bad('body must be {"offset_ms": <ms>} or {"advance_ms": <ms>}, at most one year');
});

/**
 * Benchmarks: `{"bill_date": "yyyyMMdd", "count": N, "start": s, "n": k}` writes trades s … s+k−1 of an
 * N-trade day, paid (at most 10,000 per call). Trade i is `bulkTrade(bill_date, i, N)` (src/sandbox/bulk.ts).
 */
sim.post('/bulk-trades', async (c) => {
  const body = await jsonObject(c.req.raw);
  const int = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
  if (!body || typeof body.bill_date !== 'string' || !/^\d{8}$/.test(body.bill_date) || !int(body.count, 1, 1_000_000)) {
    return bad('body must be {"bill_date": "yyyyMMdd", "count": 1…1000000, "start"?: n, "n"?: 1…10000}');
  }
  const count = body.count as number;
  const start = body.start ?? 0;
  const n = body.n ?? Math.min(count, BULK_MAX_PER_CALL);
  if (!int(start, 0, count - 1) || !int(n, 1, BULK_MAX_PER_CALL) || (start as number) + (n as number) > count)
    return bad('start and n must stay within count, n ≤ 10000');
  const m = c.get('merchant');
  return c.json(await merchantStub(c.env, m.mchId).bulkTrades(m.appId, body.bill_date, start as number, n as number, count));
});

sim.get('/calls', async (c) => {
  const no = c.req.query('out_trade_no');
  if (!no || !OUT_TRADE_NO.test(no)) return bad('out_trade_no is required');
  return c.json({ out_trade_no: no, calls: await merchantStub(c.env, c.get('merchant').mchId).calls(no) });
});

/** WeChat's side of an order: `trade_state` (SUCCESS, REFUND, NOTPAY, CLOSED), its appid and trade_type, and the rest. */
sim.get('/orders/:out_trade_no', async (c) => {
  const o = await merchantStub(c.env, c.get('merchant').mchId).order(c.req.param('out_trade_no'));
  return o ? c.json({ trade_state: o.state, ...o }) : c.json({ ok: false, error: 'ORDER_NOT_FOUND' }, 404);
});

/** An appid bound to the merchant (the 公众号's when absent), or null. */
function boundAppId(m: SimMerchant, v: unknown): string | null {
  if (v === undefined) return m.appId;
  return typeof v === 'string' && appKindOf(m, v) ? v : null;
}

/** The buyers under an appid (`?appid=`, default the 公众号's): their openids differ per appid. */
sim.get('/users', async (c) => {
  const m = c.get('merchant');
  const appId = boundAppId(m, c.req.query('appid'));
  if (!appId) return bad("appid must be one of the merchant's appids (公众号, mini-program, app)");
  return c.json({ appid: appId, users: await merchantStub(c.env, m.mchId).users(appId) });
});

sim.post('/users', async (c) => {
  const body = await jsonObject(c.req.raw);
  if (!body || typeof body.name !== 'string' || !USER_NAME.test(body.name)) return bad('name must match [A-Za-z0-9_-]{1,32}');
  const m = c.get('merchant');
  const appId = boundAppId(m, body.appid);
  if (!appId) return bad("appid must be one of the merchant's appids (公众号, mini-program, app)");
  const openid = await merchantStub(c.env, m.mchId).registerUser(appId, body.name);
  return c.json({ name: body.name, appid: appId, openid });
});

/**
 * The mini-program's `wx.login()` for a buyer: `{"user": name}` → `{js_code, expires_in: 300}`, a code
 * for GET /sandbox/sns/jscode2session, single use, 5 minutes (docs/wechatpay-v2.md §23.3).
 */
sim.post('/js-code', async (c) => {
  const body = await jsonObject(c.req.raw);
  if (!body || typeof body.user !== 'string' || !USER_NAME.test(body.user)) return bad('body must be {"user": name}, name matching [A-Za-z0-9_-]{1,32}');
  const m = c.get('merchant');
  if (!m.miniProgram) return c.json({ ok: false, error: 'NO_MINI_PROGRAM', message: 'the merchant has no mini-program' }, 404);
  const jsCode = await merchantStub(c.env, m.mchId).issueCode(m.miniProgram.appId, body.user, 'jscode', 'jscode');
  return c.json({ js_code: jsCode, expires_in: 300 });
});

function deliveryStub(env: Env, q: { out_trade_no?: unknown; out_refund_no?: unknown }) {
  if (typeof q.out_trade_no === 'string' && OUT_TRADE_NO.test(q.out_trade_no)) return payDeliveryStub(env, q.out_trade_no);
  if (typeof q.out_refund_no === 'string' && OUT_REFUND_NO.test(q.out_refund_no)) return refundDeliveryStub(env, q.out_refund_no);
  return null;
}

sim.get('/deliveries', async (c) => {
  const stub = deliveryStub(c.env, c.req.query());
  return stub ? c.json(await stub.status()) : bad('out_trade_no or out_refund_no is required');
});

/** Runs every pending delivery's next attempt now (instead of waiting for its alarm). */
sim.post('/deliveries/flush', async (c) => {
  const stub = deliveryStub(c.env, (await jsonObject(c.req.raw)) ?? {});
  return stub ? c.json(await stub.flush()) : bad('out_trade_no or out_refund_no is required');
});

/** Replays the latest notify's exact bytes as a new delivery (first attempt inline). */
sim.post('/deliveries/resend', async (c) => {
  const stub = deliveryStub(c.env, (await jsonObject(c.req.raw)) ?? {});
  if (!stub) return bad('out_trade_no or out_refund_no is required');
  const d = await stub.resend();
  return d ? c.json(d) : c.json({ ok: false, error: 'NO_DELIVERY' }, 404);
});

// ---- the test receiver: point notify_url at /sandbox/sim/receiver/<name> ----

const RECEIVER = /^[A-Za-z0-9_-]{1,64}$/;
const ACK_XML = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';

sim.put('/receiver/:name', async (c) => {
  const name = c.req.param('name');
  const body = await jsonObject(c.req.raw);
  if (!RECEIVER.test(name) || !body) return bad('PUT /sandbox/sim/receiver/<name> {"fail_times": n, "fail_with": "fail" | "text" | "http500"}');
  const failTimes = body.fail_times ?? 0;
  const failWith = body.fail_with ?? 'fail';
  if (typeof failTimes !== 'number' || !Number.isInteger(failTimes) || failTimes < 0 || failTimes > 100)
    return bad('fail_times must be an integer from 0 to 100');
  if (failWith !== 'fail' && failWith !== 'text' && failWith !== 'http500') return bad('fail_with must be fail, text or http500');
  const config: ReceiverConfig = { fail_times: failTimes, fail_with: failWith };
  return c.json(await merchantStub(c.env, c.get('merchant').mchId).configureReceiver(name, config));
});

sim.get('/receiver/:name', async (c) => {
  const name = c.req.param('name');
  if (!RECEIVER.test(name)) return bad('bad receiver name');
  return c.json(await merchantStub(c.env, c.get('merchant').mchId).receiverState(name));
});

sim.post('/receiver/:name', async (c) => {
  const name = c.req.param('name');
  if (!RECEIVER.test(name)) return c.text('bad receiver name', 404);
  // Standard Webhooks headers and an API v3 notify's Wechatpay-* headers are kept too, so what arrived can be verified.
  const headers: Record<string, string> = {};
  for (const [k, v] of c.req.raw.headers) if (k.startsWith('webhook-') || k.startsWith('wechatpay-')) headers[k] = v;
  const v3 = Object.keys(headers).some((k) => k.startsWith('wechatpay-'));
  const reply = await merchantStub(c.env, c.get('merchant').mchId).receive(name, await c.req.text(), headers);
  // An API v3 notify is acknowledged by the status alone (docs/wechatpay-v3.md §8.4): 204, or 4xx/5xx.
  if (v3) {
    if (reply === 'ack') return c.body(null, 204);
    if (reply === 'text') return c.text('FAIL', 400);
    if (reply === 'http500') return c.html('<html><body>500 Internal Server Error</body></html>', 500);
    return c.json({ code: 'FAIL', message: '失败' }, 500);
  }
  if (reply === 'ack') return new Response(ACK_XML, { headers: { 'Content-Type': 'text/xml' } });
  if (reply === 'text') return c.text('success');
  if (reply === 'http500') return c.html('<html><body>500 Internal Server Error</body></html>', 500);
  return new Response(buildXml({ return_code: 'FAIL', return_msg: 'RETRY' }), { headers: { 'Content-Type': 'text/xml' } });
});
