import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XmlError } from '../../src/core/errors';
import { buildXml, parseXml } from '../../src/core/xml';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(XmlError);
    return (e as XmlError).code;
  }
  throw new Error('expected an XmlError');
}

describe('parseXml: accepted shapes', () => {
  it('reads plain text and CDATA values verbatim, without trimming', () => {
    const fields = parseXml('<xml><a> 1 </a><b><![CDATA[ x\ty ]]></b><c>\n</c></xml>');
    expect({ ...fields }).toEqual({ a: ' 1 ', b: ' x\ty ', c: '\n' });
  });

  it('returns a null-prototype map of strings and never coerces numbers', () => {
    const fields = parseXml('<xml><total_fee>1999</total_fee></xml>');
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect(fields.total_fee).toBe('1999');
  });

  it('maps <a/>, <a />, <a></a> and an empty CDATA to the empty string', () => {
    const fields = parseXml('<xml><a/><b /><c></c><d><![CDATA[]]></d></xml>');
    expect({ ...fields }).toEqual({ a: '', b: '', c: '', d: '' });
  });

  it('concatenates text and adjacent CDATA sections in document order', () => {
    expect(parseXml('<xml><a>p<![CDATA[x]]]]><![CDATA[>y]]>q</a></xml>').a).toBe('px]]>yq');
  });

  it('takes CDATA content literally: entities and markup inside it are text', () => {
    expect(parseXml('<xml><a><![CDATA[<b>&amp;</b><!-- x --><?pi?>]]></a></xml>').a).toBe('<b>&amp;</b><!-- x --><?pi?>');
  });

  it('decodes the five predefined entities and decimal/hex character references', () => {
    const fields = parseXml('<xml><a>&lt;&gt;&amp;&quot;&apos;</a><b>&#65;&#x4e2d;&#x1F600;&#0000065;</b></xml>');
    expect(fields.a).toBe(`<>&"'`);
    expect(fields.b).toBe('A中😀A');
  });

  it('accepts a BOM, an XML declaration, surrounding whitespace and CRLF', () => {
    const body = '\ufeff<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<xml>\r\n <a>1</a>\r\n</xml>\r\n';
    expect({ ...parseXml(body) }).toEqual({ a: '1' });
    expect({ ...parseXml("<?xml version='1.0' encoding='utf-8'?><xml/>") }).toEqual({});
  });

  it('accepts whitespace before > in start and end tags', () => {
    expect({ ...parseXml('<xml ><total_fee >1</total_fee ></xml >') }).toEqual({ total_fee: '1' });
  });

  it('keeps carriage returns inside values (no end-of-line normalisation)', () => {
    expect(parseXml('<xml><a>x\r\ny</a></xml>').a).toBe('x\r\ny');
  });

  it('reads the refund-notify payload under the root option', () => {
    expect({ ...parseXml('<root><refund_fee>1</refund_fee></root>', { root: 'root' }) }).toEqual({ refund_fee: '1' });
    expect(codeOf(() => parseXml('<xml><refund_fee>1</refund_fee></xml>', { root: 'root' }))).toBe('XML_MALFORMED');
  });

  it('accepts exactly maxFields fields and a value of exactly maxValueBytes UTF-8 bytes', () => {
    const fields = Array.from({ length: 64 }, (_, i) => `<f${i}>v</f${i}>`).join('');
    expect(Object.keys(parseXml(`<xml>${fields}</xml>`))).toHaveLength(64);
    expect(parseXml('<xml><a>中中</a></xml>', { maxValueBytes: 6 }).a).toBe('中中');
    expect(codeOf(() => parseXml('<xml><a>中中</a></xml>', { maxValueBytes: 5 }))).toBe('XML_LIMIT');
  });

  it('rejects a 65th field, and honours a configured maxFields', () => {
    const fields = Array.from({ length: 65 }, (_, i) => `<f${i}>v</f${i}>`).join('');
    expect(codeOf(() => parseXml(`<xml>${fields}</xml>`))).toBe('XML_LIMIT');
    expect(codeOf(() => parseXml('<xml><a>1</a><b>2</b></xml>', { maxFields: 1 }))).toBe('XML_LIMIT');
  });

  it('rejects invalid limit options with a typed error', () => {
    expect(codeOf(() => parseXml('<xml/>', { maxBytes: -1 }))).toBe('XML_LIMIT');
    expect(codeOf(() => parseXml('<xml/>', { maxFields: Number.NaN }))).toBe('XML_LIMIT');
    expect(codeOf(() => parseXml('<Root/>', { root: 'Root' }))).toBe('XML_LIMIT');
  });
});

