// The pure half of reconciliation: exact yuan → fen and 5-decimal 手续费 → 1/1000 fen conversion
// (property tests against BigInt arithmetic), the streaming bill reader against parseBill, and the verdicts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addToTotals,
  billEntry,
  comparePayment,
  emptyBillTotals,
  formatBill,
  formatYuan,
  formatYuanMilli,
  netSettlement,
  parseBill,
  readBillLines,
  summaryDifference,
  yuanToFen,
  yuanToMilliFen,
} from '../../src/core';

/** The reference: a decimal string's value in 10^-places yuan, by BigInt, or null if inexact. */
function reference(s: string, places: number): bigint | null {
  const m = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(s);
  if (!m) return null;
  const frac = m[3] ?? '';
  if (frac.slice(places).replace(/0/g, '') !== '') return null;
  const v = BigInt(m[2]! + frac.slice(0, places).padEnd(places, '0'));
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return null; // exact only within safe integers: refused
  return m[1] ? -v : v;
}

const decimal = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 11n }), fc.option(fc.stringMatching(/^[0-9]{0,7}$/), { nil: undefined }))
  .map(([neg, whole, frac]) => `${neg ? '-' : ''}${whole}${frac === undefined ? '' : '.' + frac}`);

describe('exact bill amounts', () => {
  it('yuanToFen and yuanToMilliFen agree with BigInt arithmetic on every decimal string (or refuse it)', () => {
    fc.assert(
      fc.property(decimal, (s) => {
        for (const [places, convert] of [
          [2, yuanToFen],
          [5, yuanToMilliFen],
        ] as const) {
          const want = reference(s, places);
          if (want === null || s.endsWith('.')) expect(() => convert(s)).toThrow();
          else expect(BigInt(convert(s))).toBe(want);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('formatYuan / formatYuanMilli round-trip every integer exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(10 ** 13), max: 10 ** 13 }), (n) => {
        expect(yuanToFen(formatYuan(n))).toBe(n);
        expect(yuanToMilliFen(formatYuanMilli(n))).toBe(n);
      }),
    );
  });

  it('known values: the 5-decimal fee is kept to the 1/1000 fen', () => {
    expect(yuanToMilliFen('0.12000')).toBe(12000);
    expect(yuanToMilliFen('-0.00006')).toBe(-6);
    expect(yuanToMilliFen('0.00123')).toBe(123);
    expect(formatYuanMilli(-3000)).toBe('-0.03000');
    expect(() => yuanToFen('0.00123')).toThrow();
    expect(() => yuanToMilliFen('0.000001')).toThrow();
    // 0.1 + 0.2 in floats is not 0.3; in fen it is.
    expect(yuanToFen('0.10') + yuanToFen('0.20')).toBe(yuanToFen('0.30'));
  });
});

const HEADER = [
  '交易时间',
  '微信订单号',
  '商户订单号',
  '交易状态',
  '应结订单金额',
  '商户退款单号',
  '微信退款单号',
  '退款金额',
  '退款状态',
  '商品名称',
  '手续费',
  '订单金额',
];
const SUMMARY = ['总交易单数', '应结订单总金额', '退款总金额', '充值券退款总金额', '手续费总金额', '订单总金额', '申请退款总金额'];

const payRow = (i: number, fen: number, name: string) => [
  '2026-01-01 10:00:00',
  `42000${i}`,
  `NO${i}`,
  'SUCCESS',
  formatYuan(fen),
  '0',
  '0',
  '0.00',
  '',
  name,
  formatYuanMilli(fen * 6),
  formatYuan(fen),
];

async function* chunked(text: string, sizes: number[]): AsyncGenerator<string> {
  let at = 0;
  for (let k = 0; at < text.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]!);
    yield text.slice(at, at + n);
    at += n;
  }
}

