/**
 * Protocol-core figures (`npm run bench`). Not a test: nothing here asserts a speed.
 * Targets (issue 2): md5Hex at least as fast as js-md5 on a 300-byte sign string and on 1 MiB;
 * parseXml + verify of a typical notify under 20 µs.
 *
 * js-md5 is shown twice: its default export, which under Node hands the work to node:crypto
 * (that is the "js-md5 ≈ native" figure), and `md5.hex`, its pure-JavaScript implementation,
 * which is what runs where node:crypto does not exist.
 */
import { createHash } from 'node:crypto';
import { md5 as jsMd5 } from 'js-md5';
import { afterAll, bench, describe } from 'vitest';
import { buildXml, canonicalString, md5Hex, parseXml, signParams, verifyParams, verifySignedMessage } from '../src/core';

const KEY = '192006250b4c09247ec02edce69f6a2d'; // the official example key

/** A typical JSAPI payment notify: 20 fields before `sign`. */
const NOTIFY_FIELDS: Record<string, string> = {
  appid: 'wxd930ea5d5a258f4f',
  attach: '支付测试',
  bank_type: 'CMC',
  cash_fee: '1999',
  device_info: 'WEB',
  fee_type: 'CNY',
  is_subscribe: 'Y',
  mch_id: '10000100',
  nonce_str: '5d2b6c2a8db53831f7eda20af46e531c',
  openid: 'oUpF8uMEb4qRXf22hE3X68TekukE',
  out_trade_no: 'wx-20260420-000123456789',
  result_code: 'SUCCESS',
  return_code: 'SUCCESS',
  return_msg: 'OK',
  time_end: '20260420131540',
  total_fee: '1999',
  trade_type: 'JSAPI',
  transaction_id: '4200000215202604190261405420',
  coupon_count: '0',
  settlement_total_fee: '1999',
};

const md5NotifyXml = buildXml({ ...NOTIFY_FIELDS, sign: await signParams(NOTIFY_FIELDS, KEY, 'MD5') });
const hmacFields = { ...NOTIFY_FIELDS, sign_type: 'HMAC-SHA256' };
const hmacNotifyXml = buildXml({ ...hmacFields, sign: await signParams(hmacFields, KEY, 'HMAC-SHA256') });

/** Exactly 300 bytes of ASCII: an all-ASCII variant of the notify's stringSignTemp, fitted to length. */
const SIGN_STRING_300 = (canonicalString({ ...NOTIFY_FIELDS, attach: 'order-attach-0001' }) + '&key=' + KEY).padEnd(300, '0').slice(0, 300);
if (new TextEncoder().encode(SIGN_STRING_300).length !== 300) throw new Error('bench input is not 300 bytes');

const MIB = 1 << 20;
const BYTES_1MIB = new Uint8Array(MIB);
for (let i = 0; i < MIB; i++) BYTES_1MIB[i] = (i * 131 + (i >>> 8)) & 0xff;
const STRING_1MIB = SIGN_STRING_300.repeat(Math.ceil(MIB / 300)).slice(0, MIB);

const nodeMd5 = (input: string | Uint8Array) => createHash('md5').update(input).digest('hex');

// Sanity before timing: every contender computes the same digest.
for (const input of [SIGN_STRING_300, BYTES_1MIB, STRING_1MIB]) {
  const expected = nodeMd5(input);
  if (md5Hex(input) !== expected || jsMd5(input) !== expected || jsMd5.hex(input) !== expected) {
    throw new Error('MD5 implementations disagree');
  }
}
if (!(await verifySignedMessage(parseXml(md5NotifyXml), KEY, ['MD5'])).ok) throw new Error('MD5 notify does not verify');
if (!(await verifySignedMessage(parseXml(hmacNotifyXml), KEY, ['HMAC-SHA256'])).ok) throw new Error('HMAC notify does not verify');

const short = { time: 1500, warmupTime: 300 };
const long = { time: 2500, warmupTime: 500 };

