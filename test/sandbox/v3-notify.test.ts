// API v3 notifies and the buyer side of v3 orders (docs/wechatpay-v3.md §7, §8; docs/sandbox.md "API v3"):
// the encrypted, signed envelope for payments and refunds, acknowledged by the status alone and re-signed
// at every retry; both serials in switching mode; tampering; the exported test builders; RSA pay params.
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  appPayParamsV3,
  decryptResource,
  importApiV3Key,
  importSigningKey,
  jsapiPayParams,
  jsapiPayParamsV3,
  SANDBOX_APIV3_KEY,
  SANDBOX_MCH_PRIVATE_KEY,
  SANDBOX_PAY_PRIVATE_KEY,
  SANDBOX_PLATFORM_SERIAL,
  SANDBOX_PUB_KEY_ID,
} from '../../src/core';
import type { DeliveryStatus } from '../../src/sandbox/delivery-do';
import { buildV3PayNotify, buildV3RefundNotify } from '../../src/sandbox/notify';
import { openidFor } from '../../src/sandbox/users';
import {
  ALICE,
  APP_APPID,
  APPID,
  BASE,
  getJson,
  KEY,
  MCHID,
  MINI_APPID,
  newOutTradeNo,
  pay,
  payBy,
  placeOrder,
  postJson,
  setScenario,
} from '../support/sandbox-helpers';
import { setSigner, v3, verifySim } from '../support/v3-helpers';

interface Arrival {
  body: string;
  reply: string;
  headers?: Record<string, string>;
}

const arrivals = async (name: string) => (await getJson<{ received: Arrival[] }>(`/sim/receiver/${name}`)).received;
const deliveries = (q: string) => getJson<DeliveryStatus>(`/sim/deliveries?${q}`);
const verify = (a: Arrival) => verifySim(new Headers(a.headers), new TextEncoder().encode(a.body));

async function decrypt(a: Arrival): Promise<{ envelope: any; plain: any }> {
  const envelope = JSON.parse(a.body);
  return { envelope, plain: JSON.parse(await decryptResource(await importApiV3Key(SANDBOX_APIV3_KEY), envelope.resource)) };
}

/** A v3 order; `path` picks the trade type. */
async function v3Order(path: 'jsapi' | 'native' | 'h5' | 'app' = 'jsapi', over: Record<string, unknown> = {}) {
  const no = newOutTradeNo('V3N');
  const body: Record<string, unknown> = {
    appid: path === 'app' ? APP_APPID : APPID,
    mchid: MCHID,
    description: '通知测试',
    out_trade_no: no,
    notify_url: `${BASE}/sim/receiver/${no}`,
    amount: { total: 888 },
    ...(path === 'jsapi' ? { payer: { openid: ALICE } } : {}),
    ...(path === 'h5' ? { scene_info: { payer_client_ip: '203.0.113.7', h5_info: { type: 'Wap' } } } : {}),
    ...over,
  };
  const r = await v3('POST', `/pay/transactions/${path}`, body);
  expect(r.status).toBe(200);
  return { no, answer: r.json };
}

