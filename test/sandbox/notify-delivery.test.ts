// Payment notify delivery: the signed notify, WeChat's retry schedule driven by DO alarms, the
// acknowledgement rule, duplicates, tampering, and survival across a restart (docs/wechatpay-v2.md §9).
import { abortAllDurableObjects, runDurableObjectAlarm } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { parseXml, verifySignedMessage } from '../../src/core';
import { RETRY_SCHEDULE_S, type DeliveryStatus } from '../../src/sandbox/delivery-do';
import { ALICE, APPID, BASE, callXml, getJson, KEY, MCHID, newOutTradeNo, pay, placeOrder, postJson, setScenario } from './helpers';

interface Received {
  config: { fail_times: number };
  received: { body: string; reply: string }[];
}

async function receiver(name: string, config: { fail_times: number; fail_with?: string }) {
  const res = await exports.default.fetch(`${BASE}/sim/receiver/${name}`, {
    method: 'PUT',
    body: JSON.stringify(config),
    headers: { 'Content-Type': 'application/json' },
  });
  expect(res.status).toBe(200);
}

const received = (name: string) => getJson<Received>(`/sim/receiver/${name}`);
const deliveries = (no: string) => getJson<DeliveryStatus>(`/sim/deliveries?out_trade_no=${no}`);
const stub = (no: string) => env.NOTIFY_DELIVERY.getByName(`pay:${no}`);

