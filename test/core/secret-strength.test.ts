import { describe, expect, it } from 'vitest';
import { base64urlEncode, bytesToHex, weakSecretReason } from '../../src/core';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

describe('weakSecretReason', () => {
  it('accepts what docs/deploy.md tells operators to generate (32 bytes as base64url), 24 bytes, and 16 bytes as hex', () => {
    // Measured on 200,000 draws of each: none refused. A refusal here is a rule that is too strict.
    for (let i = 0; i < 2000; i++) {
      expect(weakSecretReason(base64urlEncode(random(32)))).toBeNull();
      expect(weakSecretReason(base64urlEncode(random(24)))).toBeNull();
      expect(weakSecretReason(bytesToHex(random(16)))).toBeNull();
    }
  });

  it('refuses short values, a single letter, a repeated word, an alphabet run and a padded phrase', () => {
    const weak = [
      bytesToHex(random(15)), // 120 bits of hex
      base64urlEncode(random(15)), // 20 characters
      'a'.repeat(32),
      'a'.repeat(64),
      'passwordpasswordpasswordpassword',
      'password1password2password3pass',
      'abcdefghijklmnopqrstuvwxyz012345',
      'ZYXWVUTSRQPONMLKJIHGFEDCBA987654',
      'FAKE-admin-token-xxxxxxxxxxxxxxxxxx',
      '0123456789012345678901234567890123456789',
    ];
    for (const v of weak) expect(weakSecretReason(v), v).not.toBeNull();
  });

  it('never quotes the value in its reason', () => {
    const v = 'passwordpasswordpasswordpassword';
    expect(weakSecretReason(v)).not.toContain('password');
  });
});
