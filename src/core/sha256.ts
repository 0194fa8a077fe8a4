// SHA-256 as lowercase hex via WebCrypto: notify bodies, the canonical messages anomalies are unique
// on, session and device ids kept only as hashes, and secrets compared without revealing length.
import { bytesToHex } from './hex';

export async function sha256Hex(input: string | Uint8Array): Promise<string> {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}
