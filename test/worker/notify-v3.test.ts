// The API v3 notify routes (POST /wechat/v3/notify, /wechat/v3/refund-notify) under WECHAT_API_VERSION=v3,
// with notifies built as WeChat builds them (src/core: AES-256-GCM under the APIv3 key, RSA signatures
// by the simulator's public key or platform certificate, core/sandbox-v3-keys.ts): a correct one pays
// the order once; forged, tampered, unknown-serial or stale ones change nothing; both kinds of key at
// once; the replies of docs/wechatpay-v3.md §8.4; a refund notify moves a refund; the v2 route still works.
import { storedHex } from '../../src/worker/platform/stored-hash';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { encryptResource, importApiV3Key, nonceStr, SANDBOX_APIV3_KEY, SANDBOX_PLATFORM_CERTIFICATE, sha256Hex } from '../../src/core';
import { createApp } from '../../src/worker/compose/app';
import { forgetAllApplied } from '../../src/worker/notify/applied-cache';
import { flushRejections } from '../../src/worker/notify/rejections';
import { d1CertificateStore, forgetPlatformKeys, parseCertificatePem } from '../../src/worker/wechat-v3';
import { signedHeaders, type Signer } from '../support/fake-wechat-v3';
import { doIds, ledgerRows, MERCHANT, notificationRows, orderRow, rejectionCount, seedOrder, signedNotify, snap } from '../support/notify-helpers';
import { processingRefund, refundGet } from '../support/refunds-helpers';

/** One env object, as the runtime reuses it: the configuration is judged once. */
const V3_ENV = { ...env, WECHAT_API_VERSION: 'v3' } as Env;
const BASE = 'http://127.0.0.1:8787';
const PAY = `${BASE}/wechat/v3/notify`;
const REFUND = `${BASE}/wechat/v3/refund-notify`;
const BUYER = 'oV3buyer00000000000000001';
const FAIL = (message: string) => JSON.stringify({ code: 'FAIL', message });
const app = createApp();

interface Options {
  signer?: Signer;
  eventType?: string;
  /** Applied to the bytes after signing: a tampered delivery. */
  tamper?: (body: string) => string;
  apiV3Key?: string;
}

/** A notify as WeChat sends it: the resource encrypted, the envelope signed over its exact bytes. */
async function v3Notify(resource: object, originalType: 'transaction' | 'refund', o: Options = {}): Promise<{ body: string; headers: Record<string, string> }> {
  const key = await importApiV3Key(o.apiV3Key ?? SANDBOX_APIV3_KEY);
  const envelope = {
    id: crypto.randomUUID(),
    create_time: '2026-12-20T10:11:12+08:00',
    resource_type: 'encrypt-resource',
    event_type: o.eventType ?? (originalType === 'transaction' ? 'TRANSACTION.SUCCESS' : 'REFUND.SUCCESS'),
    summary: originalType === 'transaction' ? '支付成功' : '退款成功',
    resource: await encryptResource(key, JSON.stringify(resource), nonceStr(12), originalType, originalType),
  };
  const body = JSON.stringify(envelope);
  const signer = o.signer ?? 'PUBKEY';
  const headers = signer === 'NONE' ? {} : await signedHeaders(new TextEncoder().encode(body), signer, Math.floor(Date.now() / 1000));
  return { body: o.tamper ? o.tamper(body) : body, headers: { 'Content-Type': 'application/json', ...headers } };
}

function transaction(outTradeNo: string, over: Record<string, unknown> = {}) {
  return {
    appid: MERCHANT.appId,
    mchid: MERCHANT.mchId,
    out_trade_no: outTradeNo,
    transaction_id: `4200${Date.now()}${Math.floor(Math.random() * 1e6)}`.slice(0, 28),
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    attach: '',
    success_time: '2026-12-20T10:11:12+08:00',
    payer: { openid: BUYER },
    amount: { total: 1999, payer_total: 1999, currency: 'CNY', payer_currency: 'CNY' },
    ...over,
  };
}

