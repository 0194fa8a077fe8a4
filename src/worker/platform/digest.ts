// SHA-256 as lowercase hex: of raw notify bodies, and of the canonical messages anomalies are unique on.
import { bytesToHex } from '../../core';

export async function sha256Hex(input: string | Uint8Array): Promise<string> {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}
