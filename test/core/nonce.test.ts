import { afterEach, describe, expect, it, vi } from 'vitest';
import { nonceStr } from '../../src/core';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

describe('nonceStr', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('is 32 alphanumerics by default and any length from 1 to 32 on request', () => {
    expect(nonceStr()).toMatch(/^[A-Za-z0-9]{32}$/);
    for (let n = 1; n <= 32; n++) expect(nonceStr(n)).toMatch(new RegExp(`^[A-Za-z0-9]{${n}}$`));
  });

  it('refuses lengths outside 1..32', () => {
    for (const n of [0, 33, -1, 1.5, Number.NaN, Infinity]) expect(() => nonceStr(n), String(n)).toThrow(RangeError);
  });

  it('draws from crypto.getRandomValues and discards bytes >= 248 (rejection sampling)', () => {
    const spy = vi.spyOn(crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      const bytes = array as unknown as Uint8Array;
      bytes.fill(255);
      bytes.set([255, 248, 0, 250, 61, 62, 123, 247]);
      return array;
    });
    // 255, 248, 250 are dropped; 0 → 'A', 61 → '9', 62 → 'A', 123 → '9' (123 % 62 = 61), 247 → '9' (247 % 62 = 61).
    expect(nonceStr(5)).toBe('A9A99');
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('asks for more random bytes when a batch is used up', () => {
    let call = 0;
    vi.spyOn(crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      (array as unknown as Uint8Array).fill(call++ === 0 ? 255 : 1); // first batch entirely rejected
      return array;
    });
    expect(nonceStr(4)).toBe('BBBB');
    expect(call).toBe(2);
  });

  it('is unique and uniform: 248,000 characters, every one within ±10% of its expected 4,000', () => {
    const counts = new Map<string, number>();
    const seen = new Set<string>();
    for (let i = 0; i < 7750; i++) {
      const n = nonceStr(32);
      seen.add(n);
      for (const ch of n) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect(seen.size).toBe(7750);
    expect([...counts.keys()].sort().join('')).toBe([...ALPHABET].sort().join(''));
    // A modulo bias (no rejection) would give 'A'..'H' 25% more than the rest (5/256 vs 4/256).
    // The bound is 6.4 standard deviations: an unbiased generator essentially never crosses it.
    for (const [ch, count] of counts) expect(Math.abs(count - 4000), ch).toBeLessThan(400);
  });
});
