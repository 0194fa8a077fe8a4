// test/vectors/downloadbill-samples.json (docs/wechatpay-v2.md §15): every sample parses to its expected
// header, rows and summary; error bodies are classified by their content; formatBill inverts parseBill.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBill, isBillError, parseBill, type Bill } from '../../src/core/bill';
import { yuanToFen } from '../../src/core/money';
import { parseXml } from '../../src/core/xml';
import fixture from '../vectors/downloadbill-samples.json';

function parsed(text: string): Bill {
  const result = parseBill(text);
  if (!result.ok) throw new Error(`bill refused: ${result.reason}`);
  return result.bill;
}

describe('downloadbill samples', () => {
  it('holds its 6 samples and 2 error bodies', () => {
    expect(fixture.samples).toHaveLength(6);
    expect(fixture.error_responses).toHaveLength(2);
  });

  it.each(fixture.samples.map((s) => [s.id, s] as const))('%s parses to its expected header, rows and summary', (_, s) => {
    const bill = parsed(s.text);
    const { expected } = s;
    expect(bill.bom).toBe(expected.has_utf8_bom);
    expect(bill.lineEnding).toBe(expected.line_ending);
    expect(bill.header).toEqual(expected.header_columns);
    expect(bill.rows).toHaveLength(expected.row_count);
    for (const row of bill.rows) expect(row).toHaveLength(expected.columns_per_row);
    expect({ ...bill.records[0] }).toEqual(expected.first_row);
    expect({ ...bill.records.at(-1) }).toEqual(expected.last_row);
    expect({ ...bill.summary }).toEqual(expected.summary);
    expect(bill.summaryRow).toEqual(Object.values(expected.summary));
  });

  it.each(fixture.samples.map((s) => [s.id, s] as const))('%s is reproduced byte for byte by formatBill', (_, s) => {
    const bill = parsed(s.text);
    expect(formatBill(bill.header, bill.rows, bill.summaryHeader, bill.summaryRow, bill)).toBe(s.text);
  });

  it.each(fixture.samples.map((s) => [s.id, s] as const))('%s is bill text, not an error body', (_, s) => {
    expect(isBillError(s.text)).toBe(false);
  });

  it('keeps commas, quotes, & and = inside fields (split on ",`" only)', () => {
    const sample = fixture.samples.find((s) => s.id === 'bill-constructed-comma-in-product-name')!;
    const record = parsed(sample.text).records[0]!;
    expect(record['商品名称']).toBe('商品A,商品B "套装"');
    expect(record['商户数据包']).toBe('k=v&x=1');
  });

  it('gives records keyed by header name across eras, with amounts convertible to fen exactly', () => {
    const legacy = parsed(fixture.samples.find((s) => s.id === 'bill-all-legacy-24-columns-doc')!.text);
    expect(legacy.records.map((r) => yuanToFen(r['总金额']!))).toEqual([1, 1]);
    expect(legacy.records[0]!['交易时间']).toBe('2014-11-10 16：33：45');
    const refund = parsed(fixture.samples.find((s) => s.id === 'bill-refund-29-columns')!.text);
    expect(yuanToFen(refund.summary['退款总金额']!)).toBe(202);
    expect(yuanToFen(refund.summary['手续费总金额']!)).toBe(-2);
    const real = parsed(fixture.samples.find((s) => s.id === 'bill-all-real-bom-crlf')!.text);
    expect(real.records.reduce((sum, r) => sum + yuanToFen(r['应结订单金额']!), 0)).toBe(yuanToFen(real.summary['应结订单总金额']!));
  });
});

describe('downloadbill error bodies', () => {
  it.each(fixture.error_responses.map((e) => [e.id, e] as const))('%s is classified as an error and parses', (_, e) => {
    expect(isBillError(e.body)).toBe(true);
    expect(parseBill(e.body).ok).toBe(false);
    const fields = parseXml(e.body);
    expect(fields.return_code).toBe(e.expected.return_code);
    expect(fields.return_msg).toBe(e.expected.return_msg);
    expect(fields.error_code).toBe(e.expected.error_code);
  });

  it('classifies by the body even with a BOM, leading whitespace or a declaration', () => {
    expect(isBillError('\ufeff\r\n<xml><return_code>FAIL</return_code></xml>')).toBe(true);
    expect(isBillError('<?xml version="1.0"?><xml/>')).toBe(true);
    expect(isBillError('交易时间,公众账号ID\n')).toBe(false);
    expect(isBillError('')).toBe(false);
  });
});