describe('the v3 payment notify (§8.1, §8.2)', () => {
  it('is TRANSACTION.SUCCESS: its resource decrypts with the APIv3 key to the transaction the query returns; signed per §3; acknowledged by 204', async () => {
    const { no, answer } = await v3Order('jsapi', { attach: '券=无' });
    const paid = await pay(answer.prepay_id);
    expect(paid.body.notify).toEqual({ state: 'acknowledged', attempts: 1 });
    const [a] = await arrivals(no);
    expect(a!.reply).toBe('ack');
    expect(a!.headers).toMatchObject({ 'wechatpay-serial': SANDBOX_PUB_KEY_ID, 'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048' });
    expect(await verify(a!)).toEqual({ ok: true, serial: SANDBOX_PUB_KEY_ID });
    const { envelope, plain } = await decrypt(a!);
    expect(envelope).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      create_time: expect.stringMatching(/\+08:00$/),
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: {
        algorithm: 'AEAD_AES_256_GCM',
        associated_data: 'transaction',
        original_type: 'transaction',
        nonce: expect.stringMatching(/^[A-Za-z0-9]{12}$/),
      },
    });
    const q = await v3('GET', `/pay/transactions/out-trade-no/${no}?mchid=${MCHID}`);
    expect(plain).toEqual(q.json);
    expect(plain).toMatchObject({
      trade_state: 'SUCCESS',
      attach: '券=无',
      transaction_id: paid.body.transaction_id,
      amount: { total: 888, payer_total: 888 },
    });
    // One tampered byte of the body no longer verifies.
    expect((await verify({ ...a!, body: a!.body.replace('"summary":"支付成功"', '"summary":"支付成功 "') })).ok).toBe(false);
  });

  it('a failed reply (500) is retried on the schedule, each attempt signed afresh', async () => {
    const { no, answer } = await v3Order();
    await configureReceiver(`/sim/receiver/${no}`, { fail_times: 1, fail_with: 'fail' });
    const paid = await pay(answer.prepay_id);
    expect(paid.body.notify).toEqual({ state: 'pending', attempts: 1 });
    const flushed = (await (await postJson('/sim/deliveries/flush', { out_trade_no: no })).json()) as DeliveryStatus;
    expect(flushed.deliveries[0]).toMatchObject({ state: 'acknowledged', attempts: 2 });
    expect(flushed.log.map((e) => [e.http_status, e.serial, e.acknowledged])).toEqual([
      [500, SANDBOX_PUB_KEY_ID, false],
      [204, SANDBOX_PUB_KEY_ID, true],
    ]);
    const got = (await arrivals(no)).slice(-2);
    expect(got.map((g) => g.reply)).toEqual(['fail', 'ack']);
    expect(got[0]!.body).toBe(got[1]!.body);
    expect(got[0]!.headers!['wechatpay-nonce']).not.toBe(got[1]!.headers!['wechatpay-nonce']);
    for (const g of got) expect((await verify(g)).ok).toBe(true);
  });

  it('switching mode signs notifies with the public key and the certificate in turn; certificate mode with the certificate', async () => {
    await setSigner('switching');
    try {
      const serials: string[] = [];
      for (let i = 0; i < 2; i++) {
        const { no, answer } = await v3Order();
        await pay(answer.prepay_id);
        const v = await verify((await arrivals(no))[0]!);
        expect(v.ok).toBe(true);
        if (v.ok) serials.push(v.serial);
      }
      expect(serials.sort()).toEqual([SANDBOX_PLATFORM_SERIAL, SANDBOX_PUB_KEY_ID].sort());
      await setSigner('certificate');
      const { no, answer } = await v3Order('native');
      await payBy({ code_url: answer.code_url }, ALICE);
      expect(await verify((await arrivals(no))[0]!)).toEqual({ ok: true, serial: SANDBOX_PLATFORM_SERIAL });
    } finally {
      await setSigner('public_key');
    }
  });

  it.each([
    ['sign', 'SIGNATURE_INVALID'],
    ['nosign', 'SIGNATURE_MISSING'],
    ['amount', 'SIGNATURE_INVALID'],
  ] as const)('notify_tamper %s: the notify fails verification (%s)', async (tamper, reason) => {
    const { no, answer } = await v3Order();
    await setScenario(no, { notify_tamper: tamper });
    await pay(answer.prepay_id);
    const [a] = await arrivals(no);
    expect(await verify(a!)).toEqual({ ok: false, reason });
    if (tamper === 'amount') expect((await decrypt(a!)).plain.amount.total).toBe(988);
  });

  it('NATIVE and H5 v3 orders paid by code_url and h5_url send the v3 notify with their trade_type', async () => {
    const native = await v3Order('native');
    expect((await payBy({ code_url: native.answer.code_url }, openidFor(APPID, 'bob'))).status).toBe(200);
    expect((await decrypt((await arrivals(native.no))[0]!)).plain).toMatchObject({ trade_type: 'NATIVE', payer: { openid: openidFor(APPID, 'bob') } });
    const h5 = await v3Order('h5');
    expect((await payBy({ mweb_url: h5.answer.h5_url }, ALICE)).status).toBe(200);
    expect((await decrypt((await arrivals(h5.no))[0]!)).plain.trade_type).toBe('MWEB');
  });
});

