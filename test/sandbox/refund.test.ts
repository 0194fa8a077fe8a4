// Refunds (docs/wechatpay-v2.md §12–§14): the certificate model, acceptance and idempotency, errors,
// refundquery, and the encrypted, unsigned refund notify.
import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { decryptRefundInfo, parseXml, verifySignedMessage } from '../../src/core';
import type { DeliveryStatus } from '../../src/sandbox/delivery-do';
import { APPID, BASE, callXml, CERT_HEADER, getJson, KEY, MCHID, newOutTradeNo, pay, placeOrder, setScenario } from './helpers';

async function paidOrder(signType: 'MD5' | 'HMAC-SHA256' = 'MD5') {
  const no = newOutTradeNo();
  const o = await placeOrder(no, {}, signType);
  const p = await pay(o.prepay_id!);
  return { no, transactionId: p.body.transaction_id as string };
}

const refund = (fields: Record<string, string | number>, signType: 'MD5' | 'HMAC-SHA256' = 'MD5') =>
  callXml('/secapi/pay/refund', fields, { signType, headers: CERT_HEADER });

describe('refund', () => {
  it('without the client certificate (modelled by X-Sandbox-Client-Cert) → return_code=FAIL, nothing refunded', async () => {
    const { no } = await paidOrder();
    const r = await callXml('/secapi/pay/refund', { out_trade_no: no, out_refund_no: `R${no}`, total_fee: 1999, refund_fee: 100 });
    expect(r.fields.return_code).toBe('FAIL');
    expect(r.fields.return_msg).toContain('CERT_REQUIRED');
    const wrong = await callXml(
      '/secapi/pay/refund',
      { out_trade_no: no, out_refund_no: `R${no}`, total_fee: 1999, refund_fee: 100 },
      { headers: { 'X-Sandbox-Client-Cert': '1900000109' } },
    );
    expect(wrong.fields.return_code).toBe('FAIL');
    expect((await callXml('/pay/refundquery', { out_trade_no: no })).fields.err_code).toBe('REFUNDNOTEXIST');
  });

  it('accepts a refund (signed reply), replays the same out_refund_no idempotently, refuses a changed one', async () => {
    const { no, transactionId } = await paidOrder('HMAC-SHA256');
    const fields = { out_trade_no: no, out_refund_no: `R1${no}`.slice(0, 64), total_fee: 1999, refund_fee: 500 };
    const first = await refund(fields, 'HMAC-SHA256');
    expect(first.fields).toMatchObject({
      return_code: 'SUCCESS',
      result_code: 'SUCCESS',
      out_trade_no: no,
      transaction_id: transactionId,
      refund_fee: '500',
      total_fee: '1999',
      cash_fee: '1999',
    });
    expect(first.fields.refund_id).toMatch(/^5030\d{25}$/);
    expect(await verifySignedMessage(first.fields, KEY, ['HMAC-SHA256'])).toMatchObject({ ok: true });
    const again = await refund(fields, 'HMAC-SHA256');
    expect(again.fields).toMatchObject({ result_code: 'SUCCESS', refund_id: first.fields.refund_id });
    const changed = await refund({ ...fields, refund_fee: 600 }, 'HMAC-SHA256');
    expect(changed.fields).toMatchObject({ result_code: 'FAIL', err_code: 'INVALID_REQUEST' });
    const q = await callXml('/pay/refundquery', { out_trade_no: no });
    expect(q.fields).toMatchObject({ result_code: 'SUCCESS', refund_count: '1', refund_fee_0: '500' });
    expect((await callXml('/pay/orderquery', { out_trade_no: no })).fields.trade_state).toBe('REFUND');
  });

  it('by transaction_id; partial refunds up to the order amount, never beyond', async () => {
    const { no, transactionId } = await paidOrder();
    expect((await refund({ transaction_id: transactionId, out_refund_no: `A${no}`, total_fee: 1999, refund_fee: 1000 })).fields.result_code).toBe('SUCCESS');
    const over = await refund({ transaction_id: transactionId, out_refund_no: `B${no}`, total_fee: 1999, refund_fee: 1000 });
    expect(over.fields).toMatchObject({ result_code: 'FAIL', err_code: 'ERROR', err_code_des: '累计退款金额大于支付金额' });
    expect((await refund({ transaction_id: transactionId, out_refund_no: `C${no}`, total_fee: 1999, refund_fee: 999 })).fields.result_code).toBe('SUCCESS');
  });

  it.each([
    ['NOTENOUGH from the (empty) recharge funds', { refund_account: 'REFUND_SOURCE_RECHARGE_FUNDS' }, 'NOTENOUGH'],
    ['total_fee differs from the order', { total_fee: 2000 }, 'INVALID_REQUEST'],
    ['refund_fee zero', { refund_fee: 0 }, 'PARAM_ERROR'],
    ['refund_fee in yuan', { refund_fee: '1.00' }, 'PARAM_ERROR'],
    ['out_refund_no with a bad character', { out_refund_no: 'R#1' }, 'PARAM_ERROR'],
    ['no out_refund_no', { out_refund_no: '' }, 'LACK_PARAMS'],
  ])('%s → %s', async (_name, over, code) => {
    const { no } = await paidOrder();
    const fields: Record<string, string | number> = { out_trade_no: no, out_refund_no: `E${no}`, total_fee: 1999, refund_fee: 100, ...over };
    for (const [k, v] of Object.entries(fields)) if (v === '') delete fields[k];
    expect((await refund(fields)).fields).toMatchObject({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: code });
  });

  it('ORDERNOTEXIST for unknown or unpaid orders, INVALID_TRANSACTIONID for an unknown transaction', async () => {
    const unpaid = newOutTradeNo();
    await placeOrder(unpaid);
    for (const no of [newOutTradeNo(), unpaid]) {
      expect((await refund({ out_trade_no: no, out_refund_no: `X${no}`, total_fee: 1999, refund_fee: 1 })).fields.err_code).toBe('ORDERNOTEXIST');
    }
    expect(
      (await refund({ transaction_id: '4200000000202401010000000000', out_refund_no: 'XTXN000001', total_fee: 1999, refund_fee: 1 })).fields.err_code,
    ).toBe('INVALID_TRANSACTIONID');
  });

  it('SYSTEMERROR and BIZERR_NEED_RETRY by scenario, then the same out_refund_no succeeds once', async () => {
    const { no } = await paidOrder();
    await setScenario(no, {
      faults: [
        { endpoint: 'refund', error: 'SYSTEMERROR' },
        { endpoint: 'refund', error: 'BIZERR_NEED_RETRY' },
      ],
    });
    const fields = { out_trade_no: no, out_refund_no: `S${no}`, total_fee: 1999, refund_fee: 300 };
    expect((await refund(fields)).fields).toMatchObject({ result_code: 'FAIL', err_code: 'SYSTEMERROR' });
    expect((await refund(fields)).fields).toMatchObject({ result_code: 'FAIL', err_code: 'BIZERR_NEED_RETRY' });
    const ok = await refund(fields);
    expect(ok.fields.result_code).toBe('SUCCESS');
    expect((await callXml('/pay/refundquery', { out_trade_no: no })).fields.refund_count).toBe('1');
  });
});

