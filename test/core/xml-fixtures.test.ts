// test/vectors/xml-payloads.json (T03, T05, T08, T12, T21, T26, T27): every payload parses to exactly its
// expected_fields, and where a key is known its signatures verify (or not) exactly as the fixture says.
import { describe, expect, it } from 'vitest';
import { XmlError } from '../../src/core/errors';
import { signParams, verifyParams, type SignType } from '../../src/core/sign';
import { buildXml, parseXml } from '../../src/core/xml';
import fixture from '../vectors/xml-payloads.json';

interface Payload {
  id: string;
  strictness: string;
  raw_xml: string;
  resigned_xml?: string;
  expected_fields: Record<string, string>;
  raw_sign_valid_under_key?: boolean;
  signing?: { key: string; sign_type: string; expected_sign: string };
  expected: { parse: string; raw_signature_under_key?: string; resigned_signature?: string };
}

const payloads = fixture.payloads as unknown as Payload[];
/** Rejecting comments is the project rule (docs/reliability.md I8); the fixture marks this item informational. */
const REFUSED_BY_PROJECT_RULE = new Set(['xml-comment-between-fields']);
const parsed = payloads.filter((p) => !REFUSED_BY_PROJECT_RULE.has(p.id));
const signed = payloads.filter((p) => p.signing);

describe('xml-payloads.json', () => {
  it('holds its 28 payloads and 2 merchant replies', () => {
    expect(payloads).toHaveLength(28);
    expect(fixture.merchant_replies).toHaveLength(2);
    expect(signed.length).toBeGreaterThan(20);
  });

  it.each(parsed.map((p) => [p.id, p] as const))('%s parses to exactly its expected_fields', (_, p) => {
    const fields = parseXml(p.raw_xml);
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect(Object.entries(fields)).toEqual(Object.entries(p.expected_fields)); // same pairs, same order
  });

  it.each(parsed.filter((p) => p.resigned_xml).map((p) => [p.id, p] as const))('%s: resigned_xml parses to the same fields apart from sign', (_, p) => {
    const { sign, ...rest } = parseXml(p.resigned_xml!);
    const { sign: rawSign, ...expected } = p.expected_fields;
    expect(rest).toEqual(expected);
    expect(sign).toBe(p.signing!.expected_sign);
    expect(rawSign).not.toBe(sign);
  });

  it('refuses the comment item with XML_FORBIDDEN under the project rule', () => {
    const item = payloads.find((p) => p.id === 'xml-comment-between-fields')!;
    expect(item.strictness).toBe('informational');
    expect(() => parseXml(item.raw_xml)).toThrow(XmlError);
    try {
      parseXml(item.raw_xml);
    } catch (e) {
      expect((e as XmlError).code).toBe('XML_FORBIDDEN');
    }
  });

  it('parses both merchant replies, and buildXml reproduces them byte for byte', () => {
    for (const reply of fixture.merchant_replies) {
      const fields = parseXml(reply.xml);
      expect(Object.keys(fields)).toEqual(['return_code', 'return_msg']);
      expect(buildXml(fields)).toBe(reply.xml);
    }
  });
});

describe('xml-payloads.json signatures', () => {
  it.each(signed.map((p) => [p.id, p] as const))('%s: expected_sign recomputes exactly', async (_, p) => {
    const { key, sign_type, expected_sign } = p.signing!;
    expect(await signParams(p.expected_fields, key, sign_type as SignType)).toBe(expected_sign);
  });

  it.each(signed.filter((p) => !REFUSED_BY_PROJECT_RULE.has(p.id)).map((p) => [p.id, p] as const))(
    '%s: the raw and resigned signs verify exactly as the fixture says',
    async (_, p) => {
      const { key, sign_type } = p.signing!;
      const type = sign_type as SignType;
      const rawValid = await verifyParams(parseXml(p.raw_xml), key, type);
      expect(rawValid).toBe(p.raw_sign_valid_under_key);
      if (p.expected.raw_signature_under_key) {
        expect(p.expected.raw_signature_under_key).toBe(rawValid ? 'valid' : 'invalid');
      }
      if (p.resigned_xml) {
        expect(p.expected.resigned_signature).toBe('valid');
        expect(await verifyParams(parseXml(p.resigned_xml), key, type)).toBe(true);
      }
    },
  );

  it('a signed payload rebuilt with buildXml still verifies (parse → build → parse keeps the signed fields)', async () => {
    for (const p of signed.filter((item) => item.raw_sign_valid_under_key && !REFUSED_BY_PROJECT_RULE.has(item.id))) {
      const rebuilt = parseXml(buildXml(parseXml(p.raw_xml)));
      expect(await verifyParams(rebuilt, p.signing!.key, p.signing!.sign_type as SignType), p.id).toBe(true);
    }
  });

  it('tampering with total_fee after signing breaks verification (T17)', async () => {
    const p = payloads.find((item) => item.id === 'notify-success-hmac-sha256')!;
    const fields = parseXml(p.raw_xml.replace(/<total_fee>(<!\[CDATA\[)?2990/, '<total_fee>$11'));
    expect(fields.total_fee).toBe('1');
    expect(await verifyParams(fields, p.signing!.key, 'HMAC-SHA256')).toBe(false);
  });
});
