// Independent cross-check of the simulator's API v3 with the npm SDK wechatpay-axios-plugin
// (devDependency, tests only), acting as a merchant: its own client (lib/wechatpay.js over
// lib/decorator.js — the request signer and the response verifier, lib/rsa.js on node:crypto) places,
// queries and closes JSAPI orders and verifies every answer with its own code; lib/rsa.js and lib/aes.js
// verify and decrypt a delivered notify and the certificate list; node:crypto's X509Certificate reads
// the decrypted certificate.
//
// Why Node and `wrangler`'s unstable_startWorker rather than workerd: the SDK's client needs axios and
// its Node http adapter, which cannot load inside workerd (test/sandbox/peer-sdk.test.ts explains why the
// v2 check reproduces the client there instead). Running the SDK unchanged over real HTTP is the point of
// a peer check, so this file starts the worker itself (esbuild + workerd, no CLI, a throwaway persisted
// state with the migrations applied, a few seconds) on a free loopback port and points the SDK's baseURL at its /sandbox. An in-process
// adapter into the Hono app is not possible: the simulator's state lives in Durable Objects.
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- CommonJS without typings
import PeerAes from 'wechatpay-axios-plugin/lib/aes.js';
// @ts-expect-error -- CommonJS without typings
import PeerFormatter from 'wechatpay-axios-plugin/lib/formatter.js';
// @ts-expect-error -- CommonJS without typings
import PeerRsa from 'wechatpay-axios-plugin/lib/rsa.js';
// @ts-expect-error -- CommonJS without typings
import Wechatpay from 'wechatpay-axios-plugin/lib/wechatpay.js';
import { unstable_startWorker } from 'wrangler';
import {
  SANDBOX_APIV3_KEY,
  SANDBOX_MCH_PRIVATE_KEY,
  SANDBOX_MCH_SERIAL,
  SANDBOX_PAY_PUBLIC_KEY,
  SANDBOX_PLATFORM_CERTIFICATE,
  SANDBOX_PLATFORM_SERIAL,
  SANDBOX_PUB_KEY_ID,
} from '../../src/core';
import { openidFor } from '../../src/sandbox/users';
import { PLATFORM_CERT_VALIDITY } from '../../src/sandbox/v3/signer';

const Rsa = PeerRsa as {
  verify(message: string, signature: string, publicKey: unknown): boolean;
  sign(message: string, privateKey: unknown): string;
  from(thing: string, type: string): unknown;
};
const Formatter = PeerFormatter as { response(timestamp: string, nonce: string, body: string): string; nonce(size?: number): string };
const AesGcm = (
  PeerAes as {
    AesGcm: {
      decrypt(ciphertext: string, key: string, iv: string, aad: string): string;
      encrypt(plaintext: string, key: string, iv: string, aad: string): string;
    };
  }
).AesGcm;

// The worker's default sandbox configuration (wrangler.toml [vars]).
const MCHID = '10000100';
const APPID = 'wxd930ea5d5a258f4f';

let worker: Awaited<ReturnType<typeof unstable_startWorker>>;
let origin = '';
let wxpay: any;

async function sim(path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${origin}/sandbox/sim/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
  });
  expect(res.status).toBe(200);
  return res.json();
}

/** Its own throwaway state, with the D1 migrations applied (the gateway's orders live in D1). */
const persist = mkdtempSync(path.join(tmpdir(), 'wxpay-peer-v3-'));

beforeAll(async () => {
  const migrate = spawnSync(path.resolve('node_modules/.bin/wrangler'), ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
    timeout: 150_000,
  });
  if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stdout}${migrate.stderr}`);
  worker = await unstable_startWorker({
    config: 'wrangler.toml',
    // The gateway on API v3 (the simulator speaks both either way).
    bindings: { WECHAT_API_VERSION: { type: 'plain_text', value: 'v3' } },
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, persist, watch: false, logLevel: 'none' },
  });
  await worker.ready;
  origin = new URL(String(await worker.url)).origin;
  wxpay = new Wechatpay({
    mchid: MCHID,
    serial: SANDBOX_MCH_SERIAL,
    privateKey: SANDBOX_MCH_PRIVATE_KEY,
    certs: { [SANDBOX_PUB_KEY_ID]: SANDBOX_PAY_PUBLIC_KEY },
    baseURL: `${origin}/sandbox/`,
  });
  // Bounded, but generous: applying 14 migrations and starting a runtime take a minute on 2 busy cores.
}, 180_000);

afterAll(async () => {
  await worker?.dispose();
  rmSync(persist, { recursive: true, force: true });
});

const newNo = (tag: string) => `PEER3${tag}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 32);

