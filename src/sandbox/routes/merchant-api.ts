/**
 * The WeChat Pay v2 merchant API, XML over POST: /pay/unifiedorder, /pay/orderquery,
 * /pay/closeorder, /secapi/pay/refund, /pay/refundquery (signed replies) and /pay/downloadbill
 * (text or gzip, unsigned; errors as XML).
 */
import { Hono } from 'hono';
import { buildXml, SANDBOX_CLIENT_CERT_HEADER } from '../../core';
import { scheduleRefundNotify } from '../deliveries';
import { merchantStub, type SandboxEnv } from '../hono-env';
import { returnFail } from '../outcome';
import type { Endpoint } from '../scenarios';
import { readRequest, replyXml, xmlResponse } from '../wire';
import { shaped } from './shaped';

const API: readonly [string, Exclude<Endpoint, 'downloadbill'>][] = [
  ['/pay/unifiedorder', 'unifiedorder'],
  ['/pay/orderquery', 'orderquery'],
  ['/pay/closeorder', 'closeorder'],
  ['/secapi/pay/refund', 'refund'],
  ['/pay/refundquery', 'refundquery'],
];

export const merchantApi = new Hono<SandboxEnv>();

for (const [path, endpoint] of API) {
  merchantApi.all(path, async (c) => {
    const m = c.get('merchant');
    const stub = merchantStub(c.env, m.mchId);
    // Live WeChat refuses /secapi/ without the merchant's client certificate at the TLS layer. The
    // simulator cannot see TLS on loopback: the gateway's certificate transport sets this header.
    if (endpoint === 'refund' && c.req.header(SANDBOX_CLIENT_CERT_HEADER) !== m.mchId) {
      return xmlResponse(await replyXml(returnFail('请使用商户API证书请求 (CERT_REQUIRED)'), m, 'MD5'));
    }
    const read = await readRequest(c.req.raw, m);
    if (!read.ok) {
      await stub.recordRejected(endpoint, read.fields?.out_trade_no, read.outcome.kind === 'return_fail' ? read.outcome.return_msg : 'FAIL');
      return xmlResponse(await replyXml(read.outcome, m, 'MD5'));
    }
    // mweb_url points under the simulator's own mount (`…/sandbox`), on PUBLIC_BASE_URL's origin.
    const sandboxBase = m.publicOrigin + new URL(c.req.url).pathname.slice(0, -path.length);
    const result = await stub.api(endpoint, read.req, { appKind: read.appKind, sandboxBase });
    if (result.refund) await scheduleRefundNotify(c.env, m, result.refund, result.scenario ?? {});
    // Replies name the request's appid; orderquery's names the order's own (the outcome carries it).
    const xml = await replyXml(result.outcome, m, read.req.signType, read.req.fields.appid);
    return shaped(c.req.raw.signal, result.fault, () => xmlResponse(xml));
  });
}

const billError = (return_msg: string, error_code: string) => xmlResponse(buildXml({ return_code: 'FAIL', return_msg, error_code }));

merchantApi.all('/pay/downloadbill', async (c) => {
  const m = c.get('merchant');
  const read = await readRequest(c.req.raw, m);
  if (!read.ok) {
    const msg = read.outcome.kind === 'return_fail' ? read.outcome.return_msg : 'FAIL';
    return billError(msg === '签名错误' ? 'sign error' : msg, '20001');
  }
  const f = read.req.fields;
  if (f.tar_type !== undefined && f.tar_type !== 'GZIP') return billError('invalid tar_type', '20001');
  const { result, gzipped, fault } = await merchantStub(c.env, m.mchId).downloadBill(
    { mchId: m.mchId },
    f.bill_date,
    f.bill_type ?? 'ALL',
    f.tar_type === 'GZIP',
  );
  if (!result.ok) return billError(result.return_msg, result.error_code);
  if (gzipped) return shaped(c.req.raw.signal, fault, () => new Response(gzipped, { headers: { 'Content-Type': 'application/x-gzip' } }));
  return shaped(c.req.raw.signal, fault, () => new Response(result.text, { headers: { 'Content-Type': 'text/plain; charset=utf-8' } }));
});
