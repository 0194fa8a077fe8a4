import { describe, expect, it } from 'vitest';
import { formatV3Time, parseV3Time } from '../../src/core/v3-time';

describe('API v3 times (RFC 3339)', () => {
  it('writes the Beijing wall clock with +08:00, as WeChat does', () => {
    expect(formatV3Time(new Date('2015-05-20T05:29:35.999Z'))).toBe('2015-05-20T13:29:35+08:00');
    expect(formatV3Time(new Date('2023-12-31T16:00:00Z'))).toBe('2024-01-01T00:00:00+08:00');
  });

  it('reads any offset, Z and fractional seconds as the instant they name', () => {
    expect(parseV3Time('2015-05-20T13:29:35+08:00')?.toISOString()).toBe('2015-05-20T05:29:35.000Z');
    expect(parseV3Time('2015-05-20T05:29:35Z')?.toISOString()).toBe('2015-05-20T05:29:35.000Z');
    expect(parseV3Time('2015-05-20T00:29:35.123-05:00')?.toISOString()).toBe('2015-05-20T05:29:35.000Z');
    const t = new Date('2026-02-03T04:05:06Z');
    expect(parseV3Time(formatV3Time(t))?.getTime()).toBe(t.getTime());
  });

  it.each([
    '20150520132935',
    '2015-05-20 13:29:35+08:00',
    '2015-05-20T13:29:35',
    '2015-02-30T13:29:35+08:00',
    '2015-05-20T24:00:00+08:00',
    '2015-05-20T13:29:35+24:00',
    '1969-12-31T23:59:59Z',
    '',
  ])('refuses %j', (s) => {
    expect(parseV3Time(s)).toBeNull();
  });
});