function order(no: string) {
  return {
    appid: APPID,
    mchid: MCHID,
    description: '对等SDK v3 交叉验证',
    out_trade_no: no,
    // The simulator's own test receiver: a loopback http notify_url, accepted for local development.
    notify_url: `${origin}/sandbox/sim/receiver/${no}`,
    amount: { total: 101, currency: 'CNY' },
    payer: { openid: openidFor(APPID, 'alice') },
  };
}

const transaction = (no: string) => wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({ params: { mchid: MCHID }, out_trade_no: no });

describe('wechatpay-axios-plugin (its v3 client, signer and verifier) against the simulator', () => {
  it('places a JSAPI order, queries it and closes it (204); the SDK verifies every answer, the empty one included', async () => {
    const no = newNo('C');
    const placed = await wxpay.v3.pay.transactions.jsapi.post(order(no));
    expect(placed.status).toBe(200);
    expect(placed.headers['wechatpay-serial']).toBe(SANDBOX_PUB_KEY_ID);
    expect(placed.data.prepay_id).toMatch(/^wx\d{14}[0-9a-f]{20}$/);

    const queried = await transaction(no);
    expect(queried.data).toMatchObject({ out_trade_no: no, mchid: MCHID, appid: APPID, trade_state: 'NOTPAY', amount: { total: 101 } });

    // WeChat refuses a close in the first 5 minutes; the SDK raises on the 400 without verifying it (§3.4).
    await expect(wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.close.post({ mchid: MCHID }, { out_trade_no: no })).rejects.toMatchObject({
      response: { status: 400, data: { code: 'INVALID_REQUEST' } },
    });
    const { offset_ms } = await sim('clock');
    await sim('clock', { offset_ms: offset_ms + 5 * 60_000 });
    try {
      const closed = await wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.close.post({ mchid: MCHID }, { out_trade_no: no });
      expect(closed.status).toBe(204);
      expect(closed.data).toBe('');
    } finally {
      await sim('clock', { offset_ms });
    }
    expect((await transaction(no)).data.trade_state).toBe('CLOSED');
  });

  it('a paid order: the notify delivered to notify_url verifies and decrypts with the SDK; the query matches it', async () => {
    const no = newNo('P');
    const placed = await wxpay.v3.pay.transactions.jsapi.post(order(no));
    const paid = await sim('pay', { prepay_id: placed.data.prepay_id, openid: openidFor(APPID, 'alice') });
    expect(paid.notify).toEqual({ state: 'acknowledged', attempts: 1 });
    const [arrival] = (await sim(`receiver/${no}`)).received as { body: string; headers: Record<string, string> }[];
    const h = arrival!.headers;
    expect(h['wechatpay-serial']).toBe(SANDBOX_PUB_KEY_ID);
    const message = Formatter.response(h['wechatpay-timestamp']!, h['wechatpay-nonce']!, arrival!.body);
    expect(Rsa.verify(message, h['wechatpay-signature']!, Rsa.from(SANDBOX_PAY_PUBLIC_KEY, 'public'))).toBe(true);
    expect(Rsa.verify(`${message} `, h['wechatpay-signature']!, Rsa.from(SANDBOX_PAY_PUBLIC_KEY, 'public'))).toBe(false);
    const { event_type, resource } = JSON.parse(arrival!.body);
    expect(event_type).toBe('TRANSACTION.SUCCESS');
    const plain = JSON.parse(AesGcm.decrypt(resource.ciphertext, SANDBOX_APIV3_KEY, resource.nonce, resource.associated_data));
    expect(plain).toEqual((await transaction(no)).data);
    expect(plain).toMatchObject({ trade_state: 'SUCCESS', transaction_id: paid.transaction_id, amount: { total: 101, payer_total: 101 } });
  });

  it('the SDK refuses an answer signed by a key it was not given (the platform certificate, in certificate mode)', async () => {
    const no = newNo('X');
    await wxpay.v3.pay.transactions.jsapi.post(order(no));
    await sim('v3/signer', { mode: 'certificate' });
    try {
      await expect(transaction(no)).rejects.toMatchObject({ code: 'EV3_RES_HEADER_PLATFORM_SERIAL' });
    } finally {
      await sim('v3/signer', { mode: 'public_key' });
    }
  });

  it('GET /v3/certificates: the SDK decrypts the platform certificate; X509Certificate confirms its serial and validity', async () => {
    const { data } = await wxpay.v3.certificates.get();
    const [cert] = data.data;
    expect(cert.serial_no).toBe(SANDBOX_PLATFORM_SERIAL);
    const { ciphertext, nonce, associated_data } = cert.encrypt_certificate;
    const pem = AesGcm.decrypt(ciphertext, SANDBOX_APIV3_KEY, nonce, associated_data);
    expect(pem).toBe(SANDBOX_PLATFORM_CERTIFICATE);
    const x509 = new X509Certificate(pem);
    expect(x509.serialNumber).toBe(cert.serial_no);
    expect(new Date(x509.validFrom).toISOString()).toBe(new Date(PLATFORM_CERT_VALIDITY.notBefore).toISOString());
    expect(new Date(x509.validTo).toISOString()).toBe(new Date(PLATFORM_CERT_VALIDITY.notAfter).toISOString());
    expect(Date.parse(cert.effective_time)).toBe(Date.parse(x509.validFrom));
    expect(Date.parse(cert.expire_time)).toBe(Date.parse(x509.validTo));
  });

  it('a notify the SDK builds as WeChat would (its AES-GCM and RSA, the published test key) pays a gateway order once; a changed byte is refused', async () => {
    const headers = { Authorization: 'Bearer sandbox-merchant-token-not-for-live-use', 'Content-Type': 'application/json' };
    const buyer = openidFor(APPID, 'alice');
    const no = newNo('G');
    expect(
      (
        await fetch(`${origin}/v1/orders`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ description: '对等通知', total_fee: 321, out_trade_no: no, openid: buyer }),
        })
      ).status,
    ).toBe(201);
    expect((await fetch(`${origin}/v1/orders/${no}/payments`, { method: 'POST', headers, body: JSON.stringify({ trade_type: 'JSAPI' }) })).status).toBe(201);

    // What a merchant's own harness gets from the sandbox to act as WeChat (sandbox mode only).
    const keys = await sim('v3/keys');
    const transactionId = `4200${Date.now()}`.padEnd(28, '7');
    const plain = JSON.stringify({
      appid: APPID,
      mchid: MCHID,
      out_trade_no: no,
      transaction_id: transactionId,
      trade_type: 'JSAPI',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      success_time: new Date().toISOString().replace(/\.\d+Z$/, '+00:00'),
      payer: { openid: buyer },
      amount: { total: 321, payer_total: 321, currency: 'CNY', payer_currency: 'CNY' },
    });
    const iv = Formatter.nonce(12);
    const body = JSON.stringify({
      id: crypto.randomUUID(),
      create_time: new Date().toISOString(),
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: AesGcm.encrypt(plain, SANDBOX_APIV3_KEY, iv, 'transaction'),
        associated_data: 'transaction',
        nonce: iv,
      },
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = Formatter.nonce(32);
    const signature = Rsa.sign(Formatter.response(timestamp, nonce, body), Rsa.from(keys.platform_private_key, 'private'));
    const notify = (bytes: string) =>
      fetch(`${origin}/wechat/v3/notify`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Wechatpay-Timestamp': timestamp,
          'Wechatpay-Nonce': nonce,
          'Wechatpay-Signature': signature,
          'Wechatpay-Serial': keys.pub_key_id,
          'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
        },
        body: bytes,
      });
    const status = async () => ((await (await fetch(`${origin}/v1/orders/${no}`, { headers })).json()) as { status: string }).status;

    const tampered = await notify(body.replace('"支付成功"', '"支付成功 "'));
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toMatchObject({ code: 'FAIL' });
    expect(await status()).toBe('NOTPAY');

    expect((await notify(body)).status).toBe(204);
    expect((await notify(body)).status).toBe(204); // a duplicate: acknowledged, nothing more
    const paid = (await (await fetch(`${origin}/v1/orders/${no}`, { headers })).json()) as Record<string, unknown>;
    expect(paid).toMatchObject({ status: 'PAID', transaction_id: transactionId, total_fee: 321 });
  });
});