describe('refundquery', () => {
  it('by refund_id, out_refund_no, transaction_id or out_trade_no; pages of 10 by offset', async () => {
    const { no, transactionId } = await paidOrder();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await refund({ out_trade_no: no, out_refund_no: `P${i}${no}`, total_fee: 1999, refund_fee: 10 + i });
      ids.push(r.fields.refund_id!);
    }
    const byOrder = (await callXml('/pay/refundquery', { out_trade_no: no })).fields;
    expect(byOrder).toMatchObject({
      result_code: 'SUCCESS',
      refund_count: '10',
      out_trade_no: no,
      transaction_id: transactionId,
      total_fee: '1999',
      refund_id_0: ids[0],
      refund_status_0: 'SUCCESS',
      refund_channel_0: 'ORIGINAL',
      refund_recv_accout_0: '支付用户的零钱',
    });
    expect(byOrder.refund_success_time_0).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(await verifySignedMessage(byOrder, KEY, ['MD5'])).toMatchObject({ ok: true });
    const page2 = (await callXml('/pay/refundquery', { transaction_id: transactionId, offset: 10 })).fields;
    expect(page2).toMatchObject({ total_refund_count: '12', refund_count: '2', refund_id_0: ids[10], refund_fee_1: '21' });
    const one = (await callXml('/pay/refundquery', { refund_id: ids[3]!, out_trade_no: 'IGNORED0001' })).fields;
    expect(one).toMatchObject({ refund_count: '1', out_refund_no_0: `P3${no}` });
    expect((await callXml('/pay/refundquery', { out_refund_no: `P5${no}` })).fields.refund_id_0).toBe(ids[5]);
  });

  it('REFUNDNOTEXIST; PARAM_ERROR without an identifier', async () => {
    expect((await callXml('/pay/refundquery', { out_refund_no: 'NOPE0000001' })).fields).toMatchObject({ result_code: 'FAIL', err_code: 'REFUNDNOTEXIST' });
    expect((await callXml('/pay/refundquery', {})).fields).toMatchObject({ result_code: 'FAIL', err_code: 'PARAM_ERROR' });
  });

  it('PROCESSING by scenario: no success time, no notify', async () => {
    const { no } = await paidOrder();
    await setScenario(no, { refund_status: 'PROCESSING' });
    await refund({ out_trade_no: no, out_refund_no: `Q${no}`, total_fee: 1999, refund_fee: 1, notify_url: `${BASE}/sim/receiver/Q${no}` });
    const q = (await callXml('/pay/refundquery', { out_refund_no: `Q${no}` })).fields;
    expect(q.refund_status_0).toBe('PROCESSING');
    expect(q.refund_success_time_0).toBeUndefined();
    expect((await getJson<DeliveryStatus>(`/sim/deliveries?out_refund_no=Q${no}`)).deliveries).toHaveLength(0);
  });
});

