import { describe, expect, it } from 'vitest';
import { api } from './orders-helpers';

describe('GET /openapi.json', () => {
  it('describes every merchant route from the zod schemas', async () => {
    const res = await api('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.openapi).toMatch(/^3\./);
    expect(
      Object.keys(doc.paths)
        .filter((p) => p.startsWith('/v1/orders'))
        .sort(),
    ).toEqual(['/v1/orders', '/v1/orders/{out_trade_no}', '/v1/orders/{out_trade_no}/close', '/v1/orders/{out_trade_no}/jsapi']);
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
});
