// Hostile XML (docs/reliability.md T08, T09, T29–T34): every case is refused with the right XmlError code,
// never an untyped throw. Sizes are chosen so that a non-linear parser would visibly blow up;
// speed itself is measured in the bench, not asserted here.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XmlError } from '../../src/core/errors';
import { parseXml } from '../../src/core/xml';
import payloads from '../vectors/xml-payloads.json';

function codeOf(body: string, opts?: Parameters<typeof parseXml>[1]): string {
  try {
    parseXml(body, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(XmlError);
    return (e as XmlError).code;
  }
  throw new Error('expected parseXml to refuse the body');
}

const notify = payloads.payloads.find((p) => p.id === 'notify-success-hmac-sha256')!.raw_xml;
const declared = payloads.payloads.find((p) => p.id === 'orderquery-response-notpay-xml-declaration')!.raw_xml;
const laughs =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('') +
  ']><xml><a>&lol9;</a></xml>';
const quadratic = `<!DOCTYPE x [<!ENTITY a "${'a'.repeat(20000)}">]><xml><a>${'&a;'.repeat(2000)}</a></xml>`;

describe('DTDs and entities are forbidden', () => {
  it.each([
    ['XXE external entity', '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><a>&x;</a></xml>'],
    ['XXE over http', '<!DOCTYPE xml [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><xml><a>&x;</a></xml>'],
    ['parameter entity', '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]><xml/>'],
    ['external DTD', '<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml/>'],
    ['billion laughs', laughs],
    ['quadratic blow-up', quadratic],
    ['lowercase doctype', '<!doctype xml><xml/>'],
    ['mixed-case doctype', '<!DocType xml><xml/>'],
    ['doctype with odd whitespace', '<!DOCTYPE\n\txml\r\n[ ]><xml/>'],
    ['doctype after whitespace and a BOM', '\ufeff \n<!DOCTYPE xml><xml/>'],
    ['repeated doctypes', '<!DOCTYPE a><!DOCTYPE b><xml/>'],
    ['doctype inside the root', '<xml><!DOCTYPE x><a>1</a></xml>'],
    ['doctype inside a field', '<xml><a>1<!DOCTYPE x></a></xml>'],
    ['bare ENTITY declaration', '<xml><!ENTITY x "y"><a>&x;</a></xml>'],
    ['doctype after the root', '<xml><a>1</a></xml><!DOCTYPE x>'],
  ])('refuses %s', (_, body) => {
    expect(codeOf(body)).toBe('XML_FORBIDDEN');
  });

  it.each([
    ['an undeclared entity', '<xml><a>&xxe;</a></xml>'],
    ['an entity named like a predefined one', '<xml><a>&AMP;</a></xml>'],
    ['a parameter-entity reference in text', '<xml><a>%p;&p</a></xml>'],
    ['an unterminated reference', '<xml><a>a&amp b</a></xml>'],
    ['&#0;', '<xml><a>&#0;</a></xml>'],
    ['&#x0;', '<xml><a>&#x0;</a></xml>'],
    ['&#1; (C0 control)', '<xml><a>&#1;</a></xml>'],
    ['&#xD800; (surrogate)', '<xml><a>&#xD800;</a></xml>'],
    ['&#xDFFF; (surrogate)', '<xml><a>&#xDFFF;</a></xml>'],
    ['&#xFFFE;', '<xml><a>&#xFFFE;</a></xml>'],
    ['&#x110000; (beyond Unicode)', '<xml><a>&#x110000;</a></xml>'],
    ['&#99999999999999999999;', '<xml><a>&#99999999999999999999;</a></xml>'],
    ['&#X41; (uppercase X)', '<xml><a>&#X41;</a></xml>'],
    ['&#; and &#x;', '<xml><a>&#;&#x;</a></xml>'],
    ['&#-1;', '<xml><a>&#-1;</a></xml>'],
    ['a hex digit in a decimal reference', '<xml><a>&#6A;</a></xml>'],
  ])('refuses %s as malformed', (_, body) => {
    expect(codeOf(body)).toBe('XML_MALFORMED');
  });
});

describe('comments and processing instructions are forbidden', () => {
  it.each([
    ['a comment between fields', '<xml><a>1</a><!-- c --><b>2</b></xml>'],
    ['a comment inside a value', '<xml><a>1<!-- c -->2</a></xml>'],
    ['a comment before the root', '<!-- c --><xml/>'],
    ['a comment after the root', '<xml/><!-- c -->'],
    ['a non-leading XML declaration', '<xml><?xml version="1.0"?><a>1</a></xml>'],
    ['a second XML declaration', '<?xml version="1.0"?><?xml version="1.0"?><xml/>'],
    ['a PHP processing instruction', '<?php system("id"); ?><xml/>'],
    ['a PI inside a value', '<xml><a>1<?php x?></a></xml>'],
    ['xml-stylesheet', '<?xml-stylesheet href="x"?><xml/>'],
    ['an uppercase XML declaration', '<?XML version="1.0"?><xml/>'],
  ])('refuses %s', (_, body) => {
    expect(codeOf(body)).toBe('XML_FORBIDDEN');
  });

  it('refuses the informational comment fixture under the project rule', () => {
    const item = payloads.payloads.find((p) => p.id === 'xml-comment-between-fields')!;
    expect(codeOf(item.raw_xml)).toBe('XML_FORBIDDEN');
  });

  it.each([
    ['version 1.1', '<?xml version="1.1"?><xml/>'],
    ['a GBK encoding', '<?xml version="1.0" encoding="GBK"?><xml/>'],
    ['no version', '<?xml encoding="UTF-8"?><xml/>'],
    ['pseudo-attributes out of order', '<?xml encoding="UTF-8" version="1.0"?><xml/>'],
    ['an unknown pseudo-attribute', '<?xml version="1.0" foo="bar"?><xml/>'],
    ['an unterminated declaration', '<?xml version="1.0"<xml/>'],
    ['mismatched quotes', `<?xml version="1.0'?><xml/>`],
  ])('refuses an XML declaration with %s as malformed', (_, body) => {
    expect(codeOf(body)).toBe('XML_MALFORMED');
  });
});

describe('structure', () => {
  it.each([
    ['nested elements', '<xml><a><b>1</b></a></xml>'],
    ['a duplicate sign', '<xml><sign>A</sign><a>1</a><sign>B</sign></xml>'],
    ['a duplicate total_fee (1 and 1999)', '<xml><total_fee>1</total_fee><total_fee>1999</total_fee></xml>'],
    ['a duplicate empty field', '<xml><a/><a></a></xml>'],
    ['a mismatched end tag', '<xml><a>1</b></xml>'],
    ['an end tag that only starts with the name', '<xml><a>1</ab></xml>'],
    ['an end tag that is a prefix of the name', '<xml><ab>1</a></xml>'],
    ['an unclosed field', '<xml><a>1</xml>'],
    ['an unclosed root', '<xml><a>1</a>'],
    ['an attribute on a field', '<xml><a x="1">1</a></xml>'],
    ['an attribute on the root', '<xml version="1"><a>1</a></xml>'],
    ['a namespace declaration', '<xml xmlns="urn:x"><a>1</a></xml>'],
    ['a bare word in a start tag', '<xml><a b>1</a></xml>'],
    ['multiple roots', '<xml><a>1</a></xml><xml><a>2</a></xml>'],
    ['text before the root', 'x<xml/>'],
    ['text after the root', '<xml/>x'],
    ['text directly inside the root', '<xml>x<a>1</a></xml>'],
    ['an entity directly inside the root', '<xml>&amp;<a>1</a></xml>'],
    ['CDATA directly inside the root', '<xml><![CDATA[x]]><a>1</a></xml>'],
    ['a wrong root name', '<root><a>1</a></root>'],
    ['an uppercase root', '<XML><a>1</a></XML>'],
    [']]> in text', '<xml><a>x]]>y</a></xml>'],
    ['an unterminated CDATA', '<xml><a><![CDATA[x</a></xml>'],
    ['a marked section that is not CDATA', '<xml><a><![INCLUDE[x]]></a></xml>'],
    ['a lowercase cdata marker', '<xml><a><![cdata[x]]></a></xml>'],
    ['a space after <', '<xml>< a>1</a></xml>'],
    ['an empty tag name', '<xml><>1</></xml>'],
    ['a NUL character in a value', '<xml><a>1\u00002</a></xml>'],
    ['a C0 control in CDATA', '<xml><a><![CDATA[\u0007]]></a></xml>'],
    ['a lone surrogate in a value', '<xml><a>\ud800</a></xml>'],
    ['a lone surrogate in CDATA', '<xml><a><![CDATA[\udc00]]></a></xml>'],
    ['U+FFFF in a value', '<xml><a>\uffff</a></xml>'],
    ['a space before the root name', '< xml/>'],
  ])('refuses %s as malformed', (_, body) => {
    expect(codeOf(body)).toBe('XML_MALFORMED');
  });

  it('refuses 10k nested tags: as too large by default, as malformed under a 1 MiB limit', () => {
    const nested = `<xml>${'<a>'.repeat(10000)}x${'</a>'.repeat(10000)}</xml>`;
    expect(codeOf(nested)).toBe('XML_TOO_LARGE');
    expect(codeOf(nested, { maxBytes: 1 << 20 })).toBe('XML_MALFORMED');
    expect(codeOf(`<xml>${'<a>'.repeat(10000)}`)).toBe('XML_MALFORMED');
  });

  it.each([
    ['__proto__', '<xml><__proto__><polluted>1</polluted></__proto__></xml>'],
    ['constructor', '<xml><constructor>1</constructor></xml>'],
    ['prototype', '<xml><prototype>1</prototype></xml>'],
    ['a 10k-character name', `<xml><${'a'.repeat(10000)}>1</${'a'.repeat(10000)}></xml>`],
  ])('refuses the field name %s without touching Object.prototype', (_, body) => {
    expect(codeOf(body)).toBe('XML_LIMIT');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});

describe('non-XML and truncated bodies', () => {
  it.each([
    ['the empty string', ''],
    ['whitespace only', ' \r\n\t'],
    ['a BOM only', '\ufeff'],
    ['JSON', '{"return_code":"SUCCESS","total_fee":1}'],
    ['plain text', 'SUCCESS'],
    ['form-urlencoded fields', 'return_code=SUCCESS&total_fee=1'],
    ['HTML', '<html><body>hi</body></html>'],
    ['a lone <', '<'],
  ])('refuses %s as malformed', (_, body) => {
    expect(codeOf(body)).toBe('XML_MALFORMED');
  });

  it('refuses a non-string body with a typed error', () => {
    expect(codeOf(undefined as unknown as string)).toBe('XML_MALFORMED');
    expect(codeOf(42 as unknown as string)).toBe('XML_MALFORMED');
  });

  it('refuses every proper prefix of a real notify as malformed', () => {
    const end = notify.lastIndexOf('>') + 1; // after that, only trailing whitespace remains
    for (let length = 0; length < end; length++) {
      expect(codeOf(notify.slice(0, length)), `prefix of ${length}`).toBe('XML_MALFORMED');
    }
    expect(Object.keys(parseXml(notify)).length).toBeGreaterThan(10);
  });

  it('refuses every proper prefix of a body with an XML declaration as malformed', () => {
    const end = declared.lastIndexOf('>') + 1;
    for (let length = 0; length < end; length++) {
      expect(codeOf(declared.slice(0, length)), `prefix of ${length}`).toBe('XML_MALFORMED');
    }
  });
});

describe('size limits are checked in UTF-8 bytes before parsing', () => {
  const wrap = (value: string): string => `<xml><a>${value}</a></xml>`; // 18 bytes of markup

  it('refuses a 1 MB body and a 10 MB body of junk as too large', () => {
    expect(codeOf('<'.repeat(1024 * 1024))).toBe('XML_TOO_LARGE');
    expect(codeOf(wrap('x'.repeat(10 * 1024 * 1024)))).toBe('XML_TOO_LARGE');
  });

  it('checks the size before looking for DOCTYPEs (a big billion-laughs is too large, not parsed)', () => {
    expect(codeOf(laughs + ' '.repeat(65536))).toBe('XML_TOO_LARGE');
  });

  it('counts multi-byte characters as bytes right at the limit', () => {
    const opts = { maxBytes: 1000, maxValueBytes: 1000 };
    expect(parseXml(wrap('中'.repeat(327) + 'x'), opts).a).toHaveLength(328); // 18 + 981 + 1 = 1000 bytes
    expect(codeOf(wrap('中'.repeat(327) + 'xx'), opts)).toBe('XML_TOO_LARGE'); // 1001
    expect(codeOf(wrap('中'.repeat(328)), opts)).toBe('XML_TOO_LARGE'); // 1002
    expect(parseXml(wrap('😀'.repeat(245) + 'xx'), opts).a).toHaveLength(492); // 18 + 980 + 2 = 1000
    expect(codeOf(wrap('😀'.repeat(246)), opts)).toBe('XML_TOO_LARGE'); // 1002
  });

  it('applies the 64 KiB default inclusively', () => {
    const opts = { maxValueBytes: 64 * 1024 };
    expect(parseXml(wrap('x'.repeat(64 * 1024 - 18)), opts).a).toHaveLength(64 * 1024 - 18);
    expect(codeOf(wrap('x'.repeat(64 * 1024 - 17)), opts)).toBe('XML_TOO_LARGE');
    // Fewer UTF-16 units than the limit, but more bytes: only a byte count catches these.
    expect(parseXml(wrap('中'.repeat(21839)), opts).a).toHaveLength(21839); // 65,535 bytes
    expect(codeOf(wrap('中'.repeat(21840)), opts)).toBe('XML_TOO_LARGE'); // 65,538 bytes
  });

  it('refuses a value over the default 8 KiB value limit inside an acceptable body', () => {
    expect(parseXml(wrap('x'.repeat(8192))).a).toHaveLength(8192);
    expect(codeOf(wrap('x'.repeat(8193)))).toBe('XML_LIMIT');
  });

  it('stays linear on large bodies of many small hostile pieces', () => {
    const refs = `<xml><a>${'&amp;'.repeat(12000)}</a></xml>`;
    expect(parseXml(refs, { maxValueBytes: 65536 }).a).toHaveLength(12000);
    expect(codeOf(`<xml><a>${'&'.repeat(60000)}</a></xml>`)).toBe('XML_MALFORMED');
    expect(codeOf(`<xml><a>${']]'.repeat(30000)}></a></xml>`)).toBe('XML_MALFORMED');
    expect(codeOf(`<xml>${'<a/>'.repeat(16000)}</xml>`)).toBe('XML_MALFORMED'); // duplicate at the 2nd
    expect(codeOf(`<xml><a><![CDATA[${']'.repeat(60000)}</a></xml>`)).toBe('XML_MALFORMED');
    expect(codeOf(`<?xml ${' '.repeat(60000)}`)).toBe('XML_MALFORMED');
  });
});

describe('fuzz (T09)', () => {
  const isTyped = (body: string): boolean => {
    try {
      const fields = parseXml(body);
      return Object.getPrototypeOf(fields) === null && Object.values(fields).every((v) => typeof v === 'string');
    } catch (e) {
      return e instanceof XmlError && ['XML_MALFORMED', 'XML_FORBIDDEN', 'XML_TOO_LARGE', 'XML_LIMIT'].includes(e.code);
    }
  };

  it('gives a string map or a typed error for random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => isTyped(s)),
      { numRuns: 3000 },
    );
  });

  it('gives a string map or a typed error for mutations of a valid notify', () => {
    const mutation = fc.tuple(fc.nat(notify.length), fc.nat(notify.length), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (edits) => {
        let body = notify;
        for (const [at, cut, insert] of edits) body = body.slice(0, at) + insert + body.slice(at + (cut % 8));
        return isTyped(body);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses a notify with any of its elements duplicated', () => {
    const elements = notify.match(/<([a-z0-9_]+)>(?:<!\[CDATA\[[^\]]*\]\]>|[^<]*)<\/\1>/g)!;
    expect(elements.length).toBeGreaterThan(10);
    for (const element of elements) {
      const doubled = notify.replace(element, element + element);
      expect(codeOf(doubled), element).toBe('XML_MALFORMED');
    }
  });
});
