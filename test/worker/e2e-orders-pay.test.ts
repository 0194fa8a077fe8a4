// End to end through the simulator: create → jsapi → paySign verifies → the buyer pays → notify → PAID.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { verifyParams } from '../../src/core';
import { AUTH, BUYER, api, jsapiFor, postJson, prepayIdOf, simPay } from '../support/orders-helpers';

describe('end to end', () => {
  it('an order created on the merchant API is paid in the simulator and becomes PAID by its notify', async () => {
    const no = `E2E${Date.now()}`;
    const created = await postJson('/v1/orders', { description: '会员月卡', total_fee: 1999, out_trade_no: no, openid: BUYER });
    expect(created.status).toBe(201);
    const order = (await created.json()) as Record<string, any>;
    const token = new URL(order.checkout_url).searchParams.get('t')!;

    const jsapi = await api(`/v1/orders/${no}/jsapi`, { method: 'POST', headers: { 'X-Checkout-Token': token, 'CF-Connecting-IP': '203.0.113.7' } });
    expect(jsapi.status).toBe(200);
    const params = (await jsapi.json()) as Record<string, string> & { package: string };
    const { paySign, ...signed } = params;
    expect(await verifyParams({ ...signed, sign: paySign }, env.WECHAT_API_KEY!, params.signType as 'HMAC-SHA256')).toBe(true);

    const paid = await simPay(prepayIdOf(params));
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ ok: true, err_msg: 'get_brand_wcpay_request:ok', out_trade_no: no });

    // The simulator delivers the signed notify before answering; no sync is asked for.
    const res = await api(`/v1/orders/${no}`, { headers: AUTH });
    const final = (await res.json()) as Record<string, any>;
    expect(final).toMatchObject({ status: 'PAID', transaction_id: paid.body.transaction_id, total_fee: 1999 });
    expect(final.paid_at).toBeTruthy();
    const ledger = await env.DB.prepare('SELECT amount_fen FROM ledger WHERE out_trade_no = ?1').bind(no).all();
    expect(ledger.results).toEqual([{ amount_fen: 1999 }]);

    // paid now: the pay page gets a clear 409
    const after = await jsapiFor(no);
    expect(after.status).toBe(409);
    expect(((await after.json()) as any).error.code).toBe('ORDER_PAID');
  });
});

describe('refunds through the certificate transport, against the simulator', () => {
  it('a paid order refunds through the cert transport; the plain transport is refused like live WeChat without a certificate', async () => {
    const { exports } = await import('cloudflare:workers');
    const { parseConfig } = await import('../../src/worker/platform/config');
    const { refund, refundQuery, WechatError } = await import('../../src/worker/wechat');
    const { wechatDeps } = await import('../../src/worker/compose/wiring');
    const cfg = parseConfig(env as unknown as Record<string, unknown>);
    if (!cfg.ok) throw new Error('config');
    const deps = wechatDeps(cfg.config, env, { exports });

    const no = `RFD${Date.now()}`;
    expect((await postJson('/v1/orders', { description: 'Refundable', total_fee: 1999, out_trade_no: no, openid: BUYER })).status).toBe(201);
    const params = (await (await jsapiFor(no)).json()) as { package: string };
    expect((await simPay(prepayIdOf(params))).body.ok).toBe(true);

    const request = { outTradeNo: no, outRefundNo: `${no}R1`, totalFee: 1999, refundFee: 500, signType: 'HMAC-SHA256' as const };
    const withoutCert = { ...deps, transports: { api: deps.transports.api, cert: deps.transports.api } };
    await expect(refund(withoutCert, request)).rejects.toMatchObject({ code: 'RETURN_FAIL' });
    await expect(refund(withoutCert, request)).rejects.toBeInstanceOf(WechatError);

    const accepted = await refund(deps, request);
    expect(accepted).toMatchObject({ outRefundNo: `${no}R1`, refundFee: 500 });
    expect(accepted.refundId).toBeTruthy();
    const q = await refundQuery(deps, `${no}R1`, 'HMAC-SHA256');
    expect(q.refunds.find((r) => r.outRefundNo === `${no}R1`)).toMatchObject({ refundFee: 500 });
  });
});
