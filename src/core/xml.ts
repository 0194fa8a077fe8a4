/**
 * The WeChat Pay v2 XML codec: one flat root whose children hold text and/or CDATA. Hand-written,
 * single pass, linear in the input: no DTD, entity expansion, recursion or regex ever runs on a
 * body (docs/wechatpay-v2.md §4, docs/reliability.md I8). Scanning, limits and names: xml-reader.ts.
 */
import { CoreError, XmlError } from './errors';
import { checkFieldName, checkXmlChars } from './xml-lexicon';
import { FlatXmlReader, type XmlLimits } from './xml-reader';

export { isPrototypeKey, isWechatText } from './xml-lexicon';

interface ParseXmlOptions {
  /** Body limit in UTF-8 bytes, checked before any parsing (default 64 KiB). */
  maxBytes?: number;
  /** Root element name: `xml`, or `root` for the decrypted refund-notify payload. */
  root?: string;
  /** Most child elements accepted (default 64). */
  maxFields?: number;
  /** Longest value accepted, in UTF-8 bytes (default 8 KiB; `detail` may hold 6,000 bytes). */
  maxValueBytes?: number;
}

const XML_DEFAULT_MAX_BYTES = 64 * 1024;
const XML_DEFAULT_MAX_FIELDS = 64;
const XML_DEFAULT_MAX_VALUE_BYTES = 8 * 1024;

function limit(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new XmlError('XML_LIMIT', 'invalid parser limit');
  return value;
}

/**
 * Parses one flat message into a null-prototype map of strings, values verbatim (no trimming, no
 * line-end normalisation). Throws only XmlError: XML_TOO_LARGE, XML_FORBIDDEN (DOCTYPE/ENTITY/
 * comment/processing instruction), XML_LIMIT (field count, name allowlist, value size) or
 * XML_MALFORMED (everything else, including attributes, nesting and duplicate fields).
 */
export function parseXml(body: string, opts: ParseXmlOptions = {}): Record<string, string> {
  try {
    if (typeof body !== 'string') throw new XmlError('XML_MALFORMED', 'body is not a string');
    const root = opts.root ?? 'xml';
    checkFieldName(root);
    const limits: XmlLimits = {
      maxBytes: limit(opts.maxBytes, XML_DEFAULT_MAX_BYTES),
      maxFields: limit(opts.maxFields, XML_DEFAULT_MAX_FIELDS),
      maxValueBytes: limit(opts.maxValueBytes, XML_DEFAULT_MAX_VALUE_BYTES),
    };
    return new FlatXmlReader(body, limits).readDocument(root);
  } catch (e) {
    if (e instanceof XmlError) throw e;
    // A bug here must still look like a refused body to callers, never an untyped throw.
    throw new XmlError('XML_MALFORMED', e instanceof CoreError ? e.message : 'unparseable XML');
  }
}

/** `]]>` cannot occur inside one CDATA section: end it after `]]` and restart before `>`. */
function cdata(value: string): string {
  return '<![CDATA[' + (value.includes(']]>') ? value.replaceAll(']]>', ']]]]><![CDATA[>') : value) + ']]>';
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return value;
  // Wire amounts are integer fen; a float here (19.99) is a yuan bug, so it never reaches WeChat.
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new XmlError('XML_MALFORMED', 'field value must be a string or a safe integer');
}

/**
 * The inverse of parseXml: every value in CDATA, in key order. Names follow the parser's allowlist;
 * values containing characters XML 1.0 cannot carry (C0 controls other than Tab/LF/CR, lone
 * surrogates, U+FFFE/U+FFFF) are refused with XML_MALFORMED rather than silently altered.
 * Size and count limits are the receiver's policy and are not applied here.
 */
export function buildXml(fields: Record<string, string | number>, root = 'xml'): string {
  if (typeof fields !== 'object' || fields === null) throw new XmlError('XML_MALFORMED', 'fields must be an object');
  checkFieldName(root);
  let out = '<' + root + '>';
  for (const name of Object.keys(fields)) {
    checkFieldName(name);
    const text = fieldText(fields[name]);
    checkXmlChars(text, 0, text.length);
    out += '<' + name + '>' + cdata(text) + '</' + name + '>';
  }
  return out + '</' + root + '>';
}
