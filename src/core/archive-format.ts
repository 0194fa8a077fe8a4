// The archive's object format (docs/scaling.md §6): gzip'd NDJSON, one gzip member per order, so the
// concatenation is one valid .gz and one order is one ranged read. A member's lines are
// `{"t":<table>,"r":<row>}`, the row exactly as D1 returned it (column name → value); a BLOB is
// `{"$b64":"<base64>"}`, the one object a column value can be. The object's first member is its header.
import { base64Decode, base64Encode } from './base64';

/** A column's value as D1 stores it. */
export type ArchiveValue = string | number | null | Uint8Array;
export type ArchiveRow = Record<string, ArchiveValue>;
/** An order's rows, table by table (tables with no row are absent). */
export type ArchiveRows = Record<string, ArchiveRow[]>;

export const ARCHIVE_FORMAT = 'wxpay-edge/archive';
export const ARCHIVE_FORMAT_VERSION = 1;

export interface ArchiveHeader {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  /** The last D1 migration applied when the rows were read: which columns they have. */
  schema: string;
  /** yyyy-mm-dd, the Beijing creation day of every order in the object. */
  day: string;
  tables: readonly string[];
}

const BLOB_MARK = '$b64';

function encodeValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof ArrayBuffer) return { [BLOB_MARK]: base64Encode(new Uint8Array(v)) };
  if (ArrayBuffer.isView(v)) return { [BLOB_MARK]: base64Encode(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  if (Array.isArray(v)) return { [BLOB_MARK]: base64Encode(Uint8Array.from(v as number[])) };
  throw new TypeError(`an archived column holds a ${typeof v}`);
}

function decodeValue(v: unknown): ArchiveValue {
  if (v === null || typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'object' && v !== null && BLOB_MARK in v) {
    const bytes = base64Decode(String((v as Record<string, unknown>)[BLOB_MARK]));
    if (bytes) return bytes;
  }
  throw new TypeError('an archived value is neither text, a number, null nor a marked BLOB');
}

/** The NDJSON text of one order's member: its rows, table by table in `tables` order. */
export function memberText(rows: ArchiveRows, tables: readonly string[]): string {
  let text = '';
  for (const t of tables) {
    for (const r of rows[t] ?? []) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r)) out[k] = encodeValue(v);
      text += `${JSON.stringify({ t, r: out })}\n`;
    }
  }
  return text;
}

/** An order's rows back from its member's text (BLOBs as bytes). Throws on anything malformed. */
export function parseMember(text: string): ArchiveRows {
  const rows: ArchiveRows = Object.create(null) as ArchiveRows;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const { t, r } = JSON.parse(line) as { t: unknown; r: unknown };
    if (typeof t !== 'string' || typeof r !== 'object' || r === null) throw new TypeError('an archive line is not {t, r}');
    const row: ArchiveRow = {};
    for (const [k, v] of Object.entries(r)) row[k] = decodeValue(v);
    const list = rows[t] ?? [];
    list.push(row);
    rows[t] = list;
  }
  return rows;
}

export function headerText(h: Omit<ArchiveHeader, 'format' | 'version'>): string {
  return `${JSON.stringify({ format: ARCHIVE_FORMAT, version: ARCHIVE_FORMAT_VERSION, ...h })}\n`;
}

export function parseHeader(text: string): ArchiveHeader {
  const h = JSON.parse(text) as ArchiveHeader;
  if (h.format !== ARCHIVE_FORMAT || h.version !== ARCHIVE_FORMAT_VERSION) throw new TypeError('not an archive header this code reads');
  return h;
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

/** One gzip member of `text`. */
export function gzipText(text: string): Promise<Uint8Array> {
  return pipe(new TextEncoder().encode(text), new CompressionStream('gzip'));
}

/** The text of one gzip member (strict UTF-8). */
export async function gunzipText(member: Uint8Array): Promise<string> {
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(await pipe(member, new DecompressionStream('gzip')));
}

// Evidence parts (moved notify bodies) use the same gzip members: a header member listing the bodies,
// then one member per body whose text is the body verbatim, so that its SHA-256 is the row's body_sha256.
export const EVIDENCE_FORMAT = 'wxpay-edge/evidence';

/** [notification id, offset after the header, member length, SHA-256 hex of the body]. */
export type EvidenceEntry = [number, number, number, string];

export function evidenceHeaderText(bodies: readonly EvidenceEntry[]): string {
  return `${JSON.stringify({ format: EVIDENCE_FORMAT, version: ARCHIVE_FORMAT_VERSION, bodies })}\n`;
}

export function parseEvidenceHeader(text: string): EvidenceEntry[] {
  const h = JSON.parse(text) as { format?: unknown; version?: unknown; bodies?: unknown };
  if (h.format !== EVIDENCE_FORMAT || h.version !== ARCHIVE_FORMAT_VERSION || !Array.isArray(h.bodies))
    throw new TypeError('not an evidence header this code reads');
  return h.bodies as EvidenceEntry[];
}
