// docs/reliability.md §8: every bad input gets a 4xx with a stable code, and nothing is written.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/worker/compose/app';
import { AUTH, BASE, api, createOrder, freshNo, orderCount } from '../support/orders-helpers';

type Case = [name: string, init: RequestInit, status: number, code: string];

const json = (body: string, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { ...AUTH, 'Content-Type': 'application/json', ...headers },
  body,
});
const valid = () => ({ description: 'Item', total_fee: 100, out_trade_no: freshNo() });
const withField = (field: string, value: unknown) => json(JSON.stringify({ ...valid(), [field]: value }));
// JSON text with a raw (unquoted) value, for numbers JSON.stringify cannot write.
const rawFee = (raw: string) => json(`{"description":"Item","out_trade_no":"${freshNo()}","total_fee":${raw}}`);

/**
 * Straight into the app, not through a service binding: for a streamed body the app stops reading,
 * workerd's pump of the unread rest into the closed pipe fails with an "uncaught exception" no code
 * of ours can catch.
 */
async function inIsolate(path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(new Request(BASE + path, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function expectRejected(path: string, init: RequestInit, status: number, code: string, send = api) {
  const before = await orderCount();
  const res = await send(path, init);
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(await orderCount()).toBe(before);
}

describe('§8.1 #1 create: body shape and media type', () => {
  const cases: Case[] = [
    ['absent body', { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/json' } }, 400, 'INVALID_JSON'],
    ['empty string', json(''), 400, 'INVALID_JSON'],
    ['JSON string ""', json('""'), 400, 'VALIDATION_FAILED'],
    ['null', json('null'), 400, 'VALIDATION_FAILED'],
    ['[]', json('[]'), 400, 'VALIDATION_FAILED'],
    ['"x"', json('"x"'), 400, 'VALIDATION_FAILED'],
    ['1', json('1'), 400, 'VALIDATION_FAILED'],
    ['non-JSON', json('{description: Item}'), 400, 'INVALID_JSON'],
    [
      'text/plain',
      { method: 'POST', headers: { ...AUTH, 'Content-Type': 'text/plain' }, body: JSON.stringify({ description: 'I', total_fee: 1 }) },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'form-urlencoded',
      { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'description=I&total_fee=1' },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['no Content-Type', { method: 'POST', headers: AUTH, body: JSON.stringify({ description: 'I', total_fee: 1 }) }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    // A JSON type whose parameters cannot be read is refused in the envelope, never an anonymous 500.
    ...['application/json;', 'application/json ; charset=utf-8'].map(
      (type): Case => [type, json(JSON.stringify({ description: 'I', total_fee: 1 }), { 'Content-Type': type }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ),
  ];
  it.each(cases)('%s → %i %s', (_n, init, status, code) => expectRejected('/v1/orders', init, status, code));
});

describe('§8.1 #2 create: fields the client may not set', () => {
  const forbidden = [
    'amount',
    'price',
    'appid',
    'mch_id',
    'notify_url',
    'spbill_create_ip',
    'sign',
    'sign_type',
    'time_expire',
    'status',
    'prepay_id',
    'fee_type',
  ];
  it.each(forbidden)('%s → 400 VALIDATION_FAILED', (field) =>
    expectRejected('/v1/orders', withField(field, field === 'amount' ? 1 : 'x'), 400, 'VALIDATION_FAILED'),
  );
});

describe('§8.1 #3/#5 create: total_fee must be a JSON integer in 1..MAX_TOTAL_FEE', () => {
  const raws = ['null', '""', '"1"', '0', '-1', '-0', '1.5', '1e-7', '1e21', '9007199254740993', '1e400', 'true', '[]', '{}', '"0x10"', '" 1"', '"１"', '"١"'];
  it.each(raws)('total_fee: %s → 400 VALIDATION_FAILED', (raw) => expectRejected('/v1/orders', rawFee(raw), 400, 'VALIDATION_FAILED'));
  it('missing total_fee → 400', () =>
    expectRejected('/v1/orders', json(JSON.stringify({ description: 'I', out_trade_no: freshNo() })), 400, 'VALIDATION_FAILED'));
  it('above Int32 → 400 TOTAL_FEE_TOO_LARGE', () => expectRejected('/v1/orders', rawFee('2147483648'), 400, 'TOTAL_FEE_TOO_LARGE'));
});

describe('§8.1 #6 create: text that reaches unifiedorder', () => {
  const bad: [string, string][] = [
    ['empty', ''],
    ['128 CJK characters (384 bytes)', '炎'.repeat(128)],
    ['43 CJK characters (129 bytes)', '炎'.repeat(43)],
    ['U+202E', 'abc\u202Edef'],
    ['zero-width space', 'ab\u200Bc'],
    ['NUL', 'a\u0000b'],
    ['newline', 'a\nb'],
    ['lone surrogate', 'a\ud800b'],
    ['leading space', ' Item'],
    ['trailing ideographic space', 'Item\u3000'],
    ['byte order mark', '\uFEFFItem'],
  ];
  it.each(bad)('description %s → 400', (_n, value) => expectRejected('/v1/orders', withField('description', value), 400, 'VALIDATION_FAILED'));
  it.each(bad)('attach %s → 400', (_n, value) => expectRejected('/v1/orders', withField('attach', value), 400, 'VALIDATION_FAILED'));
  it('exactly 127 bytes (42 CJK + 1 ASCII) is accepted', async () => {
    const order = await createOrder({ description: '炎'.repeat(42) + 'x' });
    expect(order.description).toBe('炎'.repeat(42) + 'x');
  });
});

describe('§8.1 #8/#9 create: out_trade_no, openid, expiry, metadata', () => {
  const cases: [string, string, unknown][] = [
    ['out_trade_no 5 chars', 'out_trade_no', 'abcde'],
    ['out_trade_no 33 chars', 'out_trade_no', 'a'.repeat(33)],
    ['out_trade_no ../x', 'out_trade_no', '../x123'],
    ['out_trade_no CJK', 'out_trade_no', '订单订单订单'],
    ['out_trade_no %00', 'out_trade_no', 'abc%00def'],
    ['out_trade_no with space', 'out_trade_no', 'abc def'],
    ['out_trade_no number', 'out_trade_no', 12345678],
    ['openid with space', 'openid', 'oTEST user'],
    ['openid empty', 'openid', ''],
    ['expires_in_minutes 4', 'expires_in_minutes', 4],
    ['expires_in_minutes 1441', 'expires_in_minutes', 1441],
    ['expires_in_minutes 5.5', 'expires_in_minutes', 5.5],
    ['expires_in_minutes "10"', 'expires_in_minutes', '10'],
    ['metadata array', 'metadata', ['a']],
    ['metadata nested', 'metadata', { a: { b: 'c' } }],
    ['metadata number value', 'metadata', { a: 1 }],
    ['metadata 21 keys', 'metadata', Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']))],
    ['metadata bad key', 'metadata', { 'a b': 'c' }],
  ];
  it.each(cases)('%s → 400', (_n, field, value) => expectRejected('/v1/orders', withField(field, value), 400, 'VALIDATION_FAILED'));
});

describe('§8.1 #10 create: JSON edge cases', () => {
  it('a __proto__ key → 400 and no pollution', async () => {
    await expectRejected(
      '/v1/orders',
      json(`{"description":"I","total_fee":1,"out_trade_no":"${freshNo()}","__proto__":{"polluted":1}}`),
      400,
      'VALIDATION_FAILED',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('a constructor key → 400', () => expectRejected('/v1/orders', withField('constructor', { prototype: 1 }), 400, 'VALIDATION_FAILED'));
  const deep = (n: number) => json(`{"description":"I","total_fee":1,"metadata":${'['.repeat(n)}${']'.repeat(n)}}`);
  it('10,000-deep nesting (20 KB) → 413 before any parse', () => expectRejected('/v1/orders', deep(10_000), 413, 'PAYLOAD_TOO_LARGE'));
  it('8,000-deep nesting within the size cap → 400, never a 500', () => expectRejected('/v1/orders', deep(8_000), 400, 'VALIDATION_FAILED'));
  it('a body over 16 KiB → 413', () => expectRejected('/v1/orders', withField('metadata', { a: 'x'.repeat(17 * 1024) }), 413, 'PAYLOAD_TOO_LARGE'));
  it('a chunked body over 16 KiB (no Content-Length) → 413', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(1024));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    await expectRejected(
      '/v1/orders',
      { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/json' }, body: stream },
      413,
      'PAYLOAD_TOO_LARGE',
      inIsolate,
    );
  });
  it('duplicate keys: the last one wins, as with JSON.parse (documented)', async () => {
    const no = freshNo();
    const res = await api('/v1/orders', json(`{"description":"I","total_fee":1,"total_fee":7,"out_trade_no":"${no}"}`));
    expect(res.status).toBe(201);
    expect(((await res.json()) as any).total_fee).toBe(7);
  });
});

describe('authentication', () => {
  const bodies = () => JSON.stringify(valid());
  const cases: [string, Record<string, string>][] = [
    ['no Authorization', {}],
    ['wrong token', { Authorization: 'Bearer not-the-token-not-the-token' }],
    ['token with a suffix', { Authorization: `${AUTH.Authorization}x` }],
    ['Basic scheme', { Authorization: `Basic ${btoa('merchant:' + AUTH.Authorization.slice(7))}` }],
    ['lowercase scheme with a double space', { Authorization: `bearer  ${AUTH.Authorization.slice(7)}` }],
    ['empty bearer', { Authorization: 'Bearer ' }],
  ];
  it.each(cases)('create with %s → 401', async (_n, headers) => {
    await expectRejected('/v1/orders', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: bodies() }, 401, 'UNAUTHORIZED');
  });
  it.each(cases)('get with %s → 401', async (_n, headers) => {
    const order = await createOrder();
    const res = await api(`/v1/orders/${order.out_trade_no}`, { headers });
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
    expect(((await res.json()) as any).error.code).toBe('UNAUTHORIZED');
  });
  it('an unauthenticated bad body gets 401, not a schema hint', () =>
    expectRejected('/v1/orders', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"amount":1}' }, 401, 'UNAUTHORIZED'));
  it.each(['/v1/orders', '/v1/orders?status=PAID'])('list %s without a token → 401', async (path) => {
    const res = await api(path);
    expect(res.status).toBe(401);
  });
  it('close without a token → 401 and nothing changes', async () => {
    const order = await createOrder();
    await expectRejected(`/v1/orders/${order.out_trade_no}/close`, { method: 'POST' }, 401, 'UNAUTHORIZED');
  });
});

describe('§8.3 #1 malformed order numbers in the path', () => {
  const ids: [string, string, number, string][] = [
    ['too short', 'abc', 400, 'INVALID_OUT_TRADE_NO'],
    ['33 chars', 'a'.repeat(33), 400, 'INVALID_OUT_TRADE_NO'],
    ['CJK', encodeURIComponent('订单订单订单'), 400, 'INVALID_OUT_TRADE_NO'],
    ['encoded slash', 'abc%2F..%2Fdef', 400, 'INVALID_OUT_TRADE_NO'],
    ['%00', 'abcdef%00', 400, 'INVALID_OUT_TRADE_NO'],
    ['10 KB', 'a'.repeat(10_000), 400, 'INVALID_OUT_TRADE_NO'],
  ];
  it.each(ids)('GET %s → %i %s', async (_n, id, status, code) => {
    const res = await api(`/v1/orders/${id}`, { headers: AUTH });
    expect(res.status).toBe(status);
    expect(((await res.json()) as any).error.code).toBe(code);
  });
  it.each(ids)('close %s → %i %s', (_n, id, status, code) => expectRejected(`/v1/orders/${id}/close`, { method: 'POST', headers: AUTH }, status, code));
  it.each(ids)('jsapi %s → %i %s', (_n, id, status, code) => expectRejected(`/v1/orders/${id}/jsapi`, { method: 'POST', headers: AUTH }, status, code));
});

describe('list query validation', () => {
  const queries = [
    'status=BOGUS',
    'created_from=yesterday',
    'created_to=2026-13-01T00:00:00Z',
    'limit=0',
    'limit=101',
    'limit=abc',
    'cursor=!!',
    'cursor=bm90LWEtY3Vyc29y',
    'unknown=1',
    'status=PAID&status=CLOSED',
  ];
  it.each(queries)('?%s → 400 VALIDATION_FAILED', async (q) => {
    const res = await api(`/v1/orders?${q}`, { headers: AUTH });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('VALIDATION_FAILED');
  });
  const messageOf = async (path: string, init: RequestInit = { headers: AUTH }) => {
    const res = await api(path, init);
    expect(res.status).toBe(400);
    return ((await res.json()) as any).error.message as string;
  };
  it('an unknown query parameter is named as a query parameter, not as the body', async () => {
    expect(await messageOf('/v1/orders?foo=1')).toBe('query: unrecognized parameter "foo"');
    expect(await messageOf('/v1/orders/abcdef123?foo=1&bar=2')).toBe('query: unrecognized parameters "foo", "bar"');
  });
  it('an unknown body field still names the body', async () => {
    expect(await messageOf('/v1/orders', withField('foo', 1))).toBe('body: unrecognized field "foo"');
  });
  it.each(['0', '101', 'abc', '1.5'])('?limit=%s says the range in words', async (limit) => {
    expect(await messageOf(`/v1/orders?limit=${limit}`)).toBe('limit: must be an integer from 1 to 100');
  });
});

describe('§8.4 methods', () => {
  const cases: [string, string][] = [
    ['PUT', '/v1/orders'],
    ['DELETE', '/v1/orders'],
    ['PATCH', '/v1/orders/abcdef123'],
    ['DELETE', '/v1/orders/abcdef123'],
    ['GET', '/v1/orders/abcdef123/close'],
    ['GET', '/v1/orders/abcdef123/jsapi'],
  ];
  it.each(cases)('%s %s → 405', (method, path) => expectRejected(path, { method, headers: AUTH }, 405, 'METHOD_NOT_ALLOWED'));
  it.each(['/v1/orders', '/v1/orders/abcdef123', '/v1/orders/abcdef123/close'])('OPTIONS %s → 204 with no body and nothing written', async (path) => {
    const before = await orderCount();
    const res = await api(path, { method: 'OPTIONS', headers: AUTH });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await orderCount()).toBe(before);
  });
  it('HEAD on an order answers without a body', async () => {
    const order = await createOrder();
    const res = await api(`/v1/orders/${order.out_trade_no}?sync=true`, { method: 'HEAD', headers: AUTH });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
  it('an unknown route → 404 NOT_FOUND envelope', async () => {
    const res = await api('/v1/nothing', { headers: AUTH });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe('NOT_FOUND');
  });
});
