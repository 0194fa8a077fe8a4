/**
 * The scanner behind parseXml. Index-based, one forward pass: every character is looked at a
 * bounded number of times, so time is linear and nothing an attacker sends can expand. Markup
 * that XML uses for DTDs, entities, comments or processing instructions is refused where it is met.
 */
import { XmlError } from './errors';
import { checkNotReserved, checkXmlChars, decodeReference, isNameScanChar, isXmlSpace, scanName, utf8Exceeds, xmlCharEnd } from './xml-lexicon';
import { checkDeclaration } from './xml-declaration';

export interface XmlLimits {
  maxBytes: number;
  maxFields: number;
  maxValueBytes: number;
}

const LT = 0x3c; // <
const GT = 0x3e; // >
const SLASH = 0x2f;
const BANG = 0x21; // !
const QUESTION = 0x3f;
const AMP = 0x26;
const RSQB = 0x5d; // ]
const BOM = 0xfeff;

const CDATA_OPEN = '<![CDATA[';

function startsCdata(s: string, i: number): boolean {
  for (let k = 2; k < 9; k++) if (s.charCodeAt(i + k) !== CDATA_OPEN.charCodeAt(k)) return false;
  return true;
}

const malformed = (what: string): XmlError => new XmlError('XML_MALFORMED', what);
const forbidden = (): XmlError => new XmlError('XML_FORBIDDEN', 'DOCTYPE, ENTITY, comment or processing instruction');

export class FlatXmlReader {
  private i = 0;
  /** Where the last name read by readName starts: end tags are compared in place, not sliced. */
  private nameStart = 0;
  private readonly n: number;

  constructor(
    private readonly s: string,
    private readonly limits: XmlLimits,
  ) {
    this.n = s.length;
  }

  readDocument(root: string): Record<string, string> {
    if (utf8Exceeds(this.s, this.limits.maxBytes)) throw new XmlError('XML_TOO_LARGE', 'body over the size limit');
    if (this.s.charCodeAt(0) === BOM) this.i = 1;
    this.skipSpace();
    this.readDeclaration();
    this.skipSpace();
    const fields = this.readRoot(root);
    this.skipSpace();
    if (this.i < this.n) throw this.markupAt(this.i) ?? malformed('content after the root element');
    return fields;
  }

  private skipSpace(): void {
    while (this.i < this.n && isXmlSpace(this.s.charCodeAt(this.i))) this.i++;
  }

  /** `<!…` other than CDATA, and `<?…`, are refused; a cut-off `<!` / `<![` is merely malformed. */
  private markupAt(at: number): XmlError | undefined {
    if (this.s.charCodeAt(at) !== LT) return undefined;
    const next = this.s.charCodeAt(at + 1);
    if (next === QUESTION) return forbidden();
    if (next !== BANG) return undefined;
    const third = this.s.charCodeAt(at + 2);
    if (Number.isNaN(third) || third === 0x5b) return malformed('unexpected markup'); // `<!` cut off, `<![`
    return forbidden();
  }

  /** The optional leading `<?xml …?>`; any later or other `<?…` is forbidden by markupAt. */
  private readDeclaration(): void {
    const { s, i } = this;
    if (s.startsWith('<?xml', i)) {
      const after = s.charCodeAt(i + 5);
      if (!(isXmlSpace(after) || after === QUESTION || Number.isNaN(after))) return; // `<?xml-stylesheet`
      const end = s.indexOf('?>', i + 5);
      if (end < 0) throw malformed('unterminated XML declaration');
      checkDeclaration(s.slice(i + 5, end));
      this.i = end + 2;
    } else if (i < this.n && i + 5 > this.n && '<?xml'.startsWith(s.slice(i))) {
      throw malformed('truncated XML declaration');
    }
  }

