import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, md5Hex } from '../../src/core';
import vectors from '../vectors/vectors.json';

// The independent oracle: node:crypto under Node, WebCrypto's MD5 inside workerd (which has it).
const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
const inWorkerd = nav?.userAgent === 'Cloudflare-Workers';

async function oracle(input: string | Uint8Array): Promise<string> {
  if (inWorkerd) {
    const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
    return bytesToHex(new Uint8Array(await crypto.subtle.digest('MD5', bytes)));
  }
  const { createHash } = await import('node:crypto');
  return typeof input === 'string' ? createHash('md5').update(input, 'utf8').digest('hex') : createHash('md5').update(input).digest('hex');
}

function patternBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 131 + (i >>> 8)) & 0xff;
  return out;
}

describe('md5Hex', () => {
  it.each(vectors.md5_rfc1321.vectors)('RFC 1321 A.5: md5("$input")', ({ input, md5 }) => {
    expect(md5Hex(input)).toBe(md5);
    expect(md5Hex(new TextEncoder().encode(input))).toBe(md5);
  });

  it.each([0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128])('matches the oracle at %i bytes (block boundaries)', async (n) => {
    const bytes = patternBytes(n);
    const expected = await oracle(bytes);
    expect(md5Hex(bytes)).toBe(expected);
    const text = 'x'.repeat(n);
    expect(md5Hex(text)).toBe(await oracle(text));
  });

  it('matches the oracle on 1 MiB, aligned, unaligned and as a string', async () => {
    const big = patternBytes((1 << 20) + 8);
    const mib = big.subarray(0, 1 << 20);
    expect(md5Hex(mib)).toBe(await oracle(mib));
    const unaligned = big.subarray(1, (1 << 20) + 1); // not 4-byte aligned: the copying path
    expect(md5Hex(unaligned)).toBe(await oracle(unaligned));
    const offset4 = big.subarray(4, (1 << 20) + 4); // aligned view at a non-zero offset
    expect(md5Hex(offset4)).toBe(await oracle(offset4));
    const text = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(29128) + 'abcd'; // 1,048,612 chars
    expect(md5Hex(text)).toBe(await oracle(text));
  });

  it('hashes strings as UTF-8: Chinese, emoji, and lone surrogates as U+FFFD', async () => {
    expect(md5Hex('支付测试')).toBe(md5Hex(new TextEncoder().encode('支付测试')));
    for (const s of ['支付测试', '🎉💰', 'a\ud800b', '\udc00', 'x\ud83d', '中'.repeat(30000), '🎉'.repeat(20000)]) {
      expect(md5Hex(s)).toBe(await oracle(s));
    }
    expect(md5Hex('\ud800')).toBe(md5Hex('\ufffd'));
  });

  it('never splits a surrogate pair or a multi-byte character across its internal 16 KiB windows', async () => {
    for (const pad of [16381, 16382, 16383, 16384, 16385, 32767]) {
      for (const tail of ['🎉', '中', 'é', '🎉🎉x']) {
        const s = 'a'.repeat(pad) + tail + 'b'.repeat(100);
        expect(md5Hex(s)).toBe(await oracle(s));
      }
    }
    const mixed = ('中a🎉' as string).repeat(12000); // 3-, 1- and 4-byte sequences at every offset
    expect(md5Hex(mixed)).toBe(await oracle(mixed));
  });

  it('is stable across calls (the reused scratch buffer carries nothing over)', () => {
    const first = md5Hex('abc');
    md5Hex(patternBytes(100_000));
    md5Hex('中'.repeat(10_000));
    expect(md5Hex('abc')).toBe(first);
    expect(first).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  it('property: equals the oracle on random strings (full Unicode and raw UTF-16, lone surrogates included)', async () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: codeUnit, maxLength: 400 }));
    await fc.assert(
      fc.asyncProperty(text, async (s) => {
        expect(md5Hex(s)).toBe(await oracle(s));
      }),
      { numRuns: 300 },
    );
  });

  it('property: equals the oracle on random bytes at random offsets', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 1500 }), fc.nat(7), async (bytes, skip) => {
        const view = bytes.subarray(Math.min(skip, bytes.length));
        expect(md5Hex(view)).toBe(await oracle(view));
      }),
      { numRuns: 300 },
    );
  });
});