async function post(url: string, n: { body: string; headers: Record<string, string> }, method = 'POST') {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(url, { method, headers: n.headers, body: method === 'POST' ? n.body : undefined }), V3_ENV, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

beforeAll(() => {
  forgetAllApplied();
  forgetPlatformKeys();
});

describe('v3 payment notify', () => {
  it('a public-key-signed notify pays the order once: 204; re-deliveries in new envelopes and 5 concurrent copies change nothing more', async () => {
    const no = await seedOrder({ prepayOpenid: BUYER });
    const resource = transaction(no);
    const first = await v3Notify(resource, 'transaction');
    expect(await post(PAY, first)).toEqual({ status: 204, body: '', type: null });
    const order = await orderRow(no);
    expect(order).toMatchObject({ status: 'PAID', transaction_id: resource.transaction_id });
    // Evidence: the SHA-256 of the bytes received, the decrypted resource as the body.
    const [note] = await notificationRows(no);
    expect(note).toMatchObject({ kind: 'PAY', raw_body: JSON.stringify(resource) });
    expect(storedHex(note!.body_sha256)).toBe(await sha256Hex(first.body));

    const again = await v3Notify(resource, 'transaction'); // a new id, nonce, timestamp and encryption
    const copies = await Promise.all([again, again, again, again, again].map((n) => post(PAY, n)));
    expect(copies.map((r) => r.status)).toEqual([204, 204, 204, 204, 204]);
    expect(await post(PAY, first)).toMatchObject({ status: 204 });
    expect(await ledgerRows(no)).toHaveLength(1);
    expect(await orderRow(no)).toEqual(order);
  });

  it('forged, tampered, unknown-serial, stale or unsigned notifies: 401, nothing written, no DO, only the counters', async () => {
    const no = await seedOrder({ prepayOpenid: BUYER });
    const resource = transaction(no);
    await flushRejections(env.DB);
    const before = { rows: await snap(), dos: await doIds(), stale: await rejectionCount('V3_TIMESTAMP_STALE') };
    const cases: Array<[string, Options]> = [
      ['a changed byte', { tamper: (b) => b.replace('"encrypt-resource"', '"encrypt-resourcE"') }],
      ['an unknown certificate serial', { signer: { serial: '0123456789ABCDEF0123' } }],
      ['another public key id', { signer: { serial: 'PUB_KEY_ID_0000000000000000000000000000000001' } }],
      ['a key that is not WeChat’s under the public key id', { signer: 'FORGED' }],
      ['a timestamp 10 minutes old', { signer: 'STALE' }],
      ['no signature', { signer: 'NONE' }],
    ];
    for (const [name, o] of cases) {
      expect(await post(PAY, await v3Notify(resource, 'transaction', o)), name).toEqual({
        status: 401,
        body: FAIL('SIGN_ERROR'),
        type: 'application/json; charset=utf-8',
      });
    }
    expect(await snap()).toBe(before.rows);
    expect(await doIds()).toEqual(before.dos);
    await flushRejections(env.DB);
    expect(await rejectionCount('V3_TIMESTAMP_STALE')).toBe(before.stale + 1);
    expect((await orderRow(no))!.status).toBe('NOTPAY');
  });

  it('authentic but unopenable is 400; too large 413; other verbs 405; nothing written', async () => {
    const no = await seedOrder();
    const before = await snap();
    expect(await post(PAY, await v3Notify(transaction(no), 'transaction', { apiV3Key: 'another32byteAPIv3keyForTests000' }))).toMatchObject({
      status: 400,
      body: FAIL('PARAM_ERROR'),
    });
    const big = { body: JSON.stringify({ pad: 'x'.repeat(40_000) }), headers: { 'Content-Type': 'application/json' } };
    expect(await post(PAY, big)).toMatchObject({ status: 413, body: FAIL('BODY_TOO_LARGE') });
    expect(await post(PAY, big, 'GET')).toMatchObject({ status: 405, body: '' });
    expect(await snap()).toBe(before);
  });

  it('certificate-signed and public-key-signed notifies are both accepted (the switching period, keys by serial)', async () => {
    await d1CertificateStore(env.DB).save([parseCertificatePem(SANDBOX_PLATFORM_CERTIFICATE)], Date.now());
    forgetPlatformKeys(); // this isolate re-reads the store on the next unknown serial
    const byCert = await seedOrder({ prepayOpenid: BUYER });
    const byKey = await seedOrder({ prepayOpenid: BUYER });
    expect((await post(PAY, await v3Notify(transaction(byCert), 'transaction', { signer: 'CERT' }))).status).toBe(204);
    expect((await post(PAY, await v3Notify(transaction(byKey), 'transaction', { signer: 'PUBKEY' }))).status).toBe(204);
    expect((await orderRow(byCert))!.status).toBe('PAID');
    expect((await orderRow(byKey))!.status).toBe('PAID');
  });

  it('authentic but inapplicable (amount, appid, a state that is not SUCCESS): an anomaly, 204, the order unchanged', async () => {
    const no = await seedOrder({ prepayOpenid: BUYER });
    const cases: Array<[Record<string, unknown>, string, Options?]> = [
      [{ amount: { total: 1, payer_total: 1, currency: 'CNY' } }, 'AMOUNT_MISMATCH'],
      [{ appid: 'wx0000000000000bad' }, 'APPID_MISMATCH'],
      [{ trade_state: 'CLOSED' }, 'RESULT_FAIL', { eventType: 'TRANSACTION.CLOSED' }],
    ];
    for (const [over, kind, o] of cases) expect((await post(PAY, await v3Notify(transaction(no, over), 'transaction', o))).status, kind).toBe(204);
    expect((await orderRow(no))!.status).toBe('NOTPAY');
    const kinds = (await env.DB.prepare('SELECT kind FROM anomalies WHERE out_trade_no = ?1 ORDER BY id').bind(no).all<{ kind: string }>()).results;
    expect(kinds.map((k) => k.kind)).toEqual(['AMOUNT_MISMATCH', 'APPID_MISMATCH', 'RESULT_FAIL']);
  });

  it('the v2 route still reads v2 notifies under WECHAT_API_VERSION=v3 (orders placed before the switch)', async () => {
    const no = await seedOrder();
    const { xml } = await signedNotify(no);
    const res = await post(`${BASE}/wechat/notify`, { body: xml, headers: { 'Content-Type': 'text/xml' } });
    expect(res.status).toBe(200);
    expect((await orderRow(no))!.status).toBe('PAID');
  });
});

describe('v3 refund notify', () => {
  it('REFUND.SUCCESS moves the refund (no appid in v3 refund notifies); a status contradicting the event is an anomaly', async () => {
    const { no, orn, refundId } = await processingRefund(); // 300 of 1000, PROCESSING
    const refund = (over: Record<string, unknown> = {}) => ({
      mchid: MERCHANT.mchId,
      transaction_id: '4200000000000000000000000001',
      out_trade_no: no,
      refund_id: refundId,
      out_refund_no: orn,
      refund_status: 'SUCCESS',
      success_time: '2026-12-20T10:11:12+08:00',
      user_received_account: '支付用户零钱',
      amount: { total: 1000, refund: 300, payer_total: 1000, payer_refund: 300 },
      ...over,
    });
    expect((await post(REFUND, await v3Notify(refund({ refund_status: 'CLOSED' }), 'refund', { eventType: 'REFUND.SUCCESS' }))).status).toBe(204);
    expect((await refundGet(orn)).body.status).toBe('PROCESSING');
    expect((await post(REFUND, await v3Notify(refund(), 'refund'))).status).toBe(204);
    const after = await refundGet(orn);
    expect(after.body).toMatchObject({ status: 'SUCCESS', succeeded_at: '2026-12-20T02:11:12.000Z' });
    expect((await orderRow(no))!.status).toBe('PARTIALLY_REFUNDED');
    const kinds = (await env.DB.prepare('SELECT kind FROM anomalies WHERE out_trade_no = ?1 ORDER BY id').bind(no).all<{ kind: string }>()).results;
    expect(kinds.map((k) => k.kind)).toEqual(['MALFORMED_FIELD']);
  });
});
