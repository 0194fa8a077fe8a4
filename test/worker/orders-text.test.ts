// Text a merchant sends must be text WeChat's XML can carry: refused at create (400 naming the field),
// never accepted and then failing every jsapi call. Also: metadata keys that reach prototype machinery.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildXml, parseXml } from '../../src/core';
import { CreateOrderBody } from '../../src/worker/orders/schemas';
import { AUTH, api, createOrder, freshNo, jsapiFor, orderCount, orderRow, postJson, BUYER } from './orders-helpers';

async function expectValidationFailed(body: Record<string, unknown>, field: string) {
  const before = await orderCount();
  const res = await postJson('/v1/orders', body);
  expect(res.status).toBe(400);
  const { error } = (await res.json()) as { error: { code: string; message: string } };
  expect(error.code).toBe('VALIDATION_FAILED');
  expect(error.message.startsWith(`${field}: `)).toBe(true);
  expect(await orderCount()).toBe(before);
  if (typeof body.out_trade_no === 'string') expect(await orderRow(body.out_trade_no)).toBeNull();
}

// Characters XML cannot carry, or that a signer on the other side would read differently.
const UNCARRIABLE: [string, string][] = [
  ['U+FFFE', '\uFFFE'],
  ['U+FFFF', '\uFFFF'],
  ['U+FDD0', '\uFDD0'],
  ['U+FDEF', '\uFDEF'],
  ['U+1FFFE', '\u{1FFFE}'],
  ['U+10FFFF', '\u{10FFFF}'],
  ['lone high surrogate', '\uD800'],
  ['lone low surrogate', '\uDC00'],
  ['NUL', '\u0000'],
  ['ESC', '\u001B'],
  ['tab', '\t'],
  ['carriage return', '\r'],
  ['DEL', '\u007F'],
  ['C1 NEL', '\u0085'],
  ['C1 U+009F', '\u009F'],
];

describe('create refuses text WeChat cannot carry', () => {
  it.each(UNCARRIABLE)('%s in description, attach, a metadata value → 400 naming the field, no row', async (_n, ch) => {
    const text = `Item ${ch} x`;
    await expectValidationFailed({ description: text, total_fee: 100, out_trade_no: freshNo() }, 'description');
    await expectValidationFailed({ description: 'Item', attach: text, total_fee: 100, out_trade_no: freshNo() }, 'attach');
    await expectValidationFailed({ description: 'Item', metadata: { note: text }, total_fee: 100, out_trade_no: freshNo() }, 'metadata.note');
  });

  it('U+FFFE used to be accepted and then fail every jsapi call with a 500', async () => {
    const res = await postJson('/v1/orders', { description: 'Item\uFFFE', total_fee: 100, out_trade_no: freshNo(), openid: BUYER });
    expect(res.status).toBe(400);
  });

  it('text at the edges of the rule is accepted and paid for (jsapi reaches the simulator)', async () => {
    const description = 'Ok \uFFFD \uFDCF \uFDF0 \u{1FFFD} \u00A0é 😀 <&]]>';
    const order = await createOrder({ description, attach: description, metadata: { note: description }, openid: BUYER });
    expect(order.description).toBe(description);
    expect((await jsapiFor(order.out_trade_no)).status).toBe(200);
  });

  it('property: whatever create accepts as description/attach survives buildXml → parseXml unchanged', () => {
    const special = fc.constantFrom(
      '\uFFFE',
      '\uFFFF',
      '\uFDD0',
      '\uFDEF',
      '\uFDCF',
      '\uFDF0',
      '\uD800',
      '\uDBFF',
      '\uDC00',
      '\uDFFF',
      '\u{1FFFE}',
      '\u{10FFFF}',
      '\u{10FFFD}',
      '\u0000',
      '\t',
      '\n',
      '\r',
      '\u007F',
      '\u0085',
      '\u00A0',
      '\u200D',
      '\uFEFF',
      ']]>',
      '<',
      '&',
      '&amp;',
      '炎',
      '😀',
      'a',
      ' ',
    );
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.string({ unit: fc.oneof(special, fc.string({ unit: 'binary', minLength: 1, maxLength: 2 })), maxLength: 30 }),
    );
    const description = CreateOrderBody.shape.description;
    let accepted = 0;
    fc.assert(
      fc.property(text, (s) => {
        if (!description.safeParse(s).success) return;
        accepted++;
        expect(parseXml(buildXml({ body: s, attach: s })).body).toBe(s);
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it('property: whatever create accepts as a metadata value is also carriable', () => {
    const value = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(value, (s) => {
        if (!CreateOrderBody.shape.metadata.safeParse({ k: s }).success) return;
        expect(parseXml(buildXml({ v: s })).v).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('metadata keys that reach prototype machinery', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('metadata key %s → 400 naming it, no row', async (key) => {
    const no = freshNo();
    const raw = `{"description":"Item","total_fee":100,"out_trade_no":"${no}","metadata":{"a":"b","${key}":"x"}}`;
    const before = await orderCount();
    const res = await api('/v1/orders', { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/json' }, body: raw });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain(`metadata.${key}`);
    expect(await orderCount()).toBe(before);
    expect(await orderRow(no)).toBeNull();
  });

  it('a __proto__ key can no longer turn a conflicting replay into a 200', async () => {
    const no = freshNo();
    const created = await postJson('/v1/orders', { description: 'Item', total_fee: 100, out_trade_no: no, metadata: { a: 'b' } });
    expect(created.status).toBe(201);
    const raw = `{"description":"Item","total_fee":100,"out_trade_no":"${no}","metadata":{"a":"b","__proto__":"x"}}`;
    const replay = await api('/v1/orders', { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/json' }, body: raw });
    expect(replay.status).toBe(400);
    expect(((await orderRow(no)) as Record<string, unknown>).metadata).toBe('{"a":"b"}');
  });
});