describe('the v3 refund notify (§8.2)', () => {
  it.each([
    ['SUCCESS', 'REFUND.SUCCESS', 'SUCCESS'],
    ['REFUNDCLOSE', 'REFUND.CLOSED', 'CLOSED'],
    ['CHANGE', 'REFUND.ABNORMAL', 'ABNORMAL'],
  ] as const)('a refund ending %s → %s with refund_status %s, to the request notify_url', async (scenario, event, status) => {
    const { no, answer } = await v3Order();
    await pay(answer.prepay_id);
    await setScenario(no, { refund_status: scenario });
    const outRefundNo = `R${no}`;
    const r = await v3('POST', '/refund/domestic/refunds', {
      out_trade_no: no,
      out_refund_no: outRefundNo,
      notify_url: `${BASE}/sim/receiver/${outRefundNo}`,
      amount: { refund: 300, total: 888, currency: 'CNY' },
    });
    expect(r.json.status).toBe(status);
    // Refund notifies start a little after acceptance: run the pending attempt now.
    await postJson('/sim/deliveries/flush', { out_refund_no: outRefundNo });
    expect((await deliveries(`out_refund_no=${outRefundNo}`)).deliveries[0]).toMatchObject({ state: 'acknowledged', attempts: 1 });
    const [a] = await arrivals(outRefundNo);
    expect((await verify(a!)).ok).toBe(true);
    const { envelope, plain } = await decrypt(a!);
    expect(envelope).toMatchObject({ event_type: event, resource: { original_type: 'refund', associated_data: 'refund' } });
    expect(plain).toMatchObject({
      mchid: MCHID,
      out_trade_no: no,
      out_refund_no: outRefundNo,
      refund_id: r.json.refund_id,
      transaction_id: r.json.transaction_id,
      refund_status: status,
      user_received_account: '支付用户零钱',
      amount: { total: 888, refund: 300, payer_total: 888 },
    });
    expect(plain.status).toBeUndefined();
    expect(plain.success_time !== undefined).toBe(status === 'SUCCESS');
  });
});