describe('MD5, 300-byte sign string', () => {
  bench('md5Hex (this project)', () => void md5Hex(SIGN_STRING_300), short);
  bench('node:crypto createHash', () => void nodeMd5(SIGN_STRING_300), short);
  bench('js-md5 default (→ node:crypto in Node)', () => void jsMd5(SIGN_STRING_300), short);
  bench('js-md5 .hex (pure JS)', () => void jsMd5.hex(SIGN_STRING_300), short);
});

describe('MD5, 1 MiB Uint8Array', () => {
  bench('md5Hex (this project)', () => void md5Hex(BYTES_1MIB), long);
  bench('node:crypto createHash', () => void nodeMd5(BYTES_1MIB), long);
  bench('js-md5 default (→ node:crypto in Node)', () => void jsMd5(BYTES_1MIB), long);
  bench('js-md5 .hex (pure JS)', () => void jsMd5.hex(BYTES_1MIB), long);
});

describe('MD5, 1 MiB string', () => {
  bench('md5Hex (this project)', () => void md5Hex(STRING_1MIB), long);
  bench('node:crypto createHash', () => void nodeMd5(STRING_1MIB), long);
  bench('js-md5 default (→ node:crypto in Node)', () => void jsMd5(STRING_1MIB), long);
  bench('js-md5 .hex (pure JS)', () => void jsMd5.hex(STRING_1MIB), long);
});

describe('signParams, 20-field notify', () => {
  bench('signParams MD5', async () => void (await signParams(NOTIFY_FIELDS, KEY, 'MD5')), short);
  bench('signParams HMAC-SHA256', async () => void (await signParams(NOTIFY_FIELDS, KEY, 'HMAC-SHA256')), short);
});

describe('notify: parseXml + verify (20 fields + sign)', () => {
  bench(
    'parseXml + verifySignedMessage (MD5)',
    async () => {
      void (await verifySignedMessage(parseXml(md5NotifyXml), KEY, ['MD5']));
    },
    short,
  );
  bench(
    'parseXml + verifyParams (MD5)',
    async () => {
      void (await verifyParams(parseXml(md5NotifyXml), KEY, 'MD5'));
    },
    short,
  );
  bench(
    'parseXml + verifySignedMessage (HMAC-SHA256)',
    async () => {
      void (await verifySignedMessage(parseXml(hmacNotifyXml), KEY, ['HMAC-SHA256']));
    },
    short,
  );
  bench('parseXml alone', () => void parseXml(md5NotifyXml), short);
});

/**
 * Plain µs/op for parse + verify, measured after the tables (target < 20 µs): 7 rounds of 5,000
 * sequential calls; the median round is the figure, the best round shows the floor on a quiet CPU.
 */
afterAll(async () => {
  const rounds = async (fn: () => Promise<unknown>) => {
    for (let i = 0; i < 2000; i++) await fn();
    const perRound: number[] = [];
    for (let r = 0; r < 7; r++) {
      const t0 = performance.now();
      for (let i = 0; i < 5000; i++) await fn();
      perRound.push(((performance.now() - t0) * 1000) / 5000);
    }
    perRound.sort((a, b) => a - b);
    return `median ${perRound[3]!.toFixed(2)} µs/op, best ${perRound[0]!.toFixed(2)} µs/op`;
  };
  const md5 = await rounds(() => verifySignedMessage(parseXml(md5NotifyXml), KEY, ['MD5']));
  const hmac = await rounds(() => verifySignedMessage(parseXml(hmacNotifyXml), KEY, ['HMAC-SHA256']));
  const parseOnly = await rounds(async () => parseXml(md5NotifyXml));
  console.log(
    `\nparse + verify of a ${md5NotifyXml.length}-char, 21-element notify (target < 20 µs/op):\n` +
      `  parseXml + verifySignedMessage, MD5          ${md5}\n` +
      `  parseXml + verifySignedMessage, HMAC-SHA256  ${hmac}\n` +
      `  parseXml alone                               ${parseOnly}\n`,
  );
});
