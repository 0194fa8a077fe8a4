// downloadbill (docs/wechatpay-v2.md §15): the backtick text bill from the day's payments and refunds,
// gzip on request, unsigned, and the XML "no bill" / "invalid bill_date" errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatWechatTime, isBillError, parseBill, parseXml, yuanToFen } from '../../src/core';
import { advanceClock, APPID, callXml, CERT_HEADER, getJson, MCHID, newOutTradeNo, pay, placeOrder, post, signed } from './helpers';

const DAY = 24 * 3600_000;
let billDate = '';
const nos: string[] = [];

/** The body as sent, BOM kept (Response.text() would strip it). */
async function bodyText(res: Response): Promise<string> {
  return new TextDecoder('utf-8', { ignoreBOM: true } as TextDecoderConstructorOptions).decode(await res.arrayBuffer());
}

async function download(fields: Record<string, string>, key?: string) {
  return post('/pay/downloadbill', await signed(fields, 'MD5', key));
}

beforeAll(async () => {
  for (const [fee, attach] of [[1999, 'a,b="c"&d=e'], [1]] as const) {
    const no = newOutTradeNo('BILL');
    nos.push(no);
    const o = await placeOrder(no, { total_fee: fee, ...(attach ? { attach } : {}) });
    const p = await pay(o.prepay_id!);
    billDate = (p.body.time_end as string).slice(0, 8);
  }
  await callXml('/secapi/pay/refund', { out_trade_no: nos[0]!, out_refund_no: `RB${nos[0]}`, total_fee: 1999, refund_fee: 500 }, { headers: CERT_HEADER });
  // The bill for day T exists from 09:00 on T+1: move the sandbox clock past that.
  await advanceClock(34 * 3600_000);
});

afterAll(async () => {
  await advanceClock(-34 * 3600_000);
});

