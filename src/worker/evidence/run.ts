// The evidence run (docs/scaling.md §5 lever 1): notify bodies older than EVIDENCE_DAYS leave D1 for
// R2 in bounded steps. A step either clears the next chunk of a recorded part's bodies, or writes the
// next part: each body's text checked against its row's SHA-256, the object written, read back and
// verified (the object's SHA-256 and every body's), recorded, then cleared chunk by chunk, each clear
// conditional on the verified part and the row's hash. A run cut anywhere resumes from D1's state, and
// two runs at once only duplicate an object (the second's clears find nothing left to clear).
import { concatBytes, type EvidenceEntry, evidenceHeaderText, gunzipText, gzipText, parseEvidenceHeader, sha256Hex, storedSha256Hex } from '../../core';
import { clearBodies, finishEvidencePart, hotBodies, keepHot, openEvidencePart, type PlacedBody, recordEvidencePart } from './evidence-repo';

export interface EvidenceDeps {
  readonly db: D1Database;
  readonly bucket: R2Bucket;
  /** Bodies received more than this many days before `now` move. */
  readonly evidenceDays: number;
  readonly now: number;
}

export interface EvidenceLimits {
  /** Bodies per part (one R2 object, ~1 KB each): bounds a step's memory. */
  readonly partBodies: number;
  /** Bodies per clearing statement. */
  readonly clearChunk: number;
  /** Steps per run (a part takes two: write, then clear). */
  readonly maxSteps: number;
}

export const EVIDENCE_LIMITS: EvidenceLimits = { partBodies: 1000, clearChunk: 250, maxSteps: 20 };

export type EvidencePoint = 'written' | 'verified' | 'recorded' | 'cleared-chunk';
export type EvidenceHooks = { readonly after?: (point: EvidencePoint) => Promise<void> | void };

export interface EvidenceReport {
  steps: number;
  parts: number;
  moved: number;
  keptHot: number;
  caughtUp: boolean;
}

const DAY_MS = 86_400_000;

export async function runEvidence(deps: EvidenceDeps, limits: EvidenceLimits = EVIDENCE_LIMITS, hooks: EvidenceHooks = {}): Promise<EvidenceReport> {
  const report: EvidenceReport = { steps: 0, parts: 0, moved: 0, keptHot: 0, caughtUp: false };
  while (report.steps < limits.maxSteps && !report.caughtUp) {
    report.steps++;
    const open = await openEvidencePart(deps.db);
    if (open) await clearPart(deps, limits, hooks, open, report);
    else await writePart(deps, limits, hooks, report);
  }
  return report;
}

async function clearPart(
  deps: EvidenceDeps,
  limits: EvidenceLimits,
  hooks: EvidenceHooks,
  part: { id: number; object_key: string; header_len: number },
  report: EvidenceReport,
): Promise<void> {
  const head = await deps.bucket.get(part.object_key, { range: { offset: 0, length: part.header_len } });
  if (!head) throw new Error(`evidence object ${part.object_key} is missing`);
  const entries = parseEvidenceHeader(await gunzipText(new Uint8Array(await head.arrayBuffer())));
  const placed: PlacedBody[] = entries.map(([id, rel, len, h]) => [id, part.header_len + rel, len, h]);
  for (let i = 0; i < placed.length; i += limits.clearChunk) {
    report.moved += await clearBodies(deps.db, part.id, placed.slice(i, i + limits.clearChunk));
    await hooks.after?.('cleared-chunk');
  }
  await finishEvidencePart(deps.db, part.id);
}

async function writePart(deps: EvidenceDeps, limits: EvidenceLimits, hooks: EvidenceHooks, report: EvidenceReport): Promise<void> {
  const rows = await hotBodies(deps.db, deps.now - deps.evidenceDays * DAY_MS, limits.partBodies);
  // Ids grow with time: the old bodies are the prefix before the first that is not old yet.
  const firstNew = rows.findIndex((r) => r.old !== 1);
  const old = firstNew === -1 ? rows : rows.slice(0, firstNew);
  if (old.length === 0) {
    report.caughtUp = true;
    return;
  }
  // Verified on write: only a body whose text hashes to its row's SHA-256 is content-addressed by it.
  const members: Uint8Array[] = [];
  const entries: EvidenceEntry[] = [];
  const mismatched: number[] = [];
  let rel = 0;
  for (const r of old) {
    const hex = await sha256Hex(r.raw_body);
    if (storedSha256Hex(r.body_sha256) !== hex) {
      mismatched.push(r.id);
      continue;
    }
    const member = await gzipText(r.raw_body);
    entries.push([r.id, rel, member.length, hex]);
    members.push(member);
    rel += member.length;
  }
  await keepHot(deps.db, mismatched);
  report.keptHot += mismatched.length;
  if (entries.length === 0) return;
  const header = await gzipText(evidenceHeaderText(entries));
  const body = concatBytes([header, ...members]);
  const sha256 = await sha256Hex(body);
  const day = new Date(deps.now + 8 * 3_600_000).toISOString().slice(0, 10);
  const objectKey = `evidence/v1/${day}/p-${crypto.randomUUID()}.gz`;
  await deps.bucket.put(objectKey, body, { sha256, customMetadata: { bodies: String(entries.length) } });
  await hooks.after?.('written');
  await verifyPart(deps.bucket, objectKey, sha256, header.length, entries);
  await hooks.after?.('verified');
  await recordEvidencePart(deps.db, { objectKey, headerLen: header.length, bodyCount: entries.length, bytes: body.length, sha256 }, deps.now);
  report.parts++;
  await hooks.after?.('recorded');
}

/** Reads the object back: its SHA-256, its header, and every body's text against its hash. */
async function verifyPart(bucket: R2Bucket, key: string, sha256: string, headerLen: number, entries: readonly EvidenceEntry[]): Promise<void> {
  const object = await bucket.get(key);
  if (!object) throw new Error(`evidence object ${key} is missing after its write`);
  const bytes = new Uint8Array(await object.arrayBuffer());
  if ((await sha256Hex(bytes)) !== sha256) throw new Error(`evidence object ${key} does not hash to what was written`);
  const listed = parseEvidenceHeader(await gunzipText(bytes.subarray(0, headerLen)));
  if (JSON.stringify(listed) !== JSON.stringify(entries)) throw new Error(`evidence object ${key}: the header does not read back`);
  for (const [id, rel, len, hex] of entries) {
    const text = await gunzipText(bytes.subarray(headerLen + rel, headerLen + rel + len));
    if ((await sha256Hex(text)) !== hex) throw new Error(`evidence object ${key}: the body of notification ${id} does not read back`);
  }
}
