import { describe, expect, it } from 'vitest';
import { api } from '../support/orders-helpers';

describe('GET /openapi.json', () => {
  it('describes every merchant route from the zod schemas', async () => {
    const res = await api('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/events',
      '/v1/events/{id}',
      '/v1/events/{id}/redeliver',
      '/v1/miniprogram/session',
      '/v1/orders',
      '/v1/orders/{out_trade_no}',
      '/v1/orders/{out_trade_no}/close',
      '/v1/orders/{out_trade_no}/events',
      '/v1/orders/{out_trade_no}/jsapi',
      '/v1/orders/{out_trade_no}/payments',
      '/v1/orders/{out_trade_no}/refunds',
      '/v1/reconciliations',
      '/v1/reconciliations/{bill_date}',
      '/v1/refunds/{out_refund_no}',
    ]);
    expect(Object.keys(doc.paths['/v1/orders'])).toEqual(['post', 'get']);
    const create = doc.components.schemas.CreateOrderRequest;
    expect(create.required.sort()).toEqual(['description', 'total_fee']);
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.total_fee).toMatchObject({ type: 'integer', minimum: 1 });
    expect(create.properties.expires_in_minutes).toMatchObject({ type: 'integer', minimum: 5, maximum: 1440 });
    expect(create.properties.out_trade_no.pattern).toBe('^[A-Za-z0-9_\\-|*]{6,32}$');
    expect(Object.keys(doc.components.schemas.JsapiParams.properties).sort()).toEqual(['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
    const listParams = doc.paths['/v1/orders'].get.parameters.map((p: any) => p.name).sort();
    expect(listParams).toEqual(['created_from', 'created_to', 'cursor', 'limit', 'status']);
    expect(doc.paths['/v1/orders/{out_trade_no}/jsapi'].post.security).toEqual([{ checkoutToken: [] }, { merchantBearer: [] }]);
  });

  it('states description/attach limits in UTF-8 bytes, with no character maxLength that would contradict them', async () => {
    const doc = (await (await api('/openapi.json')).json()) as any;
    const create = doc.components.schemas.CreateOrderRequest;
    for (const field of ['description', 'attach']) {
      expect(create.properties[field].description).toMatch(/127 UTF-8 bytes/);
      expect(create.properties[field]).not.toHaveProperty('maxLength');
      expect(create.properties[field].minLength).toBe(1);
    }
  });

  it('the Order schema has payer_openid beside the merchant-named openid', async () => {
    const doc = (await (await api('/openapi.json')).json()) as any;
    const order = doc.components.schemas.Order;
    expect(order.required).toEqual(expect.arrayContaining(['openid', 'payer_openid']));
    expect(order.properties.payer_openid.description).toMatch(/paid|prepay/);
    expect(order.properties.openid.description).toMatch(/merchant|you/i);
  });

  it("documents the refund API: its request, the refund object with its states, and the order's refund sums", async () => {
    const doc = (await (await api('/openapi.json')).json()) as any;
    const create = doc.components.schemas.CreateRefundRequest;
    expect(create.required).toEqual(['refund_fee']);
    expect(create.additionalProperties).toBe(false);
    expect(Object.keys(create.properties).sort()).toEqual(['out_refund_no', 'reason', 'refund_fee']);
    expect(create.properties.refund_fee).toMatchObject({ type: 'integer', minimum: 1 });
    expect(create.properties.out_refund_no.pattern).toBe('^[0-9A-Za-z_\\-|*@]{1,64}$');
    const refund = doc.components.schemas.Refund;
    expect(refund.properties.status.enum).toEqual(['SUBMITTING', 'PROCESSING', 'SUCCESS', 'CHANGE', 'REFUNDCLOSE', 'FAILED']);
    expect(refund.properties.status.description).toContain('NOTENOUGH');
    expect(Object.keys(doc.paths['/v1/orders/{out_trade_no}/refunds']).sort()).toEqual(['get', 'post']);
    const post = doc.paths['/v1/orders/{out_trade_no}/refunds'].post;
    expect(Object.keys(post.responses).sort()).toEqual(['200', '201', '400', '401', '404', '409', '413', '415', '503']);
    for (const code of [
      'REFUND_EXCEEDS_PAID',
      'ORDER_NOT_REFUNDABLE',
      'IDEMPOTENCY_CONFLICT',
      'REFUND_LIMIT_REACHED',
      'REFUND_WINDOW_EXPIRED',
      'REFUND_UNAVAILABLE',
    ]) {
      expect(post.description).toContain(code);
    }
    expect(doc.components.schemas.Order.required).toEqual(expect.arrayContaining(['refunded_fee', 'refundable_fee']));
    expect(doc.components.schemas.Error.properties.error.properties.refundable_fee.type).toBe('integer');
  });
});
