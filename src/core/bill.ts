/**
 * The downloadbill text format (docs/wechatpay-v2.md §15), both ways: parseBill for reconciliation and
 * formatBill for the simulator, so one file knows it. Lines: a plain comma-separated header, then
 * records whose every field is prefixed with a backtick (joined by ",`"), then a plain summary
 * header and one backtick summary line. Fields are split on ",`" only: names and `attach` may hold
 * commas, quotes, `&` and `=`. Amounts stay strings in yuan (see yuanToFen).
 */

export type LineEnding = 'CRLF' | 'LF';

export interface BillLayout {
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

export type BillParseResult = { ok: true; bill: Bill } | { ok: false; reason: string };

const BACKTICK = 0x60;
const FIELD_SEPARATOR = ',`';

/**
 * downloadbill answers errors with XML (`<xml><return_code>FAIL…`), sometimes as text/plain, so the
 * body decides, never the Content-Type.
 */
export function isBillError(body: string): boolean {
  let i = body.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < body.length && ' \t\r\n'.includes(body[i]!)) i++;
  return body.startsWith('<xml', i) || body.startsWith('<?xml', i);
}

function keyed(names: string[], values: string[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  names.forEach((name, k) => {
    out[name] = values[k]!;
  });
  return out;
}

function splitHeader(line: string | undefined): string[] | string {
  if (!line || line.charCodeAt(0) === BACKTICK) return 'missing header line';
  const names = line.split(',');
  return new Set(names).size === names.length ? names : 'duplicate column name';
}

function splitRecord(line: string, columns: number): string[] | undefined {
  if (line.charCodeAt(0) !== BACKTICK) return undefined;
  const values = line.slice(1).split(FIELD_SEPARATOR);
  return values.length === columns ? values : undefined;
}

/** Parses a bill body; a malformed body is a reason string, never a throw. */
export function parseBill(text: string): BillParseResult {
  const bom = text.charCodeAt(0) === 0xfeff;
  const body = bom ? text.slice(1) : text;
  const firstBreak = body.indexOf('\n');
  const lineEnding: LineEnding = firstBreak > 0 && body.charCodeAt(firstBreak - 1) === 0x0d ? 'CRLF' : 'LF';
  const lines = body.split(lineEnding === 'CRLF' ? '\r\n' : '\n');
  const trailingNewline = lines.length > 1 && lines[lines.length - 1] === '';
  if (trailingNewline) lines.pop();
  if (lines.some((line) => line.includes('\n') || line.includes('\r'))) return { ok: false, reason: 'mixed line endings' };

  const header = splitHeader(lines[0]);
  if (typeof header === 'string') return { ok: false, reason: header };
  const rows: string[][] = [];
  let at = 1;
  for (; at < lines.length && lines[at]!.charCodeAt(0) === BACKTICK; at++) {
    const row = splitRecord(lines[at]!, header.length);
    if (!row) return { ok: false, reason: `record ${at} does not have ${header.length} fields` };
    rows.push(row);
  }
  const summaryHeader = splitHeader(lines[at]);
  if (typeof summaryHeader === 'string') return { ok: false, reason: `summary: ${summaryHeader}` };
  const summaryRow = lines.length === at + 2 ? splitRecord(lines[at + 1]!, summaryHeader.length) : undefined;
  if (!summaryRow) return { ok: false, reason: 'expected exactly one summary line after the summary header' };

  const records = rows.map((row) => keyed(header, row));
  const summary = keyed(summaryHeader, summaryRow);
  return { ok: true, bill: { bom, lineEnding, trailingNewline, header, rows, records, summaryHeader, summaryRow, summary } };
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
