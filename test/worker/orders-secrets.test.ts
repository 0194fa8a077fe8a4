// T73/T75/T77: secrets and tokens never appear in a response body or a log line; failures are generic.
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { md5Hex } from '../../src/core';
import { createApp } from '../../src/worker/compose/app';
import { scrubSecrets } from '../../src/worker/platform/on-error';
import { makeCheckoutToken } from '../../src/worker/platform/checkout-link';
import { AUTH, BUYER, api, checkoutTokenFor, createOrder, freshNo, jsapiFor, postJson, prepayIdOf, simPay } from '../support/orders-helpers';

const SECRETS = {
  key: env.WECHAT_API_KEY!,
  keyMd5: md5Hex(env.WECHAT_API_KEY!),
  keyMd5Upper: md5Hex(env.WECHAT_API_KEY!).toUpperCase(),
  keyBase64: btoa(env.WECHAT_API_KEY!),
  appSecret: env.WECHAT_APP_SECRET!,
  merchantToken: env.MERCHANT_API_TOKEN!,
  checkoutSecret: env.CHECKOUT_SECRET!,
};

let lines: string[] = [];
beforeEach(() => {
  lines = [];
  for (const level of ['log', 'error', 'warn', 'info', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
  }
});
afterEach(() => vi.restoreAllMocks());

function expectClean(text: string, extra: Record<string, string> = {}) {
  for (const [name, secret] of Object.entries({ ...SECRETS, ...extra })) {
    expect(text.includes(secret), `${name} leaked`).toBe(false);
  }
}

async function bodyOf(res: Response): Promise<string> {
  return res.text();
}

describe('secrets never leave', () => {
  it('through the merchant API responses and log lines, success and failure alike', async () => {
    const bodies: string[] = [];
    const no = freshNo();
    const created = await postJson('/v1/orders', { description: 'Canary', total_fee: 1999, out_trade_no: no, openid: 'oTESTuser000000000000000001' });
    bodies.push(await bodyOf(created));
    bodies.push(
      await bodyOf(await postJson('/v1/orders', { description: 'Canary', total_fee: 1999, out_trade_no: no, openid: 'oTESTuser000000000000000001' })),
    );
    bodies.push(await bodyOf(await postJson('/v1/orders', { description: 'Other', total_fee: 1, out_trade_no: no })));
    bodies.push(await bodyOf(await api(`/v1/orders/${no}`, { headers: AUTH })));
    bodies.push(await bodyOf(await api('/v1/orders?limit=5', { headers: AUTH })));
    // the token presented in wrong forms is never echoed back
    bodies.push(await bodyOf(await api('/v1/orders', { headers: { Authorization: `Basic ${SECRETS.merchantToken}` } })));
    bodies.push(await bodyOf(await api('/v1/orders', { headers: { Authorization: `Bearer ${SECRETS.merchantToken} ` } })));
    bodies.push(await bodyOf(await postJson('/v1/orders', { description: 'x', total_fee: 1, sign: SECRETS.key })));
    bodies.push(await bodyOf(await postJson('/v1/orders', { description: SECRETS.key + ' ', total_fee: 1 })));
    // a wrong checkout token, and a right one, on jsapi
    const token = await makeCheckoutToken(SECRETS.checkoutSecret, no);
    bodies.push(await bodyOf(await api(`/v1/orders/${no}/jsapi`, { method: 'POST', headers: { 'X-Checkout-Token': token.slice(1) + 'A' } })));
    bodies.push(await bodyOf(await api(`/v1/orders/${freshNo()}/jsapi?t=${token}`, { method: 'POST', headers: { 'X-Checkout-Token': token } })));
    bodies.push(await bodyOf(await api('/openapi.json')));

    expect(lines.length).toBeGreaterThanOrEqual(bodies.length);
    const logText = lines.join('\n');
    expectClean(logText, { checkoutToken: token, openid: 'oTESTuser000000000000000001' });
    // The create responses legitimately carry the checkout link (for the merchant); nothing else does.
    for (const body of bodies) expectClean(body);
    for (const body of bodies.slice(3)) expect(body.includes(token) && !body.includes('checkout_url')).toBe(false);
    // every request produced exactly one structured line with the allowlisted fields
    const requestLines = lines.filter((l) => l.startsWith('{"requestId"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(requestLines).toHaveLength(bodies.length);
    for (const line of requestLines) {
      expect(Object.keys(line).every((k) => ['requestId', 'method', 'route', 'outTradeNo', 'status', 'outcome', 'latencyMs'].includes(k))).toBe(true);
    }
  });

  it('through a whole payment: jsapi params, the simulator, the notify, a sync and a close attempt', async () => {
    const order = await createOrder({ openid: BUYER });
    const token = await checkoutTokenFor(order.out_trade_no);
    const bodies: string[] = [];
    const jsapi = await jsapiFor(order.out_trade_no);
    const jsapiText = await jsapi.text();
    bodies.push(jsapiText);
    const params = JSON.parse(jsapiText) as { package: string; paySign: string };
    await simPay(prepayIdOf(params));
    bodies.push(await bodyOf(await api(`/v1/orders/${order.out_trade_no}?sync=true`, { headers: AUTH })));
    bodies.push(await bodyOf(await api(`/v1/orders/${order.out_trade_no}/close`, { method: 'POST', headers: AUTH })));
    bodies.push(await bodyOf(await jsapiFor(order.out_trade_no)));
    // the merchant's own views (GET, close) carry checkout_url by design; the buyer-facing ones never the token
    for (const body of bodies) expectClean(body);
    expectClean(bodies[0]!, { checkoutToken: token });
    expectClean(bodies[3]!, { checkoutToken: token });
    const logText = lines.join('\n');
    expect(logText).toContain(order.out_trade_no);
    // paySign is for the buyer's browser only; keys, tokens and full openids never reach a log line
    expectClean(logText, { checkoutToken: token, openid: BUYER, paySign: params.paySign });
  });

  it('an unhandled error gives a generic 500 and a scrubbed log line', async () => {
    const broken = {
      ...env,
      DB: {
        prepare() {
          throw new Error(`D1_ERROR: near "${SECRETS.key}": syntax error at /src/worker/d1/orders-repo.ts:42 token=${SECRETS.merchantToken}`);
        },
      },
    } as unknown as Env;
    const res = await createApp().fetch(new Request(`http://127.0.0.1:8787/v1/orders/${freshNo()}`, { headers: AUTH }), broken, createExecutionContext());
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: Record<string, string> };
    expect(body.error.code).toBe('INTERNAL');
    expect(body.error.message).toBe('internal error');
    expect(JSON.stringify(body)).not.toMatch(/D1_ERROR|orders-repo|stack|syntax/);
    const logText = lines.join('\n');
    expect(logText).toContain('UNHANDLED');
    expectClean(logText);
  });

  it('the log scrubber redacts every secret the config declares (console token and webhook secret too), valid config or not', async () => {
    const extra = { ADMIN_TOKEN: 'Xk3mQ8vR1tB6nW9zC4hL7pS2yF5dG0jA', WEBHOOK_SECRET: `whsec_${btoa('wxpay-edge scrubber test key, 32b')}` };
    const secrets = [
      extra.ADMIN_TOKEN,
      extra.WEBHOOK_SECRET.slice('whsec_'.length),
      SECRETS.key,
      SECRETS.appSecret,
      SECRETS.checkoutSecret,
      SECRETS.merchantToken,
    ];
    const message = `boom ${secrets.join(' ')}`;
    const broken = {
      ...env,
      ...extra,
      DB: {
        prepare() {
          throw new Error(message);
        },
      },
    } as unknown as Env;
    await createApp().fetch(new Request('http://127.0.0.1:8787/v1/orders', { headers: AUTH }), broken, createExecutionContext());
    const logText = lines.join('\n');
    expect(logText).toContain('UNHANDLED');
    for (const secret of secrets) expect(logText.includes(secret), `${secret.slice(0, 4)}… leaked`).toBe(false);
    // The list comes from the config's schema, so it holds even when the config is invalid as a whole.
    const invalid = { ...env, ...extra, WECHAT_MODE: 'live', PUBLIC_BASE_URL: 'http://not-https.example' } as unknown as Record<string, unknown>;
    const scrubbed = scrubSecrets(message, invalid);
    for (const secret of secrets) expect(scrubbed.includes(secret)).toBe(false);
    expect(scrubbed).toBe(`boom ${secrets.map(() => '[redacted]').join(' ')}`);
  });

  it('live mode with an example key fails closed: 503 CONFIG_INVALID, the log names the variable only', async () => {
    const live = { ...env, WECHAT_MODE: 'live', PUBLIC_BASE_URL: 'https://pay.example.com' } as unknown as Env;
    const app = createApp();
    for (const [method, path] of [
      ['POST', '/v1/orders'],
      ['GET', `/v1/orders/${freshNo()}`],
      ['POST', `/v1/orders/${freshNo()}/jsapi`],
      ['GET', '/v1/orders'],
    ] as const) {
      const init: RequestInit = { method, headers: { ...AUTH, 'Content-Type': 'application/json' } };
      if (method === 'POST') init.body = JSON.stringify({ description: 'x', total_fee: 1 });
      const res = await app.fetch(new Request(`https://pay.example.com${path}`, init), live, createExecutionContext());
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text).error.code).toBe('CONFIG_INVALID');
      expectClean(text);
    }
    const logText = lines.join('\n');
    expect(logText).toContain('WECHAT_API_KEY');
    expectClean(logText);
    // nothing was written for the refused create
    const n = await env.DB.prepare("SELECT count(*) AS n FROM orders WHERE description = 'x'").first<{ n: number }>();
    expect(n!.n).toBe(0);
  });

  it('created orders are readable without any secret-derived field', async () => {
    const order = await createOrder();
    expect(Object.keys(order).sort()).toEqual(
      [
        'attach',
        'bank_type',
        'cash_fee',
        'checkout_url',
        'closed_at',
        'created_at',
        'description',
        'expires_at',
        'fee_type',
        'metadata',
        'openid',
        'out_trade_no',
        'paid_at',
        'payer_openid',
        'payment_no',
        'refundable_fee',
        'refunded_fee',
        'status',
        'time_end',
        'total_fee',
        'trade_type',
        'transaction_id',
        'updated_at',
      ].sort(),
    );
  });
});
