/**
 * Compares a presented secret with the configured one without revealing either's length: both are
 * hashed to 32 bytes first, so the comparison always scans the same number of bytes
 * (`constantTimeEqual` alone returns early when the lengths differ).
 */
import { bytesToHex, constantTimeEqual } from './hex';

const encoder = new TextEncoder();

async function sha256(text: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))));
}

export async function secretEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(presented), sha256(expected)]);
  return constantTimeEqual(a, b);
}
