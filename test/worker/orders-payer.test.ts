// `openid` in the merchant view is only what the merchant named; `payer_openid` is the buyer the
// prepay was issued for (and who paid), so a merchant never mistakes one for the other.
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { issueOauthSession } from '../../src/worker/platform/buyer-session';
import { AUTH, BOB, BUYER, api, createOrder, jsapiFor, prepayIdOf, simPay } from '../support/orders-helpers';

async function sessionCookie(openid: string): Promise<string> {
  const app = new Hono().get('/', async (c) => {
    await issueOauthSession(c, env.CHECKOUT_SECRET!, openid, Date.now());
    return c.text('ok');
  });
  return (await app.request('/')).headers.get('Set-Cookie')!.split(';')[0]!;
}

async function getOrder(no: string) {
  const res = await api(`/v1/orders/${no}`, { headers: AUTH });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('openid vs payer_openid', () => {
  it('an order created without openid keeps openid null after an OAuth buyer asks for jsapi, and after paying', async () => {
    const order = await createOrder();
    expect(order).toMatchObject({ openid: null, payer_openid: null });
    const res = await jsapiFor(order.out_trade_no, { Cookie: await sessionCookie(BOB) });
    expect(res.status).toBe(200);
    expect(await getOrder(order.out_trade_no)).toMatchObject({ status: 'NOTPAY', openid: null, payer_openid: BOB });

    const paid = await simPay(prepayIdOf((await res.json()) as { package: string }), BOB);
    expect(paid.body.ok).toBe(true);
    expect(await getOrder(order.out_trade_no)).toMatchObject({ status: 'PAID', openid: null, payer_openid: BOB });
  });

  it('an order created with openid shows it as openid, and as payer_openid once the prepay is issued', async () => {
    const order = await createOrder({ openid: BUYER });
    expect(order).toMatchObject({ openid: BUYER, payer_openid: null });
    expect((await jsapiFor(order.out_trade_no)).status).toBe(200);
    expect(await getOrder(order.out_trade_no)).toMatchObject({ openid: BUYER, payer_openid: BUYER });
  });
});
