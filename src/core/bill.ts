/**
 * The downloadbill text format (docs/wechatpay-v2.md §15), both ways: parseBill for reconciliation and
 * formatBill for the simulator, so one file knows it. Lines: a plain comma-separated header, then
 * records whose every field is prefixed with a backtick (joined by ",`"), then a plain summary
 * header and one backtick summary line. Fields are split on ",`" only: names and `attach` may hold
 * commas, quotes, `&` and `=`. Amounts stay strings in yuan (see yuanToFen).
 */
import { BACKTICK, BillLineSplitter, BillReader, FIELD_SEPARATOR, type BillLine } from './bill-lines';

export type { BillLine } from './bill-lines';

type LineEnding = 'CRLF' | 'LF';

interface BillLayout {
  /** Leading UTF-8 BOM (U+FEFF). */
  bom: boolean;
  lineEnding: LineEnding;
  /** Whether the last line ends with a line break (legacy bills do not). */
  trailingNewline: boolean;
}

export interface Bill extends BillLayout {
  header: string[];
  /** Records in order, backticks removed, one value per header column. */
  rows: string[][];
  /** The same records keyed by header name (null-prototype). Column sets differ by type and era. */
  records: Record<string, string>[];
  summaryHeader: string[];
  summaryRow: string[];
  summary: Record<string, string>;
}

type BillParseResult = { ok: true; bill: Bill } | { ok: false; reason: string };

/**
 * downloadbill answers errors with XML (`<xml><return_code>FAIL…`), sometimes as text/plain, so the
 * body decides, never the Content-Type.
 */
export function isBillError(body: string): boolean {
  let i = body.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < body.length && ' \t\r\n'.includes(body[i]!)) i++;
  return body.startsWith('<xml', i) || body.startsWith('<?xml', i);
}

/** Parses a bill body; a malformed body is a reason string, never a throw. Same row rules as readBillLines. */
export function parseBill(text: string): BillParseResult {
  const bom = text.charCodeAt(0) === 0xfeff;
  const body = bom ? text.slice(1) : text;
  const firstBreak = body.indexOf('\n');
  const lineEnding: LineEnding = firstBreak > 0 && body.charCodeAt(firstBreak - 1) === 0x0d ? 'CRLF' : 'LF';
  const lines = body.split(lineEnding === 'CRLF' ? '\r\n' : '\n');
  const trailingNewline = lines.length > 1 && lines[lines.length - 1] === '';
  if (trailingNewline) lines.pop();
  if (lines.some((line) => line.includes('\n') || line.includes('\r'))) return { ok: false, reason: 'mixed line endings' };

  const reader = new BillReader();
  let header: string[] = [];
  let summaryHeader: string[] = [];
  let summaryRow: string[] = [];
  let summary: Record<string, string> = Object.create(null);
  const rows: string[][] = [];
  const records: Record<string, string>[] = [];
  for (const line of lines) {
    const got = reader.line(line);
    if (got.kind === 'error') return { ok: false, reason: got.reason };
    if (got.kind === 'header') header = got.names;
    else if (got.kind === 'record') {
      rows.push(got.values);
      records.push(got.record);
    } else if (got.kind === 'summaryHeader') summaryHeader = got.names;
    else [summaryRow, summary] = [got.values, got.summary];
  }
  const incomplete = reader.end();
  if (incomplete) return { ok: false, reason: incomplete };
  return { ok: true, bill: { bom, lineEnding, trailingNewline, header, rows, records, summaryHeader, summaryRow, summary } };
}

/**
 * The streaming form of parseBill for large bills: text chunks in (e.g. from a TextDecoderStream over
 * a DecompressionStream), one BillLine out per line, holding only the current partial line. An
 * `error` line ends the stream; a bill that stops early ends with an `error` too.
 */
export async function* readBillLines(chunks: AsyncIterable<string>): AsyncGenerator<BillLine> {
  const splitter = new BillLineSplitter();
  const reader = new BillReader();
  const feed = function* (lines: string[] | string): Generator<BillLine, boolean> {
    if (typeof lines === 'string') {
      yield { kind: 'error', reason: lines };
      return false;
    }
    for (const line of lines) {
      const got = reader.line(line);
      yield got;
      if (got.kind === 'error') return false;
    }
    return true;
  };
  for await (const chunk of chunks) if (!(yield* feed(splitter.push(chunk)))) return;
  if (!(yield* feed(splitter.end()))) return;
  const incomplete = reader.end();
  if (incomplete) yield { kind: 'error', reason: incomplete };
}

function checkRecord(values: string[], columns: number): void {
  if (values.length !== columns) throw new RangeError('row length differs from its header');
  for (const v of values) {
    if (v.includes(FIELD_SEPARATOR) || v.includes('\n') || v.includes('\r')) {
      throw new RangeError('bill value cannot contain ",`" or a line break');
    }
  }
}

function checkHeader(names: string[]): void {
  if (names.length === 0 || names.some((n) => n === '' || n.includes(',') || n.includes('\n') || n.includes('\r'))) {
    throw new RangeError('bill column names must be non-empty and free of commas and line breaks');
  }
  if (names[0]!.charCodeAt(0) === BACKTICK || new Set(names).size !== names.length) {
    throw new RangeError('bill column names must be unique and must not start with a backtick');
  }
}

/**
 * The exact inverse of parseBill (the simulator's downloadbill body). Defaults follow the real
 * sourced sample: BOM, CRLF, trailing line break. Values that the format cannot carry are a
 * programming error (RangeError), never silently altered.
 */
export function formatBill(header: string[], rows: string[][], summaryHeader: string[], summary: string[], layout: Partial<BillLayout> = {}): string {
  checkHeader(header);
  checkHeader(summaryHeader);
  for (const row of rows) checkRecord(row, header.length);
  checkRecord(summary, summaryHeader.length);
  const { bom = true, lineEnding = 'CRLF', trailingNewline = true } = layout;
  const record = (values: string[]): string => '`' + values.join(FIELD_SEPARATOR);
  const lines = [header.join(','), ...rows.map(record), summaryHeader.join(','), record(summary)];
  const eol = lineEnding === 'CRLF' ? '\r\n' : '\n';
  return (bom ? '\ufeff' : '') + lines.join(eol) + (trailingNewline ? eol : '');
}
