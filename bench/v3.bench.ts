/**
 * API v3 crypto figures beside their API v2 counterparts (`npm run bench`), in Node's WebCrypto. Not a
 * test: nothing here asserts a speed. The v2 row of each group is the baseline vitest compares against
 * ("× faster/slower than"): what a v3 notify, request or pay sheet costs the worker per message in CPU,
 * where v2 costs an HMAC. Target (issue 19): a v3 notify's authentication (RSA-2048 verify over the raw
 * bytes + AES-256-GCM decrypt + JSON.parse) well under 1 ms, a small share of the 10 ms CPU a Workers
 * request gets on the free plan.
 */
import { bench, describe } from 'vitest';
import {
  buildXml,
  decryptResource,
  encryptResource,
  importApiV3Key,
  importSigningKey,
  importVerifyingKey,
  jsapiPayParams,
  jsapiPayParamsV3,
  parseXml,
  rsaSign,
  SANDBOX_APIV3_KEY,
  SANDBOX_MCH_PRIVATE_KEY,
  SANDBOX_MCH_SERIAL,
  SANDBOX_PAY_PRIVATE_KEY,
  SANDBOX_PAY_PUBLIC_KEY,
  SANDBOX_PUB_KEY_ID,
  signParams,
  v3Authorization,
  v3SignedMessage,
  verifySignedMessage,
  verifyV3Signature,
} from '../src/core';

const V2_KEY = '192006250b4c09247ec02edce69f6a2d'; // the official example key
const short = { time: 1500, warmupTime: 300 };

/** The same payment, as each version's notify carries it. */
const FIELDS: Record<string, string> = {
  appid: 'wxd930ea5d5a258f4f',
  bank_type: 'CMB_DEBIT',
  cash_fee: '1999',
  fee_type: 'CNY',
  mch_id: '10000100',
  nonce_str: '5d2b6c2a8db53831f7eda20af46e531c',
  openid: 'oUpF8uMEb4qRXf22hE3X68TekukE',
  out_trade_no: 'wx-20260420-000123456789',
  result_code: 'SUCCESS',
  return_code: 'SUCCESS',
  sign_type: 'HMAC-SHA256',
  time_end: '20260420131540',
  total_fee: '1999',
  trade_type: 'JSAPI',
  transaction_id: '4200000215202604190261405420',
};
const v2Notify = buildXml({ ...FIELDS, sign: await signParams(FIELDS, V2_KEY, 'HMAC-SHA256') });

const transaction = JSON.stringify({
  appid: FIELDS.appid,
  mchid: FIELDS.mch_id,
  out_trade_no: FIELDS.out_trade_no,
  transaction_id: FIELDS.transaction_id,
  trade_type: 'JSAPI',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  bank_type: 'CMB_DEBIT',
  success_time: '2026-04-20T13:15:40+08:00',
  payer: { openid: FIELDS.openid },
  amount: { total: 1999, payer_total: 1999, currency: 'CNY', payer_currency: 'CNY' },
});
const aes = await importApiV3Key(SANDBOX_APIV3_KEY);
const resource = await encryptResource(aes, transaction, 'A1b2C3d4E5f6', 'transaction', 'transaction');
const envelope = JSON.stringify({
  id: 'e1',
  create_time: '2026-04-20T13:15:41+08:00',
  resource_type: 'encrypt-resource',
  event_type: 'TRANSACTION.SUCCESS',
  summary: '支付成功',
  resource,
});
const body = new TextEncoder().encode(envelope);
const timestamp = String(Math.floor(Date.now() / 1000));
const nonce = 'fdasflkja484w';
const wechatKey = await importSigningKey(SANDBOX_PAY_PRIVATE_KEY);
const headers = {
  timestamp,
  nonce,
  signature: await rsaSign(wechatKey, v3SignedMessage(timestamp, nonce, body)),
  serial: SANDBOX_PUB_KEY_ID,
  signatureType: 'WECHATPAY2-SHA256-RSA2048',
};
const payKey = await importVerifyingKey(SANDBOX_PAY_PUBLIC_KEY);
const merchantKey = await importSigningKey(SANDBOX_MCH_PRIVATE_KEY);
const credential = { mchId: '10000100', serialNo: SANDBOX_MCH_SERIAL, key: merchantKey };
const requestBody = JSON.stringify({
  appid: FIELDS.appid,
  mchid: '10000100',
  description: '会员月卡',
  out_trade_no: FIELDS.out_trade_no,
  amount: { total: 1999 },
});
const nowSeconds = Number(timestamp);

describe('a payment notify authenticated (per message)', () => {
  bench(
    'v2: parseXml + HMAC-SHA256 verify',
    async () => {
      const ok = await verifySignedMessage(parseXml(v2Notify), V2_KEY, ['HMAC-SHA256']);
      if (!ok.ok) throw new Error('v2 notify did not verify');
    },
    short,
  );
  bench(
    'v3: RSA-2048 verify (raw bytes) + AES-256-GCM decrypt + JSON.parse',
    async () => {
      const v = await verifyV3Signature(headers, body, () => payKey, nowSeconds);
      if (!v.ok) throw new Error('v3 notify did not verify');
      JSON.parse(await decryptResource(aes, JSON.parse(envelope).resource));
    },
    short,
  );
});

describe('a request signed (per call)', () => {
  bench('v2: signParams HMAC-SHA256', async () => void (await signParams(FIELDS, V2_KEY, 'HMAC-SHA256')), short);
  bench(
    'v3: Authorization (RSA-2048 sign)',
    async () =>
      void (await v3Authorization(credential, {
        method: 'POST',
        canonicalUrl: '/v3/pay/transactions/jsapi',
        timestamp: nowSeconds,
        nonce: 'N0NCE',
        body: requestBody,
      })),
    short,
  );
});

describe('JSAPI pay params (per checkout)', () => {
  bench(
    'v2: paySign HMAC-SHA256',
    async () => void (await jsapiPayParams('wx2014', { appId: FIELDS.appid!, key: V2_KEY, signType: 'HMAC-SHA256' }, nowSeconds, 'N0NCE')),
    short,
  );
  bench('v3: paySign RSA', async () => void (await jsapiPayParamsV3('wx2014', FIELDS.appid!, merchantKey, nowSeconds, 'N0NCE')), short);
});
