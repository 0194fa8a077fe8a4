/**
 * WeChat Pay API v3 (docs/wechatpay-v3.md §6), mounted at `/sandbox/v3`: prepay (jsapi, native, h5, app),
 * query by out_trade_no or transaction_id, close, domestic refunds and their query, the trade bill and
 * its download, and the platform certificates. The decisions are the v2 ones over the same simulated
 * state (src/sandbox/trade.ts, refund.ts, bill.ts); this file only speaks v3.
 */
import { Hono } from 'hono';
import { encryptResource, formatV3Time, nonceStr, SANDBOX_PLATFORM_CERTIFICATE, SANDBOX_PLATFORM_SERIAL } from '../../core';
import { scheduleRefundNotify } from '../deliveries';
import { shaped } from '../routes/shaped';
import { v3Error } from './errors';
import { apiV3AesKey } from './notify';
import { refundFields, refundObject } from './refunds';
import { PLATFORM_CERT_VALIDITY } from './signer';
import { checkMchid, PREPAY_PATHS, type PrepayPath, prepayAnswer, prepayFields, transactionObject } from './transactions';
import { answer, fail, onV3Error, sandboxBase, signed, stubOf, type V3Env, v3Gate } from './wire';

export const v3Api = new Hono<V3Env>();
v3Api.use('*', v3Gate);
v3Api.onError(onV3Error);

/** Calls that are not a prepay carry no appid; the decisions they reach do not read the kind. */
const NO_APP = { appKind: 'mp' as const };

for (const path of Object.keys(PREPAY_PATHS) as PrepayPath[]) {
  v3Api.post(`/pay/transactions/${path}`, async (c) => {
    const m = c.get('merchant');
    const t = prepayFields(c.get('v3').body!, path, m);
    if ('status' in t) return fail(c, t);
    const r = await stubOf(c).apiV3('unifiedorder', { fields: t.fields, signType: 'RSA' }, { appKind: t.appKind, sandboxBase: sandboxBase(c) });
    return answer(c, r, (f) => [200, prepayAnswer(path, f)]);
  });
}

/** Query by out_trade_no (any order) or by transaction_id (paid orders only, as WeChat). */
for (const [route, field] of [
  ['/pay/transactions/out-trade-no/:no', 'out_trade_no'],
  ['/pay/transactions/id/:no', 'transaction_id'],
] as const) {
  v3Api.get(route, async (c) => {
    const m = c.get('merchant');
    const bad = checkMchid(c.req.query('mchid'), m, 'query');
    if (bad) return fail(c, bad);
    const r = await stubOf(c).apiV3('orderquery', { fields: { [field]: c.req.param('no'), mch_id: m.mchId }, signType: 'RSA' }, { ...NO_APP, sandboxBase: '' });
    return answer(c, r, () => [200, transactionObject(r.current!, m.mchId)]);
  });
}

/** 204 on success; a paid order is 400 ORDER_PAID, a closed one 400 ORDER_CLOSED, before 5 minutes 400 INVALID_REQUEST. */
v3Api.post('/pay/transactions/out-trade-no/:no/close', async (c) => {
  const m = c.get('merchant');
  const bad = checkMchid(typeof c.get('v3').body?.mchid === 'string' ? (c.get('v3').body!.mchid as string) : undefined, m, 'body');
  if (bad) return fail(c, bad);
  const r = await stubOf(c).apiV3(
    'closeorder',
    { fields: { out_trade_no: c.req.param('no'), mch_id: m.mchId }, signType: 'RSA' },
    { ...NO_APP, sandboxBase: '' },
  );
  return answer(c, r, () => [204, undefined]);
});

v3Api.post('/refund/domestic/refunds', async (c) => {
  const m = c.get('merchant');
  const t = refundFields(c.get('v3').body!);
  if ('status' in t) return fail(c, t);
  const r = await stubOf(c).apiV3('refund', { fields: t.fields, signType: 'RSA' }, { ...NO_APP, sandboxBase: '' });
  if (r.refund) await scheduleRefundNotify(c.env, m, r.refund, r.scenario ?? {});
  return answer(c, r, () => [200, refundObject(r.record!, r.current!)], {
    ORDERNOTEXIST: ['RESOURCE_NOT_EXISTS', '订单不存在'],
  });
});

