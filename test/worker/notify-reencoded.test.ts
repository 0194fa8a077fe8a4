// One authentic notify, re-sent in other encodings (CDATA or text, whitespace between elements, an
// XML declaration, another field order, a lowercase sign): the same message, so it is recorded and
// alerted once. And a message that verifies only under the Java-trim reading is processed on the
// values that reading signed.
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { buildXml, nonceStr, signParams } from '../../src/core';
import { buildRefundNotify } from '../../src/sandbox/notify';
import { openidFor } from '../../src/sandbox/users';
import { forgetAllApplied } from '../../src/worker/notify/applied-cache';
import { MERCHANT, OK, anomalyRows, ledgerRows, notificationRows, orderRow, postNotify, replyOf, seedOrder, signedNotify } from './notify-helpers';

const REFUND_URL = 'http://127.0.0.1:8787/wechat/refund-notify';

function escapeText(v: string): string {
  return v.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** The same fields in five encodings (six with a sign: its hex case); all parse to the same map. */
function reencodings(fields: Record<string, string>): string[] {
  const cdata = buildXml(fields);
  const plain =
    '<xml>' +
    Object.entries(fields)
      .map(([k, v]) => `<${k}>${escapeText(v)}</${k}>`)
      .join('') +
    '</xml>';
  const spaced =
    '<xml>\n' +
    Object.entries(fields)
      .map(([k, v]) => `  <${k}><![CDATA[${v}]]></${k}>\n`)
      .join('') +
    '</xml>\n';
  const declared = '<?xml version="1.0" encoding="UTF-8"?>' + cdata;
  const reordered = buildXml(Object.fromEntries(Object.entries(fields).reverse()));
  const encoded = [cdata, plain, spaced, declared, reordered];
  return fields.sign ? [...encoded, buildXml({ ...fields, sign: fields.sign.toLowerCase() })] : encoded;
}

let warn: MockInstance<typeof console.warn>;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(() => warn.mockRestore());

/** The ANOMALY alerts raised for this order (alerts.ts: one structured console.warn line each). */
function alertsFor(outTradeNo: string): string[] {
  return warn.mock.calls.flatMap(([line]) => {
    try {
      const a = JSON.parse(String(line));
      return a.event === 'ANOMALY' && a.outTradeNo === outTradeNo ? [a.kind as string] : [];
    } catch {
      return [];
    }
  });
}

async function sendAll(bodies: string[], url?: string): Promise<void> {
  for (const body of bodies) {
    const r = await replyOf(await (url ? postNotify(body, { 'Content-Type': 'text/xml' }, url) : postNotify(body)));
    expect(r.body).toBe(OK);
  }
}

describe('re-encoded copies of one authentic message', () => {
  it('an inapplicable notify (wrong total_fee) leaves one anomaly, one notification and one alert', async () => {
    const no = await seedOrder(); // 1999 fen
    const n = await signedNotify(no, { total_fee: 1 });
    // An unsigned empty element is not part of the message either.
    const withEmpty = buildXml(n.fields).replace('</xml>', '<attach></attach></xml>');
    await sendAll([...reencodings(n.fields), withEmpty]);
    expect((await anomalyRows(no)).map((a) => a.kind)).toEqual(['AMOUNT_MISMATCH']);
    expect((await notificationRows(no)).map((r) => r.verdict)).toEqual(['ANOMALY:AMOUNT_MISMATCH']);
    expect(alertsFor(no)).toEqual(['AMOUNT_MISMATCH']);
    expect((await orderRow(no))!.status).toBe('NOTPAY');
  });

  it('a conflict found inside the OrderGate is recorded and alerted once too', async () => {
    const no = await seedOrder();
    const first = await signedNotify(no);
    expect(await (await postNotify(first.xml)).text()).toBe(OK);
    const other = await signedNotify(no); // the same order, another transaction_id
    await sendAll(reencodings(other.fields));
    expect((await anomalyRows(no)).map((a) => a.kind)).toEqual(['TXN_CONFLICT']);
    expect((await notificationRows(no)).map((r) => r.verdict)).toEqual(['APPLIED', 'ANOMALY:TXN_CONFLICT']);
    expect(alertsFor(no)).toEqual(['TXN_CONFLICT']);
    expect(await ledgerRows(no)).toHaveLength(1);
  });

  it('an applied notify re-encoded afterwards: still one credit and one notification, with or without the caches', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no);
    expect(await (await postNotify(n.xml)).text()).toBe(OK);
    await sendAll(reencodings(n.fields));
    forgetAllApplied(); // now the copies reach the DO's memo
    await sendAll(reencodings(n.fields));
    expect((await orderRow(no))!).toMatchObject({ status: 'PAID', transaction_id: n.fields.transaction_id });
    expect((await ledgerRows(no)).map((l) => l.amount_fen)).toEqual([1999]);
    expect((await notificationRows(no)).map((r) => r.verdict)).toEqual(['APPLIED']);
    expect(await anomalyRows(no)).toEqual([]);
    expect(alertsFor(no)).toEqual([]);
  });

  it('a refund notify is the same message whatever its encoding and its unauthenticated outer nonce_str', async () => {
    const no = await seedOrder({ status: 'PAID', transactionId: `4200${Date.now()}${nonceStr(6)}`.slice(0, 28) });
    const plain = {
      out_trade_no: no,
      out_refund_no: `R${no}`.slice(0, 32),
      refund_id: '50300000000000000000000000002',
      refund_fee: '1999',
      total_fee: '1999',
      refund_status: 'SUCCESS',
    };
    const { fields } = await buildRefundNotify(plain, MERCHANT);
    await sendAll([...reencodings(fields), buildXml({ ...fields, nonce_str: nonceStr(32) })], REFUND_URL);
    expect((await anomalyRows(no)).map((a) => a.kind)).toEqual(['REFUND_UNMATCHED']);
    expect((await notificationRows(no)).map((r) => [r.kind, r.verdict])).toEqual([['REFUND', 'ANOMALY:REFUND_UNMATCHED']]);
    expect(alertsFor(no)).toEqual(['REFUND_UNMATCHED']);
  });
});

