/**
 * Hex encoding and the one signature comparator of the project (docs/reliability.md T79: signatures are
 * only ever compared through `constantTimeEqual`).
 */

/** Lowercase two-character hex for every byte value; shared with md5.ts for its digest output. */
export const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += BYTE_HEX[bytes[i]!];
  return out;
}

/** Value of one hex digit (either case), or -1. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30; // 0-9
  const lower = c | 0x20; // folds A-F onto a-f
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x57;
  return -1;
}

/** True when `s` is non-empty and every character is a hex digit (either case). */
export function isHex(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (hexDigit(s.charCodeAt(i)) < 0) return false;
  return true;
}

/** Strict: an even number of hex digits, either case. Throws RangeError otherwise (input not echoed). */
export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0) {
    throw new RangeError('hexToBytes: input is not an even-length hex string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(hex.charCodeAt(2 * i));
    const lo = hexDigit(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new RangeError('hexToBytes: input contains a non-hex character');
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/**
 * Compares two strings without an early exit on the first difference, so the time taken does not
 * reveal how long a prefix of a guessed signature was right. The length check comes first (the
 * lengths of signatures are public: 32 or 64); equal-length inputs are always scanned to the end.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