describe('the exported v3 test builders', () => {
  it('buildV3PayNotify: defaults plus overrides; any signer (public key, certificate, a forger); an old timestamp', async () => {
    const party = { appId: APPID, mchId: MCHID };
    const n = await buildV3PayNotify({ out_trade_no: 'FORGE0001', amount: { total: 5 }, attach: 'x' }, party);
    expect(n.headers['Content-Type']).toBe('application/json');
    expect(await verifySim(new Headers(n.headers), new TextEncoder().encode(n.body))).toEqual({ ok: true, serial: SANDBOX_PUB_KEY_ID });
    const { plain } = await decrypt({ body: n.body, reply: '' });
    expect(plain).toMatchObject({
      appid: APPID,
      mchid: MCHID,
      out_trade_no: 'FORGE0001',
      trade_state: 'SUCCESS',
      attach: 'x',
      payer: { openid: ALICE },
      amount: { total: 5, payer_total: 5, currency: 'CNY', payer_currency: 'CNY' },
    });
    const cert = await buildV3PayNotify({ out_trade_no: 'FORGE0002', amount: { total: 5 } }, party, { signer: 'certificate' });
    expect((await verifySim(new Headers(cert.headers), new TextEncoder().encode(cert.body))).ok).toBe(true);
    const forged = await buildV3PayNotify({ out_trade_no: 'FORGE0003', amount: { total: 5 } }, party, {
      signer: { serial: SANDBOX_PUB_KEY_ID, privateKey: SANDBOX_MCH_PRIVATE_KEY },
    });
    expect(await verifySim(new Headers(forged.headers), new TextEncoder().encode(forged.body))).toEqual({ ok: false, reason: 'SIGNATURE_INVALID' });
    const stale = await buildV3PayNotify({ out_trade_no: 'FORGE0004', amount: { total: 5 } }, party, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(await verifySim(new Headers(stale.headers), new TextEncoder().encode(stale.body))).toEqual({ ok: false, reason: 'TIMESTAMP_STALE' });
    const otherKey = await buildV3PayNotify({ out_trade_no: 'FORGE0005', amount: { total: 5 } }, party, { apiV3Key: 'another0ApiV3Key0for0the0test000' });
    await expect(decrypt({ body: otherKey.body, reply: '' })).rejects.toThrow();
  });

  it('buildV3RefundNotify: the event type follows refund_status', async () => {
    const n = await buildV3RefundNotify({ refund_status: 'CLOSED', out_refund_no: 'RF1', amount: { total: 1, refund: 1, payer_total: 1, payer_refund: 0 } });
    const { envelope, plain } = await decrypt({ body: n.body, reply: '' });
    expect([envelope.event_type, envelope.summary, envelope.resource.original_type, plain.refund_status]).toEqual([
      'REFUND.CLOSED',
      '退款关闭',
      'refund',
      'CLOSED',
    ]);
  });
});

describe('the buyer side of v3 orders (§7): RSA pay parameters', () => {
  const merchantKey = () => importSigningKey(SANDBOX_MCH_PRIVATE_KEY);
  const now = () => Math.floor(Date.now() / 1000);

  it('the pay sheet accepts signType RSA signed by the merchant key; refuses another key and a v2 sign for a v3 order (and RSA for a v2 one)', async () => {
    const { answer } = await v3Order();
    const params = await jsapiPayParamsV3(answer.prepay_id, APPID, await merchantKey(), now(), 'rsaNonce01');
    const ok = await (await postJson('/sim/check-pay-params', params)).json();
    expect(ok).toMatchObject({ ok: true, prepay_id: answer.prepay_id, total_fee: 888, openid: ALICE });
    const otherKey = await jsapiPayParamsV3(answer.prepay_id, APPID, await importSigningKey(SANDBOX_PAY_PRIVATE_KEY), now(), 'rsaNonce01');
    expect(await (await postJson('/sim/check-pay-params', otherKey)).json()).toMatchObject({ ok: false, reason: 'PAYSIGN_MISMATCH' });
    const v2Sign = await jsapiPayParams(answer.prepay_id, { appId: APPID, key: KEY, signType: 'MD5' }, now(), 'md5Nonce01');
    expect(await (await postJson('/sim/check-pay-params', v2Sign)).json()).toMatchObject({ ok: false, reason: 'SIGN_TYPE_MISMATCH' });
    const v2Order = await placeOrder(newOutTradeNo('V2'));
    const rsaForV2 = await jsapiPayParamsV3(v2Order.prepay_id!, APPID, await merchantKey(), now(), 'rsaNonce02');
    expect(await (await postJson('/sim/check-pay-params', rsaForV2)).json()).toMatchObject({ ok: false, reason: 'SIGN_TYPE_MISMATCH' });
  });

  it('wx.requestPayment (mini-program) and the APP PayReq pay v3 orders with RSA signs', async () => {
    const miniOpenid = openidFor(MINI_APPID, 'alice');
    const mini = await v3Order('jsapi', { appid: MINI_APPID, payer: { openid: miniOpenid } });
    const { appId: _a, ...req } = await jsapiPayParamsV3(mini.answer.prepay_id, MINI_APPID, await merchantKey(), now(), 'miniNonce1');
    const paidMini = await (await postJson('/sim/request-payment', { ...req, openid: miniOpenid })).json();
    expect(paidMini).toMatchObject({ ok: true, errMsg: 'requestPayment:ok', appid: MINI_APPID });
    expect((await decrypt((await arrivals(mini.no))[0]!)).plain.appid).toBe(MINI_APPID);

    const app = await v3Order('app');
    const payReq = await appPayParamsV3(app.answer.prepay_id, APP_APPID, MCHID, await merchantKey(), now(), 'appNonce01');
    const tampered = await (await postJson('/sim/app-pay', { ...payReq, noncestr: 'appNonce02', user: 'alice' })).json();
    expect(tampered).toMatchObject({ ok: false, error: 'SIGN_MISMATCH' });
    const paidApp = await (await postJson('/sim/app-pay', { ...payReq, user: 'alice' })).json();
    expect(paidApp).toMatchObject({ ok: true, errCode: 0, trade_type: 'APP', appid: APP_APPID });
    expect((await decrypt((await arrivals(app.no))[0]!)).plain).toMatchObject({ trade_type: 'APP', appid: APP_APPID });
  });
});

async function configureReceiver(path: string, body: unknown) {
  const res = await exports.default.fetch(`${BASE}${path}`, { method: 'PUT', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  expect(res.status).toBe(200);
}