describe('a notify that verifies only under the Java-trim reading', () => {
  /** Signs `padded` the way the official Java SDK does: each value trimmed, empty ones skipped. */
  async function javaSigned(padded: Record<string, string>): Promise<string> {
    const signed: Record<string, string> = {};
    for (const [k, v] of Object.entries(padded)) if (k !== 'sign' && v.trim() !== '') signed[k] = v.trim();
    const sign = await signParams(signed, MERCHANT.key, MERCHANT.signType);
    return buildXml({ ...padded, sign });
  }

  it('is applied on the trimmed values; unsigned whitespace-only fields never reach the checks', async () => {
    const no = await seedOrder(); // 1999 fen, CNY, no openid yet
    const { fields } = await signedNotify(no);
    const alice = openidFor(MERCHANT.appId, 'alice');
    const xml = await javaSigned({
      ...fields,
      total_fee: ' 1999 ',
      cash_fee: '\t1999\n',
      openid: ` ${alice} `,
      transaction_id: ` ${fields.transaction_id} `,
      fee_type: ' ', // whitespace only: outside the signature, so not a currency at all
      attach: ' \t ',
    });
    expect((await replyOf(await postNotify(xml))).body).toBe(OK);
    expect(await anomalyRows(no)).toEqual([]);
    expect((await orderRow(no))!).toMatchObject({ status: 'PAID', transaction_id: fields.transaction_id, cash_fee: 1999, openid: null, prepay_openid: alice });
    expect((await ledgerRows(no)).map((l) => [l.amount_fen, l.transaction_id])).toEqual([[1999, fields.transaction_id]]);
    expect((await notificationRows(no)).map((r) => r.verdict)).toEqual(['APPLIED']);
  });

  it('a whitespace-only fee_type is not a currency mismatch, and padded copies are one message', async () => {
    const no = await seedOrder({ totalFee: 2000 });
    const { fields } = await signedNotify(no); // 1999 fen: an AMOUNT_MISMATCH, never FEE_TYPE_MISMATCH
    const a = await javaSigned({ ...fields, fee_type: ' ', total_fee: ' 1999' });
    const b = await javaSigned({ ...fields, fee_type: '\n\n', total_fee: '1999\t' });
    await sendAll([a, b]);
    const rows = await anomalyRows(no);
    expect(rows.map((r) => r.kind)).toEqual(['AMOUNT_MISMATCH']);
    expect(JSON.parse(rows[0]!.detail)).toEqual({ expected: 2000, total_fee: 1999 });
    expect(alertsFor(no)).toEqual(['AMOUNT_MISMATCH']);
  });

  it('an unsigned empty fee_type next to a raw-signed message is ignored as well', async () => {
    const no = await seedOrder();
    const n = await signedNotify(no, { fee_type: '' }); // signed without fee_type (CNY by default)
    const xml = n.xml.replace('</xml>', '<fee_type></fee_type></xml>');
    expect((await replyOf(await postNotify(xml))).body).toBe(OK);
    expect(await anomalyRows(no)).toEqual([]);
    expect((await orderRow(no))!.status).toBe('PAID');
  });
});
