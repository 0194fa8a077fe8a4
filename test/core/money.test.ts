import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../../src/core/errors';
import { formatYuan, isFen, parseFen, yuanToFen } from '../../src/core/money';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(CoreError);
    return (e as CoreError).code;
  }
  throw new Error('expected a CoreError');
}

describe('parseFen', () => {
  it.each([
    ['1', 1],
    ['1999', 1999],
    ['10', 10],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('reads %s as %i fen', (s, fen) => {
    expect(parseFen(s)).toBe(fen);
  });

  it.each([
    ['the empty string', ''],
    ['zero', '0'],
    ['a leading zero', '01'],
    ['a sign', '+1'],
    ['a negative', '-1'],
    ['a space', ' 1'],
    ['a trailing space', '1 '],
    ['a decimal point', '19.99'],
    ['a trailing point', '1.'],
    ['an exponent', '1e3'],
    ['hex', '0x10'],
    ['a digit group', '1,999'],
    ['full-width digits', '１９９９'],
    ['Arabic-Indic digits', '١٢'],
    ['MAX_SAFE_INTEGER + 1', '9007199254740992'],
    ['20 digits', '99999999999999999999'],
    ['Infinity', 'Infinity'],
    ['NaN', 'NaN'],
  ])('refuses %s with AMOUNT_INVALID', (_, s) => {
    expect(codeOf(() => parseFen(s))).toBe('AMOUNT_INVALID');
  });

  it('refuses non-string input with AMOUNT_INVALID', () => {
    expect(codeOf(() => parseFen(1999 as unknown as string))).toBe('AMOUNT_INVALID');
  });

  it('accepts 0 only when asked to (e.g. coupon_refund_fee=0), still without leading zeros', () => {
    expect(parseFen('0', { allowZero: true })).toBe(0);
    expect(codeOf(() => parseFen('00', { allowZero: true }))).toBe('AMOUNT_INVALID');
  });

  it('agrees with String() for every safe positive integer (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(parseFen(String(n))).toBe(n);
      }),
    );
  });
});

describe('isFen', () => {
  it('accepts positive safe integers and refuses everything else', () => {
    expect(isFen(1)).toBe(true);
    expect(isFen(Number.MAX_SAFE_INTEGER)).toBe(true);
    for (const v of [0, -1, 1.5, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER + 1, '1', null, undefined]) {
      expect(isFen(v), String(v)).toBe(false);
    }
    expect(isFen(0, { allowZero: true })).toBe(true);
    expect(isFen(-1, { allowZero: true })).toBe(false);
  });
});

describe('formatYuan', () => {
  it.each([
    [1999, '19.99'],
    [1, '0.01'],
    [10, '0.10'],
    [100, '1.00'],
    [0, '0.00'],
    [-2, '-0.02'],
    [-150, '-1.50'],
    [Number.MAX_SAFE_INTEGER, '90071992547409.91'],
  ])('formats %i fen as %s', (fen, yuan) => {
    expect(formatYuan(fen)).toBe(yuan);
  });

  it('refuses non-integers with AMOUNT_INVALID', () => {
    for (const v of [1.5, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER + 1]) {
      expect(codeOf(() => formatYuan(v))).toBe('AMOUNT_INVALID');
    }
  });
});

describe('yuanToFen', () => {
  it.each([
    ['0.01', 1],
    ['19.99', 1999],
    ['29.90', 2990],
    ['0.1', 10],
    ['45', 4500],
    ['45.0', 4500],
    ['-1.00', -100],
    ['-0.02', -2],
    ['-0.00', 0],
    ['0.04000', 4],
    ['-0.02000', -2],
    ['0.00000', 0],
    ['90071992547409.91', Number.MAX_SAFE_INTEGER],
  ])('converts %s yuan to %i fen exactly', (yuan, fen) => {
    expect(yuanToFen(yuan)).toBe(fen);
  });

  it('never returns negative zero', () => {
    expect(Object.is(yuanToFen('-0.00'), 0)).toBe(true);
  });

  it.each([
    ['a sub-fen amount', '0.001'],
    ['a sub-fen fee', '0.00600'],
    ['the empty string', ''],
    ['a lone sign', '-'],
    ['a plus sign', '+1.00'],
    ['a leading zero', '01.00'],
    ['a bare point', '.5'],
    ['a trailing point', '1.'],
    ['two points', '1.0.0'],
    ['an exponent', '1e2'],
    ['a space', ' 1.00'],
    ['a currency sign', '¥1.00'],
    ['a percentage', '0.60%'],
    ['a digit group', '1,000.00'],
    ['too large', '90071992547409.92'],
    ['a double sign', '--1'],
  ])('refuses %s with AMOUNT_INVALID', (_, s) => {
    expect(codeOf(() => yuanToFen(s))).toBe('AMOUNT_INVALID');
  });

  it('is the inverse of formatYuan for every safe integer (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (fen) => {
        expect(yuanToFen(formatYuan(fen))).toBe(fen);
      }),
    );
  });
});
