/**
 * Character-level rules shared by the XML parser and builder (xml.ts), so that what one emits the
 * other accepts: the field-name allowlist, the XML 1.0 character set, references, byte counting.
 */
import { XmlError } from './errors';
import { isHex } from './hex';

/** Longest field name accepted (docs/reliability.md §4 step 2: `^[a-z][a-z0-9_]{0,31}$`). */
const MAX_NAME_LENGTH = 32;

/** Longest reference accepted between `&` and `;` (`#x10FFFF` plus some leading zeros). */
const MAX_REFERENCE_LENGTH = 16;

export function isXmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Per-ASCII-code flags: NAME_CHAR is the allowlist `[a-z0-9_]`, NAME_SCAN the wider read set. */
const NAME_CHAR = 1;
const NAME_SCAN = 2;
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const allowed = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
  // Read `<a:b>` or `<Appid>` whole, so it is refused as a name rather than seen as an attribute.
  const scanned = allowed || (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x2e || c === 0x3a;
  ASCII_CLASS[c] = (allowed ? NAME_CHAR : 0) | (scanned ? NAME_SCAN : 0);
}

/** `c` is a code unit (callers check bounds): would it continue a tag name? */
export function isNameScanChar(c: number): boolean {
  return c >= 0x80 || (ASCII_CLASS[c]! & NAME_SCAN) !== 0;
}

/**
 * End of the tag name starting at `start` (the read set above). Its length is negated when the
 * name fails the field-name rule, so the reader validates while it scans, in one pass.
 */
export function scanName(s: string, start: number): number {
  const n = s.length;
  let i = start;
  let ok = i < n && s.charCodeAt(i) >= 0x61 && s.charCodeAt(i) <= 0x7a;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    const cls = c < 0x80 ? ASCII_CLASS[c]! : NAME_SCAN;
    if (cls === 0) break;
    if (cls !== (NAME_CHAR | NAME_SCAN)) ok = false;
  }
  return ok && i - start <= MAX_NAME_LENGTH ? i : -i;
}

/**
 * WeChat's field names are lowercase snake_case: `^[a-z][a-z0-9_]{0,31}$` (docs/reliability.md §4).
 * Anything else, and the names that reach Object.prototype machinery, is refused (I8).
 */
export function checkFieldName(name: string): void {
  if (scanName(name, 0) !== name.length || name.length === 0) {
    throw new XmlError('XML_LIMIT', 'element name outside the allowlist');
  }
  checkNotReserved(name);
}

/** Names that reach Object.prototype machinery when used as a key of a plain object. */
export function isPrototypeKey(name: string): boolean {
  return name === '__proto__' || name === 'constructor' || name === 'prototype';
}

/** `__proto__` already fails the rule above; `constructor` and `prototype` pass it. */
export function checkNotReserved(name: string): void {
  if (isPrototypeKey(name)) throw new XmlError('XML_LIMIT', 'reserved element name');
}

/**
 * Index just past the XML 1.0 `Char` that starts at `i` (Tab, LF, CR, U+0020–U+D7FF,
 * U+E000–U+FFFD, or a well-formed surrogate pair), or -1. Callers take the common
 * U+0020–U+D7FF case inline and only come here for the rest.
 */
export function xmlCharEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0x20 && c < 0xd800) return i + 1;
  if (c === 0x09 || c === 0x0a || c === 0x0d) return i + 1;
  if (c >= 0xe000 && c <= 0xfffd) return i + 1;
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1); // NaN past the end
    if (d >= 0xdc00 && d <= 0xdfff) return i + 2;
  }
  return -1;
}

/**
 * True when `s` is text a WeChat message can carry unchanged: every character is an XML 1.0 `Char`
 * (so buildXml accepts it) and none is a control (C0 including Tab/LF/CR, which XML parsers
 * normalise; DEL; C1) or a noncharacter (U+FDD0–U+FDEF, U+xFFFE/U+xFFFF in every plane), which
 * other parsers and signers may drop or replace. Validate caller text with this before it is stored.
 */
export function isWechatText(s: string): boolean {
  for (let i = 0; i < s.length; ) {
    const end = xmlCharEnd(s, i);
    if (end < 0) return false;
    const cp = s.codePointAt(i)!;
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return false;
    i = end;
  }
  return true;
}

/** Throws unless every character of `s[from, to)` is an XML 1.0 `Char`. */
export function checkXmlChars(s: string, from: number, to: number): void {
  let i = from;
  while (i < to) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0xd800) i++;
    else {
      i = xmlCharEnd(s, i);
      if (i < 0 || i > to) throw new XmlError('XML_MALFORMED', 'character not allowed in XML');
    }
  }
}

function isXmlCodePoint(cp: number): boolean {
  if (cp >= 0x20) return cp <= 0xd7ff || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
  return cp === 0x09 || cp === 0x0a || cp === 0x0d;
}

function codePointOf(ref: string): number {
  const hex = ref.charCodeAt(1) === 0x78; // 'x' (lowercase only, as XML requires)
  const digits = ref.slice(hex ? 2 : 1);
  if (digits.length === 0) return -1;
  if (hex) return isHex(digits) ? parseInt(digits, 16) : -1;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
  }
  return Number(digits);
}

/**
 * Decodes the reference whose `&` is at `amp`: the five predefined entities and numeric character
 * references naming a valid XML character. Returns the text and the index after `;`. Any other
 * name (including every would-be external or custom entity) is malformed; nothing is ever resolved.
 */
export function decodeReference(s: string, amp: number): { text: string; end: number } {
  const limit = Math.min(s.length, amp + 2 + MAX_REFERENCE_LENGTH);
  let semi = amp + 1;
  while (semi < limit && s.charCodeAt(semi) !== 0x3b) semi++;
  if (semi >= limit) throw new XmlError('XML_MALFORMED', 'unterminated or overlong reference');
  const ref = s.slice(amp + 1, semi);
  let text: string;
  switch (ref) {
    case 'lt':
      text = '<';
      break;
    case 'gt':
      text = '>';
      break;
    case 'amp':
      text = '&';
      break;
    case 'quot':
      text = '"';
      break;
    case 'apos':
      text = "'";
      break;
    default: {
      if (ref.charCodeAt(0) !== 0x23) throw new XmlError('XML_MALFORMED', 'undeclared entity reference');
      const cp = codePointOf(ref);
      if (!isXmlCodePoint(cp)) throw new XmlError('XML_MALFORMED', 'invalid character reference');
      text = String.fromCodePoint(cp);
    }
  }
  return { text, end: semi + 1 };
}

/**
 * True when the UTF-8 encoding of `s` is longer than `max` bytes, counted without encoding (a lone
 * surrogate counts 3, as TextEncoder writes U+FFFD). Each UTF-16 unit is 1 to 3 bytes, so most
 * answers come from the length alone.
 */
export function utf8Exceeds(s: string, max: number): boolean {
  const n = s.length;
  if (n > max) return true;
  if (n * 3 <= max) return false;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
    if (bytes > max) return true;
  }
  return false;
}