describe('parseXml: field names', () => {
  it.each(['appid', 'coupon_fee_0', 'a', 'x'.repeat(32), 'refund_recv_accout_0'])('accepts %s', (name) => {
    expect(parseXml(`<xml><${name}>v</${name}></xml>`)[name]).toBe('v');
  });

  it.each(['Appid', 'APPID', '_private', '0abc', 'a-b', 'a.b', 'ns:a', 'x'.repeat(33), '中文', '__proto__'])('refuses %s with XML_LIMIT', (name) => {
    expect(codeOf(() => parseXml(`<xml><${name}>v</${name}></xml>`))).toBe('XML_LIMIT');
  });

  it.each(['constructor', 'prototype'])('refuses the reserved name %s', (name) => {
    expect(codeOf(() => parseXml(`<xml><${name}>v</${name}></xml>`))).toBe('XML_LIMIT');
  });
});

describe('buildXml', () => {
  it('builds the byte-exact merchant SUCCESS reply', () => {
    expect(buildXml({ return_code: 'SUCCESS', return_msg: 'OK' })).toBe(
      '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>',
    );
  });

  it('splits ]]> across CDATA sections and stringifies integers', () => {
    expect(buildXml({ a: 'x]]>y', total_fee: 1999 }, 'root')).toBe('<root><a><![CDATA[x]]]]><![CDATA[>y]]></a><total_fee><![CDATA[1999]]></total_fee></root>');
  });

  it('round-trips Chinese, emoji and the characters & = < > ]]> " \'', () => {
    const fields = { body: '腾讯充值中心-QQ会员充值', attach: 'a&b=c<d>e]]>f]]]>g"\'', emoji: '😀👍🏽', cr: 'a\r\nb\tc' };
    expect({ ...parseXml(buildXml(fields)) }).toEqual(fields);
  });

  it('refuses names outside the allowlist and reserved names', () => {
    expect(codeOf(() => buildXml({ Appid: 'x' }))).toBe('XML_LIMIT');
    expect(codeOf(() => buildXml({ constructor: 'x' }))).toBe('XML_LIMIT');
    expect(codeOf(() => buildXml(JSON.parse('{"__proto__":"x"}')))).toBe('XML_LIMIT');
    expect(codeOf(() => buildXml({ a: 'x' }, 'bad root'))).toBe('XML_LIMIT');
  });

  it.each([
    ['NUL', '\u0000'],
    ['a C0 control', 'a\u0001b'],
    ['a lone high surrogate', 'a\ud800'],
    ['a lone low surrogate', '\udc00b'],
    ['U+FFFE', '\ufffe'],
    ['U+FFFF', '\uffff'],
  ])('refuses a value containing %s, which XML 1.0 cannot carry', (_, value) => {
    expect(codeOf(() => buildXml({ a: value }))).toBe('XML_MALFORMED');
  });

  it('refuses non-integer numbers and non-string values', () => {
    expect(codeOf(() => buildXml({ total_fee: 19.99 }))).toBe('XML_MALFORMED');
    expect(codeOf(() => buildXml({ total_fee: Number.NaN }))).toBe('XML_MALFORMED');
    expect(codeOf(() => buildXml({ a: undefined as unknown as string }))).toBe('XML_MALFORMED');
    expect(codeOf(() => buildXml(null as unknown as Record<string, string>))).toBe('XML_MALFORMED');
  });
});

/** Strings of XML 1.0 characters: everything except C0 controls (bar Tab/LF/CR), U+FFFE/U+FFFF, lone surrogates. */
const xmlText = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, ''));
const fieldName = fc.stringMatching(/^[a-z][a-z0-9_]{0,31}$/).filter((n) => n !== 'constructor' && n !== 'prototype');

describe('parseXml(buildXml(x)) property', () => {
  it('round-trips random maps of valid names to random unicode strings', () => {
    fc.assert(
      fc.property(fc.dictionary(fieldName, xmlText, { maxKeys: 64 }), (fields) => {
        expect({ ...parseXml(buildXml(fields)) }).toEqual(fields);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips values built from the awkward characters of the format', () => {
    const awkward = fc.string({ unit: fc.constantFrom(']', '>', '<', '&', '[', '!', 'C', ';', '#', '\r', '\n', 'a'), maxLength: 30 });
    fc.assert(
      fc.property(fc.dictionary(fieldName, awkward, { maxKeys: 8 }), (fields) => {
        expect({ ...parseXml(buildXml(fields)) }).toEqual(fields);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses every value that contains a character outside XML 1.0', () => {
    const bad = fc.constantFrom('\u0000', '\u0008', '\u000b', '\u001f', '\ufffe', '\uffff', '\ud800', '\udfff');
    fc.assert(
      fc.property(xmlText, bad, xmlText, (a, c, b) => {
        const value = a + c + b;
        // A lone surrogate may pair up with a neighbour and become a valid character; skip those.
        fc.pre(!/[\ud800-\udbff][\udc00-\udfff]/.test(a.slice(-1) + c + b.slice(0, 1)));
        expect(codeOf(() => buildXml({ a: value }))).toBe('XML_MALFORMED');
      }),
      { numRuns: 300 },
    );
  });
});