  private readRoot(root: string): Record<string, string> {
    const { s } = this;
    if (s.charCodeAt(this.i) !== LT) throw malformed('not an XML document');
    const markup = this.markupAt(this.i);
    if (markup) throw markup;
    this.i++;
    if (this.readName(false) !== root) throw malformed('unexpected root element');
    const rootStart = this.nameStart;
    const fields: Record<string, string> = Object.create(null);
    if (this.readTagEnd()) return fields; // <xml/>
    let count = 0;
    for (;;) {
      this.skipSpace();
      if (this.i >= this.n) throw malformed('unclosed root element');
      if (s.charCodeAt(this.i) !== LT) throw malformed('text directly inside the root');
      const next = s.charCodeAt(this.i + 1);
      if (next === SLASH) {
        this.readEndTag(rootStart, root.length);
        return fields;
      }
      const markup = this.markupAt(this.i);
      if (markup) throw markup;
      this.i++;
      const name = this.readName(true);
      if (fields[name] !== undefined) throw malformed('duplicate field');
      if (++count > this.limits.maxFields) throw new XmlError('XML_LIMIT', 'too many fields');
      const value = this.readTagEnd() ? '' : this.readContent(this.nameStart, name.length);
      if (utf8Exceeds(value, this.limits.maxValueBytes)) throw new XmlError('XML_LIMIT', 'value too long');
      fields[name] = value;
    }
  }

  /** A start-tag name; a field name must also pass the allowlist (XML_LIMIT otherwise). */
  private readName(field: boolean): string {
    const start = (this.nameStart = this.i);
    const end = scanName(this.s, start);
    this.i = end < 0 ? -end : end;
    if (this.i === start) throw malformed('missing element name');
    const name = this.s.slice(start, this.i);
    if (field) {
      if (end < 0) throw new XmlError('XML_LIMIT', 'element name outside the allowlist');
      checkNotReserved(name);
    }
    return name;
  }

  /** After a start-tag name: optional space, then `>` (false) or `/>` (true). Attributes are refused. */
  private readTagEnd(): boolean {
    this.skipSpace();
    const c = this.s.charCodeAt(this.i);
    if (c === GT) {
      this.i++;
      return false;
    }
    if (c === SLASH && this.s.charCodeAt(this.i + 1) === GT) {
      this.i += 2;
      return true;
    }
    throw malformed(Number.isNaN(c) ? 'unterminated start tag' : 'attribute or junk in a start tag');
  }

  /**
   * At `</`: the name must repeat the start tag's (`s[nameStart, nameStart + length)`) exactly,
   * then optional space and `>` (`</total_fee >`).
   */
  private readEndTag(nameStart: number, length: number): void {
    const { s, n } = this;
    const at = this.i + 2;
    const end = at + length;
    if (end > n || (end < n && isNameScanChar(s.charCodeAt(end)))) throw malformed('mismatched end tag');
    for (let k = 0; k < length; k++) {
      if (s.charCodeAt(at + k) !== s.charCodeAt(nameStart + k)) throw malformed('mismatched end tag');
    }
    this.i = end;
    this.skipSpace();
    if (s.charCodeAt(this.i) !== GT) throw malformed('unterminated end tag');
    this.i++;
  }

  /** Text and CDATA up to `</name>`. One slice per piece; references decoded only where `&` occurs. */
  private readContent(nameStart: number, nameLength: number): string {
    const { s, n } = this;
    let value = '';
    let i = this.i;
    let start = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === LT) {
        value += s.slice(start, i);
        if (s.charCodeAt(i + 1) === SLASH) {
          this.i = i;
          this.readEndTag(nameStart, nameLength);
          return value;
        }
        if (s.charCodeAt(i + 1) === BANG && startsCdata(s, i)) {
          const close = s.indexOf(']]>', i + 9);
          if (close < 0) throw malformed('unterminated CDATA section');
          checkXmlChars(s, i + 9, close);
          value += s.slice(i + 9, close);
          i = start = close + 3;
          continue;
        }
        throw this.markupAt(i) ?? malformed('nested element');
      }
      if (c === AMP) {
        value += s.slice(start, i);
        const ref = decodeReference(s, i);
        value += ref.text;
        i = start = ref.end;
      } else if (c === RSQB && s.startsWith(']]>', i)) {
        throw malformed("']]>' in text");
      } else if (c >= 0x20 && c < 0xd800) {
        i++;
      } else {
        i = xmlCharEnd(s, i);
        if (i < 0) throw malformed('character not allowed in XML');
      }
    }
    throw malformed('unclosed element');
  }
}
