import { describe, expect, it } from 'vitest';
import { bytesToHex, hkdfSha256, purposeKeyBytes } from '../../src/core';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => Number.parseInt(b, 16)));

describe('HKDF-SHA256', () => {
  it('matches RFC 5869 test cases 1 and 3', async () => {
    // A.1: basic test case with SHA-256.
    const okm1 = await hkdfSha256(hex('0b'.repeat(22)), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(bytesToHex(okm1)).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
    // A.3: zero-length salt and info.
    const okm3 = await hkdfSha256(hex('0b'.repeat(22)), new Uint8Array(), new Uint8Array(), 42);
    expect(bytesToHex(okm3)).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });

  it('gives each purpose its own 32-byte key, stable for the same secret and label', async () => {
    const a = await purposeKeyBytes('secret-one', 'wxpay-edge checkout-link');
    expect(a).toHaveLength(32);
    expect(bytesToHex(await purposeKeyBytes('secret-one', 'wxpay-edge checkout-link'))).toBe(bytesToHex(a));
    expect(bytesToHex(await purposeKeyBytes('secret-one', 'wxpay-edge oauth-openid'))).not.toBe(bytesToHex(a));
    expect(bytesToHex(await purposeKeyBytes('secret-two', 'wxpay-edge checkout-link'))).not.toBe(bytesToHex(a));
  });
});
