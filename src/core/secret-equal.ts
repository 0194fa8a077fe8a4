/**
 * Compares a presented secret with the configured one without revealing either's length: both are
 * hashed to 32 bytes first, so the comparison always scans the same number of bytes
 * (`constantTimeEqual` alone returns early when the lengths differ).
 */
import { constantTimeEqual } from './hex';
import { sha256Hex } from './sha256';

export async function secretEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256Hex(presented), sha256Hex(expected)]);
  return constantTimeEqual(a, b);
}