describe('refund notify', () => {
  it('POSTs return_code, appid, mch_id, nonce_str and req_info (AES-256-ECB under MD5(key)), with no sign', async () => {
    const { no, transactionId } = await paidOrder();
    const outRefundNo = `N${no}`;
    const r = await refund({
      out_trade_no: no,
      out_refund_no: outRefundNo,
      total_fee: 1999,
      refund_fee: 700,
      notify_url: `${BASE}/sim/receiver/${outRefundNo}`,
    });
    // The refund completes a little later (5 s by default): nothing yet; the alarm delivers it.
    expect((await getJson<{ received: unknown[] }>(`/sim/receiver/${outRefundNo}`)).received).toHaveLength(0);
    expect(await runDurableObjectAlarm(env.NOTIFY_DELIVERY.getByName(`refund:${outRefundNo}`))).toBe(true);
    const { received } = await getJson<{ received: { body: string }[] }>(`/sim/receiver/${outRefundNo}`);
    expect(received).toHaveLength(1);
    const outer = parseXml(received[0]!.body);
    expect(Object.keys(outer).sort()).toEqual(['appid', 'mch_id', 'nonce_str', 'req_info', 'return_code', 'return_msg']);
    expect(outer).toMatchObject({ return_code: 'SUCCESS', appid: APPID, mch_id: MCHID });
    const plain = await decryptRefundInfo(outer.req_info!, KEY);
    expect(plain).toMatchObject({
      transaction_id: transactionId,
      out_trade_no: no,
      refund_id: r.fields.refund_id,
      out_refund_no: outRefundNo,
      total_fee: '1999',
      refund_fee: '700',
      settlement_refund_fee: '700',
      refund_status: 'SUCCESS',
      refund_recv_accout: '支付用户的零钱',
      refund_account: 'REFUND_SOURCE_UNSETTLED_FUNDS',
      refund_request_source: 'API',
    });
    expect(plain.success_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    await expect(decryptRefundInfo(outer.req_info!, 'FAKE0other0key000000000000000000')).rejects.toThrow();
  });

  it('is retried on the same schedule until acknowledged', async () => {
    const { no } = await paidOrder();
    const outRefundNo = `T${no}`;
    await (await import('cloudflare:workers')).exports.default.fetch(`${BASE}/sim/receiver/${outRefundNo}`, {
      method: 'PUT',
      body: JSON.stringify({ fail_times: 2 }),
      headers: { 'Content-Type': 'application/json' },
    });
    await refund({ out_trade_no: no, out_refund_no: outRefundNo, total_fee: 1999, refund_fee: 1, notify_url: `${BASE}/sim/receiver/${outRefundNo}` });
    const s = env.NOTIFY_DELIVERY.getByName(`refund:${outRefundNo}`);
    for (let i = 0; i < 3; i++) expect(await runDurableObjectAlarm(s)).toBe(true);
    const { deliveries, log } = await getJson<DeliveryStatus>(`/sim/deliveries?out_refund_no=${outRefundNo}`);
    expect(deliveries[0]).toMatchObject({ kind: 'refund', state: 'acknowledged', attempts: 3 });
    expect(log.map((e) => e.next_delay_ms)).toEqual([15_000, 15_000, undefined]);
  });
});
