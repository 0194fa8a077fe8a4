/**
 * The one processing instruction allowed: a leading `<?xml version="1.0" [encoding="UTF-8"]
 * [standalone="yes|no"]?>`. Bodies are decoded as UTF-8 before parsing, so a declaration naming any
 * other encoding (GBK…) means the text was misread and is refused (docs/reliability.md T08).
 */
import { XmlError } from './errors';
import { isXmlSpace } from './xml-lexicon';

const MAX_DECLARATION_LENGTH = 128;

/** Pseudo-attributes in the only order XML allows, each with its accepted values (lowercased). */
const PSEUDO_ATTRIBUTES: ReadonlyArray<readonly [name: string, accepted: readonly string[], required: boolean]> = [
  ['version', ['1.0'], true],
  ['encoding', ['utf-8'], false],
  ['standalone', ['yes', 'no'], false],
];

const malformed = (): XmlError => new XmlError('XML_MALFORMED', 'unsupported XML declaration');

/** `inner` is the text between `<?xml` and `?>`. */
export function checkDeclaration(inner: string): void {
  const n = inner.length;
  if (n > MAX_DECLARATION_LENGTH) throw malformed();
  let i = 0;
  let next = 0; // index into PSEUDO_ATTRIBUTES of the next one allowed
  for (;;) {
    const spaceStart = i;
    while (i < n && isXmlSpace(inner.charCodeAt(i))) i++;
    if (i === n) break;
    if (i === spaceStart) throw malformed(); // pseudo-attributes are space-separated
    const nameStart = i;
    while (i < n && inner.charCodeAt(i) >= 0x61 && inner.charCodeAt(i) <= 0x7a) i++;
    const name = inner.slice(nameStart, i);
    while (i < n && isXmlSpace(inner.charCodeAt(i))) i++;
    if (inner.charCodeAt(i) !== 0x3d) throw malformed(); // =
    i++;
    while (i < n && isXmlSpace(inner.charCodeAt(i))) i++;
    const quote = inner.charCodeAt(i);
    if (quote !== 0x22 && quote !== 0x27) throw malformed();
    const close = inner.indexOf(String.fromCharCode(quote), i + 1);
    if (close < 0) throw malformed();
    const value = inner.slice(i + 1, close);
    i = close + 1;
    while (next < PSEUDO_ATTRIBUTES.length && PSEUDO_ATTRIBUTES[next]![0] !== name) {
      if (PSEUDO_ATTRIBUTES[next]![2]) throw malformed();
      next++;
    }
    const spec = PSEUDO_ATTRIBUTES[next++];
    if (!spec || !spec[1].includes(name === 'version' ? value : value.toLowerCase())) throw malformed();
  }
  if (next === 0) throw malformed(); // version is required
}