describe('downloadbill', () => {
  it('ALL: 27 columns, payments and refunds, summary in yuan; BOM + CRLF; not signed', async () => {
    const res = await download({ bill_date: billDate, bill_type: 'ALL' });
    expect(res.status).toBe(200);
    const text = await bodyText(res);
    expect(isBillError(text)).toBe(false);
    expect(text.startsWith('\ufeff交易时间,公众账号ID,')).toBe(true);
    expect(text).toContain('\r\n');
    const parsed = parseBill(text);
    if (!parsed.ok) throw new Error(parsed.reason);
    const { bill } = parsed;
    expect(bill.header).toHaveLength(27);
    expect(bill.records).toHaveLength(3);
    const byNo = (no: string, state: string) => bill.records.find((r) => r['商户订单号'] === no && r['交易状态'] === state)!;
    expect(byNo(nos[0]!, 'SUCCESS')).toMatchObject({
      公众账号ID: APPID,
      商户号: MCHID,
      应结订单金额: '19.99',
      订单金额: '19.99',
      手续费: '0.12000',
      费率: '0.60%',
      商户数据包: 'a,b="c"&d=e',
      交易类型: 'JSAPI',
    });
    expect(byNo(nos[0]!, 'REFUND')).toMatchObject({
      商户退款单号: `RB${nos[0]}`,
      退款金额: '5.00',
      申请退款金额: '5.00',
      退款状态: 'SUCCESS',
      应结订单金额: '0.00',
      手续费: '-0.03000',
    });
    expect(byNo(nos[1]!, 'SUCCESS')).toMatchObject({ 应结订单金额: '0.01', 手续费: '0.00000' });
    expect(bill.summary).toEqual({
      总交易单数: '3',
      应结订单总金额: '20.00',
      退款总金额: '5.00',
      充值券退款总金额: '0.00',
      手续费总金额: '0.09000',
      订单总金额: '20.00',
      申请退款总金额: '5.00',
    });
    expect(yuanToFen(bill.summary['应结订单总金额']!)).toBe(2000);
  });

  it('SUCCESS has 20 columns and only payments; REFUND has 29 and only refunds', async () => {
    const success = parseBill(await bodyText(await download({ bill_date: billDate, bill_type: 'SUCCESS' })));
    const refund = parseBill(await bodyText(await download({ bill_date: billDate, bill_type: 'REFUND' })));
    if (!success.ok || !refund.ok) throw new Error('bill did not parse');
    expect(success.bill.header).toHaveLength(20);
    expect(success.bill.records.map((r) => r['交易状态'])).toEqual(['SUCCESS', 'SUCCESS']);
    expect(refund.bill.header).toHaveLength(29);
    expect(refund.bill.header.slice(14, 16)).toEqual(['退款申请时间', '退款成功时间']);
    expect(refund.bill.records).toHaveLength(1);
    expect(refund.bill.summary['退款总金额']).toBe('5.00');
  });

  it('tar_type=GZIP: the same text, gzipped', async () => {
    const plain = await bodyText(await download({ bill_date: billDate }));
    const res = await download({ bill_date: billDate, tar_type: 'GZIP' });
    expect(res.headers.get('Content-Type')).toBe('application/x-gzip');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const inflated = await bodyText(new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))));
    expect(inflated).toBe(plain);
  });

  it.each([
    ['a malformed bill_date', () => ({ bill_date: '2024-01-01' }), 'invalid bill_date', '20001'],
    ['today (not generated yet)', async () => ({ bill_date: await todayPlus(0) }), 'invalid bill_date', '20001'],
    ['a future date', async () => ({ bill_date: await todayPlus(3) }), 'invalid bill_date', '20001'],
    ['older than 3 months', async () => ({ bill_date: await todayPlus(-120) }), 'invalid bill_date', '20001'],
    ['a bad bill_type', () => ({ bill_date: billDate, bill_type: 'EVERYTHING' }), 'invalid bill_type', '20001'],
    ['a bad tar_type', () => ({ bill_date: billDate, tar_type: 'ZIP' }), 'invalid tar_type', '20001'],
    ['a day without trades', () => ({ bill_date: dayBefore(billDate) }), 'No Bill Exist', '20002'],
    ['RECHARGE_REFUND (no recharge funds)', () => ({ bill_date: billDate, bill_type: 'RECHARGE_REFUND' }), 'No Bill Exist', '20002'],
  ] as [string, () => Record<string, string> | Promise<Record<string, string>>, string, string][])('%s → XML FAIL', async (_name, fields, msg, code) => {
    const text = await (await download(await fields())).text();
    expect(isBillError(text)).toBe(true);
    expect(parseXml(text)).toEqual({ return_code: 'FAIL', return_msg: msg, error_code: code });
  });

  it('a wrong signature → sign error', async () => {
    const text = await (await download({ bill_date: billDate }, 'FAKE0wrong0key000000000000000000')).text();
    expect(parseXml(text)).toEqual({ return_code: 'FAIL', return_msg: 'sign error', error_code: '20001' });
  });

  it('before 09:00 on T+1 there is no bill yet', async () => {
    const { now } = await getJson<{ now: number }>('/sim/clock');
    // Move to 08:00 Beijing on the day after billDate (UTC 00:00 of that day), then back.
    const t1 = Date.UTC(+billDate.slice(0, 4), +billDate.slice(4, 6) - 1, +billDate.slice(6, 8)) + DAY;
    const shift = t1 - now;
    await advanceClock(shift);
    try {
      expect(formatWechatTime(new Date(t1)).slice(8, 10)).toBe('08');
      const text = await (await download({ bill_date: billDate })).text();
      expect(parseXml(text)).toMatchObject({ return_msg: 'No Bill Exist', error_code: '20002' });
    } finally {
      await advanceClock(-shift);
    }
  });
});

/** The sandbox clock's Beijing date, shifted by `days`. */
async function todayPlus(days: number): Promise<string> {
  const { now } = await getJson<{ now: number }>('/sim/clock');
  return formatWechatTime(new Date(now + days * DAY)).slice(0, 8);
}

function dayBefore(date: string): string {
  const t = Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8)) - 8 * 3600_000 + 12 * 3600_000;
  return formatWechatTime(new Date(t - DAY)).slice(0, 8);
}