v3Api.get('/refund/domestic/refunds/:out_refund_no', async (c) => {
  const r = await stubOf(c).apiV3('refundquery', { fields: { out_refund_no: c.req.param('out_refund_no') }, signType: 'RSA' }, { ...NO_APP, sandboxBase: '' });
  return answer(c, r, () => [200, refundObject(r.record!, r.current!)], { REFUNDNOTEXIST: ['RESOURCE_NOT_EXISTS', '退款单不存在'] });
});

/** `download_url` lives 5 minutes on the sandbox clock (docs/wechatpay-v3.md §6.6: 30 s or 5 min). */
const BILL_URL_TTL_MS = 5 * 60_000;
const BILL_TYPES = ['ALL', 'SUCCESS', 'REFUND'];

v3Api.get('/bill/tradebill', async (c) => {
  const m = c.get('merchant');
  const q = c.req.query();
  const date = /^\d{4}-\d{2}-\d{2}$/.test(q.bill_date ?? '') ? q.bill_date!.replaceAll('-', '') : undefined;
  if (!date) return fail(c, v3Error(400, 'PARAM_ERROR', 'bill_date格式错误，应为YYYY-MM-DD', { field: 'bill_date', location: 'query' }));
  const billType = q.bill_type ?? 'ALL';
  if (!BILL_TYPES.includes(billType))
    return fail(c, v3Error(400, 'PARAM_ERROR', 'bill_type只能是ALL、SUCCESS或REFUND', { field: 'bill_type', location: 'query' }));
  if (q.tar_type !== undefined && q.tar_type !== 'GZIP')
    return fail(c, v3Error(400, 'PARAM_ERROR', 'tar_type只能是GZIP', { field: 'tar_type', location: 'query' }));
  const stub = stubOf(c);
  const bill = await stub.v3TradeBill({ mchId: m.mchId }, date, billType, q.tar_type === 'GZIP', BILL_URL_TTL_MS);
  let res: Response;
  if (bill.ok) {
    const body = { hash_type: 'SHA1', hash_value: bill.sha1, download_url: `${sandboxBase(c)}/v3/billdownload/file?token=${bill.token}` };
    res = await signed(c, await stub.v3Signer(), 200, body);
  } else if (bill.error_code === '20002') res = fail(c, v3Error(400, 'NO_STATEMENT_EXIST', '要下载的账单不存在'));
  else if (bill.return_msg === 'invalid bill_date') res = fail(c, v3Error(400, 'PARAM_ERROR', 'bill_date超出可下载范围（最近3个月，不含今天）'));
  else res = fail(c, v3Error(500, 'SYSTEM_ERROR', `系统错误（${bill.return_msg}）`));
  return shaped(c.req.raw.signal, bill.fault, () => res);
});

/** The file itself: a v3-signed GET of the download_url; the bytes are not signed (the hash is the check, §6.6). */
v3Api.get('/billdownload/file', async (c) => {
  const file = await stubOf(c).v3BillFile({ mchId: c.get('merchant').mchId }, c.req.query('token') ?? '');
  if (!file?.result.ok) return fail(c, v3Error(400, 'INVALID_REQUEST', 'download_url无效或已过期，请重新申请'));
  if (file.gzipped) return new Response(file.gzipped, { headers: { 'Content-Type': 'application/x-gzip', 'Request-ID': c.get('v3').requestId } });
  return new Response(file.result.text, { headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Request-ID': c.get('v3').requestId } });
});

/** The platform certificate, encrypted under the merchant's APIv3 key (§4.2); none in `public_key_only` mode. */
v3Api.get('/certificates', async (c) => {
  const mode = await stubOf(c).v3Signer();
  if (mode === 'public_key_only') return fail(c, v3Error(404, 'RESOURCE_NOT_EXISTS', '无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥'));
  const sealed = await encryptResource(await apiV3AesKey(c.get('merchant').v3.apiV3Key), SANDBOX_PLATFORM_CERTIFICATE, nonceStr(12), 'certificate');
  const data = [
    {
      serial_no: SANDBOX_PLATFORM_SERIAL,
      effective_time: formatV3Time(new Date(PLATFORM_CERT_VALIDITY.notBefore)),
      expire_time: formatV3Time(new Date(PLATFORM_CERT_VALIDITY.notAfter)),
      encrypt_certificate: { algorithm: sealed.algorithm, nonce: sealed.nonce, associated_data: sealed.associated_data, ciphertext: sealed.ciphertext },
    },
  ];
  return signed(c, mode, 200, { data });
});
