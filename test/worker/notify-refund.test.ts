// T72a: the refund notify. req_info (AES-256-ECB under MD5(key)) is the only authenticity; an
// undecryptable one is FAIL(SIGN_ERROR) with nothing written; an authentic one is kept as an
// anomaly (no refund rows exist yet) and acknowledged, idempotently.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { buildXml, nonceStr } from '../../src/core';
import { buildRefundNotify } from '../../src/sandbox/notify';
import vectors from '../vectors/vectors.json';
import { MERCHANT, OK, PARAM_ERROR, SIGN_ERROR, anomalyRows, orderRow, postNotify, replyOf, seedOrder, snap } from './notify-helpers';

const URL = 'http://127.0.0.1:8787/wechat/refund-notify';
const XML = 'text/xml; charset=utf-8';
const V8 = (vectors.refund_req_info as Array<Record<string, any>>).find((v) => v.id === 'V8')!;

function post(body: string) {
  return postNotify(body, { 'Content-Type': 'text/xml' }, URL);
}

function outer(reqInfo: string) {
  return buildXml({ return_code: 'SUCCESS', appid: MERCHANT.appId, mch_id: MERCHANT.mchId, nonce_str: nonceStr(32), req_info: reqInfo });
}

async function expectRefused(body: string, expected: string) {
  const before = await snap();
  expect(await replyOf(await post(body))).toEqual({ status: 200, body: expected, type: XML });
  expect(await snap()).toBe(before);
}

function refundFields(outTradeNo: string) {
  return {
    out_trade_no: outTradeNo,
    out_refund_no: `R${outTradeNo}`.slice(0, 32),
    refund_id: '50300000000000000000000000001',
    refund_fee: '1999',
    total_fee: '1999',
    refund_status: 'SUCCESS',
    success_time: '2026-11-28 12:00:00',
  };
}

describe('refund notify', () => {
  it('the V8 vector (official example key = the sandbox key) decrypts: authentic, unknown order → anomaly + OK', async () => {
    expect(V8.api_key).toBe(env.WECHAT_API_KEY);
    expect(await replyOf(await post(outer(V8.req_info)))).toEqual({ status: 200, body: OK, type: XML });
    const rows = await anomalyRows(V8.expected_fields.out_trade_no);
    expect(rows.map((r) => r.kind)).toEqual(['UNKNOWN_ORDER']);
  });

  it('an authentic notify for a known order is kept as REFUND_UNMATCHED, once across redeliveries; the order is unchanged', async () => {
    const no = await seedOrder({ status: 'PAID', transactionId: `4200${Date.now()}${nonceStr(6)}`.slice(0, 28) });
    const before = await orderRow(no);
    const { xml } = await buildRefundNotify(refundFields(no), MERCHANT);
    for (let i = 0; i < 3; i++) expect((await replyOf(await post(xml))).body).toBe(OK);
    expect(await orderRow(no)).toEqual(before);
    const rows = await anomalyRows(no);
    expect(rows.map((r) => r.kind)).toEqual(['REFUND_UNMATCHED']);
    expect(JSON.parse(rows[0]!.detail)).toMatchObject({ out_refund_no: `R${no}`.slice(0, 32), refund_status: 'SUCCESS', refund_fee: '1999' });
    const notes = (await env.DB.prepare('SELECT kind, verdict FROM notifications WHERE out_trade_no = ?1').bind(no).all()).results;
    expect(notes).toEqual([{ kind: 'REFUND', verdict: 'ANOMALY:REFUND_UNMATCHED' }]); // redeliveries add no row
  });

  it('req_info under another key, truncated to a non-multiple of 16, or with corrupted padding → FAIL(SIGN_ERROR), nothing written', async () => {
    const no = await seedOrder({ status: 'PAID' });
    const { fields } = await buildRefundNotify(refundFields(no), { ...MERCHANT, key: 'FAKE0other0key0for0tests00000000' });
    await expectRefused(outer(fields.req_info!), SIGN_ERROR);
    await expectRefused(outer(V8.req_info.slice(0, 20)), SIGN_ERROR);
    const raw = Uint8Array.from(atob(V8.req_info), (ch) => ch.charCodeAt(0));
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 0xff; // last block garbled → padding check fails
    await expectRefused(outer(btoa(String.fromCharCode(...raw))), SIGN_ERROR);
    await expectRefused(buildXml({ return_code: 'SUCCESS', appid: MERCHANT.appId, mch_id: MERCHANT.mchId }), SIGN_ERROR);
  });

  it('malformed bodies and return_code=FAIL → FAIL(PARAM_ERROR); non-POST → 405', async () => {
    await expectRefused('<xml><return_code>SUCCESS', PARAM_ERROR);
    await expectRefused(buildXml({ return_code: 'FAIL', return_msg: 'x' }), PARAM_ERROR);
    const res = await postNotify(null, {}, URL, 'GET');
    expect(res.status).toBe(405);
    expect(await res.text()).toBe('');
  });
});
