import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatWechatTime, parseWechatTime, toIsoUtc } from '../../src/core/time';

describe('formatWechatTime', () => {
  it('writes the Beijing wall clock (UTC+8) as yyyyMMddHHmmss', () => {
    expect(formatWechatTime(new Date('2014-09-03T05:15:40Z'))).toBe('20140903131540');
    expect(formatWechatTime(new Date('2024-01-01T00:00:00Z'))).toBe('20240101080000');
  });

  it('rolls the date over at 16:00 UTC, including across a year end and a leap day', () => {
    expect(formatWechatTime(new Date('2023-12-31T15:59:59Z'))).toBe('20231231235959');
    expect(formatWechatTime(new Date('2023-12-31T16:00:00Z'))).toBe('20240101000000');
    expect(formatWechatTime(new Date('2024-02-28T16:00:00Z'))).toBe('20240229000000');
  });

  it('drops milliseconds', () => {
    expect(formatWechatTime(new Date('2024-01-01T00:00:00.999Z'))).toBe('20240101080000');
  });

  it('refuses an invalid Date or a year that does not fit four digits', () => {
    expect(() => formatWechatTime(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => formatWechatTime(new Date('+010000-01-01T00:00:00Z'))).toThrow(RangeError);
  });
});

describe('parseWechatTime', () => {
  it('reads a Beijing time_end as the instant it names', () => {
    expect(parseWechatTime('20140903131540')?.toISOString()).toBe('2014-09-03T05:15:40.000Z');
    expect(parseWechatTime('20240101000000')?.toISOString()).toBe('2023-12-31T16:00:00.000Z');
    expect(parseWechatTime('20240229235959')?.toISOString()).toBe('2024-02-29T15:59:59.000Z');
    expect(parseWechatTime('20000229120000')?.toISOString()).toBe('2000-02-29T04:00:00.000Z');
  });

  it.each([
    ['the empty string', ''],
    ['13 digits', '2014090313154'],
    ['15 digits', '201409031315400'],
    ['a separator', '2014-09-03 13:15:40'],
    ['a space', '2014090313154 '],
    ['a sign', '+2014090313154'],
    ['full-width digits', '２０１４０９０３１３１５４０'],
    ['month 00', '20140003131540'],
    ['month 13', '20141303131540'],
    ['day 00', '20140900131540'],
    ['31 September', '20140931131540'],
    ['29 February in a common year', '20230229120000'],
    ['29 February 1900 (not a leap year)', '19000229120000'],
    ['hour 24', '20140903240000'],
    ['minute 60', '20140903136000'],
    ['a leap second', '20161231235960'],
    ['a year before 1970', '19691231235959'],
    ['year 0000', '00000101000000'],
  ])('gives null for %s', (_, s) => {
    expect(parseWechatTime(s)).toBeNull();
  });

  it('gives null for non-string input', () => {
    expect(parseWechatTime(20140903131540 as unknown as string)).toBeNull();
  });

  it('is the inverse of formatWechatTime to the second (property)', () => {
    const instants = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 31, 15, 59, 59) });
    fc.assert(
      fc.property(instants, (ms) => {
        const whole = ms - (ms % 1000);
        const text = formatWechatTime(new Date(ms));
        expect(parseWechatTime(text)?.getTime()).toBe(whole);
        expect(formatWechatTime(parseWechatTime(text)!)).toBe(text);
      }),
    );
  });
});

describe('toIsoUtc', () => {
  it('writes UTC ISO-8601 with milliseconds and Z, which sorts as text', () => {
    expect(toIsoUtc(new Date(Date.UTC(2024, 0, 1, 4, 5, 6, 7)))).toBe('2024-01-01T04:05:06.007Z');
    expect(toIsoUtc(parseWechatTime('20140903131540')!)).toBe('2014-09-03T05:15:40.000Z');
  });

  it('refuses an invalid Date', () => {
    expect(() => toIsoUtc(new Date('not a date'))).toThrow(RangeError);
  });
});