describe('parseBill refusals (a reason, never a throw)', () => {
  it.each([
    ['an empty body', ''],
    ['a header only', 'a,b\n'],
    ['no summary line', 'a,b\n`1,`2\ns,t\n'],
    ['a record with too few fields', 'a,b\n`1\ns\n`9\n'],
    ['a record with too many fields', 'a,b\n`1,`2,`3\ns\n`9\n'],
    ['a summary with the wrong width', 'a,b\n`1,`2\ns,t\n`9\n'],
    ['two summary lines', 'a,b\n`1,`2\ns\n`9\n`9\n'],
    ['an empty line between records', 'a,b\n`1,`2\n\n`1,`2\ns\n`9\n'],
    ['a header that starts with a backtick', '`a,`b\n`1,`2\ns\n`9\n'],
    ['duplicate column names', 'a,a\n`1,`2\ns\n`9\n'],
    ['mixed line endings', 'a,b\r\n`1,`2\ns\r\n`9\r\n'],
    ['an XML error body', '<xml><return_code>FAIL</return_code></xml>'],
  ])('refuses %s', (_, text) => {
    const result = parseBill(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
  });

  it('accepts an empty bill: header, summary header and a zero summary', () => {
    const bill = parsed('a,b\ns\n`0\n');
    expect(bill.rows).toEqual([]);
    expect({ ...bill.summary }).toEqual({ s: '0' });
  });

  it('returns null-prototype records, so a "__proto__" column is just a column', () => {
    const bill = parsed('__proto__,b\n`x,`y\ns\n`0\n');
    expect(Object.getPrototypeOf(bill.records[0])).toBeNull();
    // biome-ignore lint/suspicious/noProto: the point is a column named __proto__ on a null-prototype record
    expect(bill.records[0]!['__proto__']).toBe('x');
  });
});

describe('formatBill', () => {
  it('defaults to the real layout: BOM, CRLF, trailing line break', () => {
    expect(formatBill(['a', 'b'], [['1', '']], ['s'], ['0'])).toBe('\ufeffa,b\r\n`1,`\r\ns\r\n`0\r\n');
    expect(formatBill(['a'], [], ['s'], ['0'], { bom: false, lineEnding: 'LF', trailingNewline: false })).toBe('a\ns\n`0');
  });

  it.each([
    ['a value containing ",`"', ['a', 'b'], [['1,`2', '3']]],
    ['a value containing a line break', ['a', 'b'], [['1\n', '3']]],
    ['a row of the wrong width', ['a', 'b'], [['1']]],
    ['a column name with a comma', ['a,b'], [['1']]],
    ['an empty column name', [''], [['1']]],
    ['a header starting with a backtick', ['`a'], [['1']]],
    ['duplicate column names', ['a', 'a'], [['1', '2']]],
  ])('refuses %s', (_, header, rows) => {
    expect(() => formatBill(header, rows, ['s'], ['0'])).toThrow(RangeError);
  });

  const cell = fc.string({ maxLength: 12 }).filter((v) => !v.includes(',`') && !/[\r\n]/.test(v));
  const name = fc.string({ minLength: 1, maxLength: 8 }).filter((v) => !/[,\r\n`]/.test(v));

  it('parseBill inverts formatBill for random tables (property)', () => {
    const table = fc
      .tuple(fc.uniqueArray(name, { minLength: 1, maxLength: 6 }), fc.uniqueArray(name, { minLength: 1, maxLength: 4 }))
      .chain(([header, summaryHeader]) =>
        fc.record({
          header: fc.constant(header),
          rows: fc.array(fc.array(cell, { minLength: header.length, maxLength: header.length }), { maxLength: 5 }),
          summaryHeader: fc.constant(summaryHeader),
          summary: fc.array(cell, { minLength: summaryHeader.length, maxLength: summaryHeader.length }),
          bom: fc.boolean(),
          lineEnding: fc.constantFrom('CRLF' as const, 'LF' as const),
          trailingNewline: fc.boolean(),
        }),
      );
    fc.assert(
      fc.property(table, (t) => {
        const text = formatBill(t.header, t.rows, t.summaryHeader, t.summary, t);
        const bill = parsed(text);
        expect(bill.header).toEqual(t.header);
        expect(bill.rows).toEqual(t.rows);
        expect(bill.summaryHeader).toEqual(t.summaryHeader);
        expect(bill.summaryRow).toEqual(t.summary);
        expect([bill.bom, bill.lineEnding, bill.trailingNewline]).toEqual([t.bom, t.lineEnding, t.trailingNewline]);
        expect(formatBill(bill.header, bill.rows, bill.summaryHeader, bill.summaryRow, bill)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});