describe('the payment notify', () => {
  it.each(['MD5', 'HMAC-SHA256'] as const)('carries every field, signed with the order sign_type (%s)', async (signType) => {
    const no = newOutTradeNo();
    const o = await placeOrder(no, { attach: '会员=1&券=无', device_info: 'WEB' }, signType);
    const paid = await pay(o.prepay_id!);
    expect(paid.body.notify).toEqual({ state: 'acknowledged', attempts: 1 });
    const { received: got } = await received(no);
    expect(got).toHaveLength(1);
    const f = parseXml(got[0]!.body);
    expect(f).toMatchObject({
      return_code: 'SUCCESS',
      return_msg: 'OK',
      appid: APPID,
      mch_id: MCHID,
      result_code: 'SUCCESS',
      openid: ALICE,
      is_subscribe: 'N',
      trade_type: 'JSAPI',
      bank_type: 'CMB_DEBIT',
      total_fee: '1999',
      fee_type: 'CNY',
      cash_fee: '1999',
      transaction_id: paid.body.transaction_id,
      out_trade_no: no,
      attach: '会员=1&券=无',
      device_info: 'WEB',
      time_end: paid.body.time_end,
    });
    expect(f.nonce_str).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(f.sign_type).toBe(signType === 'HMAC-SHA256' ? 'HMAC-SHA256' : undefined);
    expect(await verifySignedMessage(f, KEY, [signType])).toMatchObject({ ok: true, signType });
  });

  it('retries on 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h until SUCCESS (16th attempt)', async () => {
    const no = newOutTradeNo();
    await receiver(no, { fail_times: 15 });
    const o = await placeOrder(no);
    expect((await pay(o.prepay_id!)).body.notify).toEqual({ state: 'pending', attempts: 1 });
    for (let i = 0; i < 15; i++) expect(await runDurableObjectAlarm(stub(no))).toBe(true);
    const {
      deliveries: [d],
      log,
    } = await deliveries(no);
    expect(d).toMatchObject({ state: 'acknowledged', attempts: 16 });
    expect(log.map((e) => e.attempt)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    const gaps = log.slice(0, 15).map((e) => e.next_delay_ms);
    expect(gaps).toEqual(RETRY_SCHEDULE_S.map((s) => s * 1000));
    expect(gaps.reduce((a, b) => a! + b!, 0)).toBe((24 * 60 + 4) * 60_000); // "总计 24h4m"
    expect(log.slice(0, 15).every((e) => !e.acknowledged && e.reply?.includes('FAIL'))).toBe(true);
    expect(log[15]).toMatchObject({ acknowledged: true, http_status: 200 });
    expect(log[15]!.next_delay_ms).toBeUndefined();
    // Every attempt carried the same bytes.
    const bodies = new Set((await received(no)).received.map((r) => r.body));
    expect(bodies.size).toBe(1);
    expect(await runDurableObjectAlarm(stub(no))).toBe(false);
  });

  it('gives up after 16 failed deliveries', async () => {
    const no = newOutTradeNo();
    await receiver(no, { fail_times: 100 });
    await pay((await placeOrder(no)).prepay_id!);
    for (let i = 0; i < 15; i++) await runDurableObjectAlarm(stub(no));
    const {
      deliveries: [d],
      log,
    } = await deliveries(no);
    expect(d).toMatchObject({ state: 'abandoned', attempts: 16 });
    expect(log).toHaveLength(16);
    expect(await runDurableObjectAlarm(stub(no))).toBe(false);
  });

  it('the time scale shrinks the schedule', async () => {
    const no = newOutTradeNo();
    await setScenario(no, { notify_time_scale: 0.5 });
    await receiver(no, { fail_times: 3 });
    await pay((await placeOrder(no)).prepay_id!);
    for (let i = 0; i < 3; i++) await runDurableObjectAlarm(stub(no));
    const { log } = await deliveries(no);
    expect(log.map((e) => e.next_delay_ms)).toEqual([7500, 7500, 15_000, undefined]);
    expect(log[3]!.acknowledged).toBe(true);
  });

  it.each([
    ['FAIL', 'fail'],
    ['the plain text "success"', 'text'],
    ['HTTP 500 HTML', 'http500'],
  ])('a %s reply is not an acknowledgement', async (_name, failWith) => {
    const no = newOutTradeNo();
    await receiver(no, { fail_times: 1, fail_with: failWith });
    const paid = await pay((await placeOrder(no)).prepay_id!);
    expect(paid.body.notify).toEqual({ state: 'pending', attempts: 1 });
    await runDurableObjectAlarm(stub(no));
    const {
      deliveries: [d],
    } = await deliveries(no);
    expect(d).toMatchObject({ state: 'acknowledged', attempts: 2 });
  });

  it('pending deliveries survive a restart (abortAllDurableObjects) and resume by alarm', async () => {
    const no = newOutTradeNo();
    await receiver(no, { fail_times: 1 });
    await pay((await placeOrder(no)).prepay_id!);
    expect((await deliveries(no)).deliveries[0]).toMatchObject({ state: 'pending', attempts: 1 });
    await abortAllDurableObjects();
    expect(await runDurableObjectAlarm(stub(no))).toBe(true);
    const {
      deliveries: [d],
      log,
    } = await deliveries(no);
    expect(d).toMatchObject({ state: 'acknowledged', attempts: 2 });
    expect(log.map((e) => e.acknowledged)).toEqual([false, true]);
  });
});

describe('notify scenarios', () => {
  it('duplicated N times concurrently, identical bytes', async () => {
    const no = newOutTradeNo();
    await setScenario(no, { notify_duplicates: 5 });
    await pay((await placeOrder(no)).prepay_id!);
    const { received: got } = await received(no);
    expect(got).toHaveLength(5);
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    const { log } = await deliveries(no);
    expect(log.map((e) => [e.attempt, e.copy])).toEqual([0, 1, 2, 3, 4].map((c) => [1, c]));
  });

  it('duplicated by several senders: each copy re-signed with its own nonce, same payment', async () => {
    const no = newOutTradeNo();
    await setScenario(no, { notify_duplicates: 3, notify_duplicate_mode: 'resigned' });
    await pay((await placeOrder(no, {}, 'HMAC-SHA256')).prepay_id!);
    const bodies = (await received(no)).received.map((r) => parseXml(r.body));
    expect(new Set(bodies.map((f) => f.nonce_str)).size).toBe(3);
    expect(new Set(bodies.map((f) => f.transaction_id)).size).toBe(1);
    for (const f of bodies) expect((await verifySignedMessage(f, KEY, ['HMAC-SHA256'])).ok).toBe(true);
  });

  it.each([
    ['amount', (f: Record<string, string>) => expect(f.total_fee).toBe('2099')],
    ['sign', (f: Record<string, string>) => expect(f.sign).toMatch(/^[0-9A-F]{32}$/)],
    ['nosign', (f: Record<string, string>) => expect(f.sign).toBeUndefined()],
  ])('tampered (%s): the body does not verify', async (how, check) => {
    const no = newOutTradeNo();
    await setScenario(no, { notify_tamper: how });
    await pay((await placeOrder(no)).prepay_id!);
    const f = parseXml((await received(no)).received[0]!.body);
    check(f);
    expect((await verifySignedMessage(f, KEY, ['MD5'])).ok).toBe(false);
  });

  it('never sent: only orderquery finds the payment', async () => {
    const no = newOutTradeNo();
    await setScenario(no, { notify: 'never' });
    const paid = await pay((await placeOrder(no)).prepay_id!);
    expect(paid.body).toMatchObject({ ok: true, notify: null });
    expect((await received(no)).received).toHaveLength(0);
    expect((await deliveries(no)).deliveries).toHaveLength(0);
    expect((await callXml('/pay/orderquery', { out_trade_no: no })).fields.trade_state).toBe('SUCCESS');
  });

  it('delayed: nothing at payment time, delivered when the alarm fires', async () => {
    const no = newOutTradeNo();
    await setScenario(no, { notify_delay_ms: 600_000 });
    const paid = await pay((await placeOrder(no)).prepay_id!);
    expect(paid.body.notify).toEqual({ state: 'pending', attempts: 0 });
    expect((await received(no)).received).toHaveLength(0);
    expect(await runDurableObjectAlarm(stub(no))).toBe(true);
    expect((await received(no)).received).toHaveLength(1);
    expect((await deliveries(no)).deliveries[0]).toMatchObject({ state: 'acknowledged', attempts: 1 });
  });

  it('flush runs a pending attempt now; resend replays the exact bytes', async () => {
    const no = newOutTradeNo();
    await receiver(no, { fail_times: 1 });
    await pay((await placeOrder(no)).prepay_id!);
    const flushed = (await (await postJson('/sim/deliveries/flush', { out_trade_no: no })).json()) as DeliveryStatus;
    expect(flushed.deliveries[0]).toMatchObject({ state: 'acknowledged', attempts: 2 });
    const resent = await postJson('/sim/deliveries/resend', { out_trade_no: no });
    expect(await resent.json()).toMatchObject({ state: 'acknowledged', attempts: 1 });
    const bodies = (await received(no)).received.map((r) => r.body);
    expect(bodies).toHaveLength(3);
    expect(new Set(bodies).size).toBe(1);
  });
});
