/**
 * The downloadbill row rules, one line at a time (docs/wechatpay-v2.md §15): the one definition that both
 * parseBill (whole text) and the streaming reader use. A header line, backtick records joined by
 * ",`", a summary header and exactly one backtick summary line. BillLineSplitter cuts a text stream
 * into lines (BOM, CRLF or LF, never mixed) without holding more than one partial line.
 */

export const BACKTICK = 0x60;
export const FIELD_SEPARATOR = ',`';

export type BillLine =
  | { readonly kind: 'header'; readonly names: string[] }
  | { readonly kind: 'record'; readonly values: string[]; readonly record: Record<string, string> }
  | { readonly kind: 'summaryHeader'; readonly names: string[] }
  | { readonly kind: 'summary'; readonly values: string[]; readonly summary: Record<string, string> }
  | { readonly kind: 'error'; readonly reason: string };

export function keyed(names: string[], values: string[]): Record<string, string> {
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

/** The bill's structure as a state machine over its lines: feed every line, then call end(). */
export class BillReader {
  #state: 'header' | 'records' | 'summary' | 'done' | 'failed' = 'header';
  #header: string[] = [];
  #summaryHeader: string[] = [];
  #records = 0;

  /** Records read so far. */
  get records(): number {
    return this.#records;
  }

  line(text: string): BillLine {
    const fail = (reason: string): BillLine => {
      this.#state = 'failed';
      return { kind: 'error', reason };
    };
    switch (this.#state) {
      case 'header': {
        const names = splitHeader(text);
        if (typeof names === 'string') return fail(names);
        this.#header = names;
        this.#state = 'records';
        return { kind: 'header', names };
      }
      case 'records': {
        if (text.charCodeAt(0) === BACKTICK) {
          const values = splitRecord(text, this.#header.length);
          if (!values) return fail(`record ${this.#records + 1} does not have ${this.#header.length} fields`);
          this.#records++;
          return { kind: 'record', values, record: keyed(this.#header, values) };
        }
        const names = splitHeader(text);
        if (typeof names === 'string') return fail(`summary: ${names}`);
        this.#summaryHeader = names;
        this.#state = 'summary';
        return { kind: 'summaryHeader', names };
      }
      case 'summary': {
        const values = splitRecord(text, this.#summaryHeader.length);
        if (!values) return fail('expected exactly one summary line after the summary header');
        this.#state = 'done';
        return { kind: 'summary', values, summary: keyed(this.#summaryHeader, values) };
      }
      case 'done':
        return fail('expected exactly one summary line after the summary header');
      default:
        return { kind: 'error', reason: 'bill already refused' };
    }
  }

  /** null when the bill was complete; otherwise why not. */
  end(): string | null {
    if (this.#state === 'done') return null;
    if (this.#state === 'header') return 'missing header line';
    if (this.#state === 'records') return 'summary: missing header line';
    if (this.#state === 'summary') return 'expected exactly one summary line after the summary header';
    return 'bill already refused';
  }
}

/**
 * Cuts streamed text into lines. The first line break fixes the ending (CRLF or LF); a line that
 * still holds a CR or LF after that is a mixed-ending bill. A leading BOM is dropped. A final
 * empty line (the trailing break) is not a line.
 */
export class BillLineSplitter {
  #rest = '';
  #started = false;
  #eol: '\r\n' | '\n' | null = null;
  bom = false;

  /** Complete lines in `chunk` (plus what was pending); an error string for mixed line endings. */
  push(chunk: string): string[] | string {
    let text = this.#rest + chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) {
        this.bom = true;
        text = text.slice(1);
      }
    }
    if (this.#eol === null) {
      const lf = text.indexOf('\n');
      if (lf < 0) {
        this.#rest = text;
        return [];
      }
      this.#eol = lf > 0 && text.charCodeAt(lf - 1) === 0x0d ? '\r\n' : '\n';
    }
    const lines = text.split(this.#eol);
    this.#rest = lines.pop()!;
    // A CR at the very end may be the first half of a CRLF split across chunks.
    const mixedRest = this.#rest.includes('\n') || this.#rest.slice(0, -1).includes('\r');
    if (mixedRest || lines.some((l) => l.includes('\n') || l.includes('\r'))) return 'mixed line endings';
    return lines;
  }

  /** The last line when the text did not end with a line break. */
  end(): string[] | string {
    const rest = this.#rest;
    this.#rest = '';
    if (rest === '') return [];
    if (rest.includes('\n') || rest.includes('\r')) return 'mixed line endings';
    return [rest];
  }
}
