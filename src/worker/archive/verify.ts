// Reading a written part back before anything depends on it: the whole object's SHA-256, and every
// order's member decoded at the offset its lookup row will name.
import { gunzipText, parseMember, sha256Hex } from '../../core';

export interface ExpectedMember {
  no: string;
  pos: number;
  len: number;
  rows: number;
}

export async function verifyObject(bucket: R2Bucket, key: string, sha256: string, members: readonly ExpectedMember[]): Promise<void> {
  const object = await bucket.get(key);
  if (!object) throw new Error(`archive object ${key} is missing after its write`);
  const bytes = new Uint8Array(await object.arrayBuffer());
  if ((await sha256Hex(bytes)) !== sha256) throw new Error(`archive object ${key} does not hash to what was written`);
  for (const m of members) {
    const rows = parseMember(await gunzipText(bytes.subarray(m.pos, m.pos + m.len)));
    const count = Object.values(rows).reduce((n, rs) => n + rs.length, 0);
    if (rows.orders?.[0]?.out_trade_no !== m.no || count !== m.rows) throw new Error(`archive object ${key}: the member of ${m.no} does not read back`);
  }
}
