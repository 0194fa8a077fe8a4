// SHA-256 values (an order's or a refund's request_hash, a notify's body_sha256, an anomaly's key) are
// stored as 32-byte BLOBs since migration 0011, half the 64 hex characters they took: the code keeps
// them as hex, the SQL stores `unhex(?n)`, and a read turns the bytes back into hex here.

import type { StoredHash } from '../model';

export type { StoredHash } from '../model';

/** The lowercase hex of a stored hash; a text value as it is. */
export function storedHex(v: StoredHash): string {
  if (typeof v === 'string') return v;
  const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : Uint8Array.from(v);
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
