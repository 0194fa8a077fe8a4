// SHA-256 as lowercase hex via WebCrypto: notify bodies, the canonical messages anomalies are unique
// on, session and device ids kept only as hashes, and secrets compared without revealing length.
import { bytesToHex } from './hex';

export async function sha256Hex(input: string | Uint8Array): Promise<string> {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}

/**
 * A stored SHA-256 as lowercase hex, whichever form the column holds: 64 hex characters (before
 * migration 0011) or 32 bytes (a BLOB, as D1 returns it: ArrayBuffer, a byte view or an array of
 * numbers). Null when it is neither. One comparison for both schemas: `storedSha256Hex(v) === hex`.
 */
export function storedSha256Hex(v: unknown): string | null {
  if (typeof v === 'string') return /^[0-9a-fA-F]{64}$/.test(v) ? v.toLowerCase() : null;
  let bytes: Uint8Array | null = null;
  if (v instanceof ArrayBuffer) bytes = new Uint8Array(v);
  else if (ArrayBuffer.isView(v)) bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  else if (Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) bytes = Uint8Array.from(v as number[]);
  return bytes && bytes.length === 32 ? bytesToHex(bytes) : null;
}
