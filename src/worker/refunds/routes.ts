// The refund API (bearer auth): POST/GET /v1/orders/:out_trade_no/refunds and GET /v1/refunds/:out_refund_no.
import { zValidator } from '@hono/zod-validator';
import { Hono, type Context } from 'hono';
import { OUT_REFUND_NO } from '../../core';
import type { HonoEnv } from '../platform/env';
import { DomainError } from '../platform/errors';
import { methodNotAllowed } from '../platform/http-answers';
import { jsonBody } from '../platform/middleware/json-body';
import { merchantAuth } from '../platform/middleware/merchant-auth';
import { configured } from '../platform/middleware/require-config';
import { createRefund } from './create';
import { getRefundView, listOrderRefunds } from './read';
import { CreateRefundBody, GetRefundQuery } from './schemas';
import { refundView } from './view';
import { outTradeNoParam } from '../orders/routes';
import { validationHook } from '../platform/validation';

function outRefundNoParam(c: Context<HonoEnv>): string {
  const value = c.req.param('out_refund_no') ?? '';
  if (!OUT_REFUND_NO.test(value)) throw new DomainError('INVALID_OUT_REFUND_NO', 'out_refund_no must be 1–64 of [A-Za-z0-9_-|*@]');
  return value;
}

export const refunds = new Hono<HonoEnv>();

// Fail closed before anything else is judged (docs/reliability.md I12).
refunds.use('/v1/orders/:out_trade_no/refunds', configured());
refunds.use('/v1/refunds/*', configured());

refunds.post('/v1/orders/:out_trade_no/refunds', merchantAuth, jsonBody(), zValidator('json', CreateRefundBody, validationHook), async (c) => {
  const outTradeNo = outTradeNoParam(c);
  const { created, refund } = await createRefund(c.var.deps, outTradeNo, c.req.valid('json'));
  c.set('outcome', created ? `REFUND_CREATED:${refund.status}` : `REFUND_REPLAY:${refund.status}`);
  return c.json(refundView(refund), created ? 201 : 200);
});

refunds.get('/v1/orders/:out_trade_no/refunds', merchantAuth, zValidator('query', GetRefundQuery, validationHook), async (c) => {
  const outTradeNo = outTradeNoParam(c);
  const rows = await listOrderRefunds(c.var.deps, outTradeNo);
  return c.json({ data: rows.map(refundView) });
});

refunds.get('/v1/refunds/:out_refund_no', merchantAuth, zValidator('query', GetRefundQuery, validationHook), async (c) => {
  const outRefundNo = outRefundNoParam(c);
  // HEAD has no side effects (§8.4): only a GET may spend a refundquery.
  const row = await getRefundView(c.var.deps, outRefundNo, c.req.method === 'GET');
  c.set('outTradeNo', row.out_trade_no);
  return c.json(refundView(row));
});

refunds.all('/v1/orders/:out_trade_no/refunds', methodNotAllowed);
refunds.all('/v1/refunds/:out_refund_no', methodNotAllowed);