describe('readBillLines (streaming) reads what parseBill reads', () => {
  it('for any rows, layout and chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.integer({ min: 1, max: 10 ** 7 }),
            fc.string({ maxLength: 8 }).filter((s) => !s.includes(',`') && !/[\r\n]/.test(s)),
          ),
          { maxLength: 20 },
        ),
        fc.record({ bom: fc.boolean(), lineEnding: fc.constantFrom('CRLF' as const, 'LF' as const), trailingNewline: fc.boolean() }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
        async (rows, layout, sizes) => {
          const records = rows.map(([fen, name], i) => payRow(i, fen, name));
          const total = rows.reduce((s, [fen]) => s + fen, 0);
          const fee = rows.reduce((s, [fen]) => s + fen * 6, 0);
          const text = formatBill(
            HEADER,
            records,
            SUMMARY,
            [String(rows.length), formatYuan(total), '0.00', '0.00', formatYuanMilli(fee), formatYuan(total), '0.00'],
            layout,
          );
          const whole = parseBill(text);
          if (!whole.ok) throw new Error(whole.reason);
          const streamed: Record<string, string>[] = [];
          const totals = emptyBillTotals();
          let summary: Record<string, string> | undefined;
          for await (const line of readBillLines(chunked(text, sizes))) {
            if (line.kind === 'error') throw new Error(line.reason);
            if (line.kind === 'record') {
              streamed.push(line.record);
              addToTotals(totals, billEntry(line.record));
            }
            if (line.kind === 'summary') summary = line.summary;
          }
          expect(streamed).toEqual(whole.bill.records);
          expect(summary).toEqual(whole.bill.summary);
          expect(summaryDifference(totals, summary!)).toBeNull();
          expect(netSettlement(totals)).toBe(total * 1000 - fee);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses what parseBill refuses: a short record, a missing summary, mixed line endings', async () => {
    const read = async (text: string) => {
      for await (const line of readBillLines(chunked(text, [3]))) if (line.kind === 'error') return line.reason;
      return null;
    };
    const good = formatBill(HEADER, [payRow(1, 100, 'x')], SUMMARY, ['1', '1.00', '0.00', '0.00', '0.00600', '1.00', '0.00']);
    expect(await read(good)).toBeNull();
    expect(await read(good.replace(',`x', ''))).toMatch(/does not have/);
    expect(await read(good.split('\r\n').slice(0, 2).join('\r\n'))).toMatch(/summary/);
    expect(await read(good.replace('\r\n', '\n'))).toBe('mixed line endings');
    expect(parseBill(good.replace('\r\n', '\n')).ok).toBe(false);
  });
});

describe('verdicts', () => {
  const bill = billEntry(Object.assign(Object.create(null), Object.fromEntries(HEADER.map((h, i) => [h, payRow(7, 1999, 'x')[i]!]))));
  it.each([
    ['absent', null, 'MISSING_LOCALLY'],
    ['NOTPAY', { status: 'NOTPAY', totalFee: 1999, transactionId: null }, 'MISSING_LOCALLY'],
    ['PAID, same', { status: 'PAID', totalFee: 1999, transactionId: '420007' }, 'MATCHED'],
    ['REFUNDED, same', { status: 'REFUNDED', totalFee: 1999, transactionId: '420007' }, 'MATCHED'],
    ['PAID, other amount', { status: 'PAID', totalFee: 2000, transactionId: '420007' }, 'AMOUNT_MISMATCH'],
    ['PAID, other transaction', { status: 'PAID', totalFee: 1999, transactionId: '420008' }, 'STATUS_MISMATCH'],
  ] as const)('bill SUCCESS, ours %s → %s', (_n, local, kind) => {
    if (bill.kind !== 'PAYMENT') throw new Error('expected a payment');
    expect(comparePayment(bill, local).kind).toBe(kind);
  });
  it('summary totals that differ from the records are named', () => {
    const t = emptyBillTotals();
    addToTotals(t, bill);
    expect(summaryDifference(t, { 总交易单数: '1.0', 应结订单总金额: '19.99', 退款总金额: '0.00', 手续费总金额: formatYuanMilli(1999 * 6) })).toBeNull();
    expect(summaryDifference(t, { 总交易单数: '1', 应结订单总金额: '19.98', 退款总金额: '0.00', 手续费总金额: '0.00000' })).toBe('应结订单总金额');
  });
});
