/**
 * The buyer's clients: the in-WeChat pay sheet (GET /pay-sheet.js and the server-side check of
 * getBrandWCPayRequest's parameters exactly as WeChat makes it, docs/wechatpay-v2.md §7), the
 * mini-program's wx.requestPayment (POST /sim/request-payment), the APP SDK's PayReq (POST /sim/app-pay,
 * docs/wechatpay-v2.md §23.4), and POST /sim/pay, the documented way for scripts and tests to pay any order
 * by its prepay_id, code_url or mweb_url without a browser.
 */
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { APP_PAY_PACKAGE, formatYuan, rsaVerify, SIGN_TYPES, v3Lines, verifyParams } from '../../core';
import { merchantStub, type SandboxEnv } from '../hono-env';
import { PAY_SHEET_JS } from '../pay-sheet-script';
import type { OrderSignType, SimOrder } from '../state';
import { PAY_REFUSAL_DESC, type PayHandle, type PayRefusal } from '../trade';
import { USER_NAME } from '../users';
import { merchantVerifyingKey } from '../v3/auth';
import { jsonBody, parseMwebUrl, payAndNotify, refusalStatus, type PayOutcome } from './payment';

const PAY_KEYS = ['appId', 'timeStamp', 'nonceStr', 'package', 'signType', 'paySign'] as const;
const FAIL = 'get_brand_wcpay_request:fail';

export const paySheet = new Hono<SandboxEnv>();

paySheet.get(
  '/pay-sheet.js',
  () => new Response(PAY_SHEET_JS, { headers: { 'Content-Type': 'application/javascript; charset=utf-8', 'Cache-Control': 'no-store' } }),
);

// A merchant H5 on another origin may load the sheet too.
paySheet.use('/sim/check-pay-params', cors({ origin: '*', allowMethods: ['POST'], allowHeaders: ['Content-Type'] }));
paySheet.use('/sim/pay', cors({ origin: '*', allowMethods: ['POST'], allowHeaders: ['Content-Type'] }));

type JsapiCheck = { ok: true; order: SimOrder } | { ok: false; reason: string; err_desc: string };

/**
 * The checks WeChat makes on the JSAPI pay parameters, for the 公众号 bridge and the mini-program alike
 * (same fields and paySign, docs/wechatpay-v2.md §23.3): `appId` is the application the client runs in.
 */
async function checkJsapiParams(c: Context<SandboxEnv>, appId: string, p: Record<string, unknown>, label: string): Promise<JsapiCheck> {
  const m = c.get('merchant');
  const fail = (reason: string, err_desc: string): JsapiCheck => ({ ok: false, reason, err_desc });
  for (const k of PAY_KEYS) {
    if (p[k] === undefined || p[k] === null || p[k] === '') return fail('MISSING_PARAM', `调用支付${label}缺少参数：${k}`);
    if (typeof p[k] !== 'string') return fail('NOT_A_STRING', `${k}必须是字符串`);
  }
  const v = p as Record<(typeof PAY_KEYS)[number], string>;
  if (v.appId !== appId) return fail('APPID_MISMATCH', 'appId与商户号不匹配');
  if (!/^[0-9]{1,12}$/.test(v.timeStamp)) return fail('BAD_TIMESTAMP', 'timeStamp必须是秒级时间戳字符串');
  if (v.nonceStr.length > 32) return fail('BAD_NONCE', 'nonceStr长度不能超过32');
  if (!v.package.startsWith('prepay_id=') || v.package.length === 'prepay_id='.length) return fail('BAD_PACKAGE', 'package格式错误，应为prepay_id=…');
  const signType = [...SIGN_TYPES, 'RSA' as const].find((t) => t === v.signType) as OrderSignType | undefined;
  if (!signType) return fail('BAD_SIGN_TYPE', 'signType必须是MD5、HMAC-SHA256或RSA');
  // v2: paySign covers exactly appId, nonceStr, package, signType, timeStamp (§7). API v3 (RSA): the
  // merchant's API key signs `appId\ntimeStamp\nnonceStr\npackage\n` (docs/wechatpay-v3.md §7).
  const verified =
    signType === 'RSA'
      ? await rsaVerify(await merchantVerifyingKey(m), v3Lines(v.appId, v.timeStamp, v.nonceStr, v.package), v.paySign)
      : await verifyParams({ appId: v.appId, timeStamp: v.timeStamp, nonceStr: v.nonceStr, package: v.package, signType, sign: v.paySign }, m.key, signType);
  if (!verified) return fail('PAYSIGN_MISMATCH', '支付验证签名失败');
  const found = await merchantStub(c.env, m.mchId).prepay(v.package.slice('prepay_id='.length));
  if (!found.ok) return fail(found.refusal, PAY_REFUSAL_DESC[found.refusal]);
  const o = found.order;
  // The signed appId must be the order's own (docs/wechatpay-v2.md §23), and only a JSAPI prepay opens here.
  if (o.appid !== appId) return fail('APPID_MISMATCH', 'appId与下单时的appid不一致');
  if (o.trade_type !== 'JSAPI') return fail('TRADE_TYPE_MISMATCH', `该订单的交易类型是${o.trade_type}，不能在此调起支付`);
  // 「注意此处需与统一下单的签名类型一致」
  if (signType !== o.sign_type) return fail('SIGN_TYPE_MISMATCH', '支付验证签名失败（signType与统一下单的签名类型不一致）');
  return { ok: true, order: o };
}

paySheet.post('/sim/check-pay-params', async (c) => {
  const m = c.get('merchant');
  const p = await jsonBody(c.req.raw);
  if (!p) return c.json({ ok: false, err_msg: FAIL, reason: 'BAD_REQUEST', err_desc: '调用支付JSAPI缺少参数' });
  // The bridge runs in the 公众号's pages: its appid.
  const checked = await checkJsapiParams(c, m.appId, p, 'JSAPI');
  if (!checked.ok) return c.json({ ok: false, err_msg: FAIL, reason: checked.reason, err_desc: checked.err_desc });
  const o = checked.order;
  const payer = (await merchantStub(c.env, m.mchId).users(o.appid)).find((u) => u.openid === o.openid)?.name ?? o.openid;
  return c.json({
    ok: true,
    merchant_name: m.name,
    body: o.params.body ?? '',
    total_fee: o.total_fee,
    amount: formatYuan(o.total_fee),
    prepay_id: o.prepay_id,
    openid: o.openid,
    payer,
  });
});

/** The handle named by a body: exactly one of prepay_id, code_url, mweb_url. */
function handleOf(p: Record<string, unknown>): PayHandle | string {
  const named = (['prepay_id', 'code_url', 'mweb_url'] as const).filter((k) => p[k] !== undefined);
  if (named.length !== 1) return 'exactly one of prepay_id, code_url, mweb_url is required';
  const k = named[0]!;
  const v = p[k];
  if (typeof v !== 'string' || v === '') return `${k} must be a non-empty string`;
  if (k === 'prepay_id') return { kind: 'prepay_id', prepay_id: v };
  if (k === 'code_url') return { kind: 'code_url', code_url: v };
  return parseMwebUrl(v) ?? 'mweb_url must be an mweb_url issued by unifiedorder (…/mweb?prepay_id=…&package=…)';
}

/** The body of a successful payment, shared by /sim/pay and the APP and mini-program controls. */
const paidBody = (paid: Extract<PayOutcome, { ok: true }>) => ({
  out_trade_no: paid.order.out_trade_no,
  transaction_id: paid.order.transaction_id,
  time_end: paid.order.time_end,
  trade_type: paid.order.trade_type,
  appid: paid.order.appid,
  openid: paid.order.openid,
  notify: paid.notify,
});

paySheet.post('/sim/pay', async (c) => {
  const m = c.get('merchant');
  const p = await jsonBody(c.req.raw);
  const handle = p ? handleOf(p) : 'body must be a JSON object';
  if (!p || typeof handle === 'string' || typeof p.openid !== 'string' || !p.openid) {
    const why = typeof handle === 'string' ? handle : 'openid must be a non-empty string';
    return c.json(
      { ok: false, err_msg: FAIL, error: 'BAD_REQUEST', err_desc: `body must be JSON {"prepay_id" | "code_url" | "mweb_url": "…", "openid": "…"}: ${why}` },
      400,
    );
  }
  const paid = await payAndNotify(c.env, m, handle, p.openid);
  if (!paid.ok) {
    if ('refusal' in paid)
      return c.json({ ok: false, err_msg: FAIL, error: paid.refusal, err_desc: PAY_REFUSAL_DESC[paid.refusal] }, refusalStatus(paid.refusal));
    if (paid.user_action === 'cancel') return c.json({ ok: false, err_msg: 'get_brand_wcpay_request:cancel' });
    return c.json({ ok: false, err_msg: FAIL, error: 'PAYMENT_FAILED', err_desc: '支付失败，请稍后再试（沙箱场景）' });
  }
  return c.json({ ok: true, err_msg: 'get_brand_wcpay_request:ok', ...paidBody(paid) });
});

/** The buyer of a client control: `user` (a test user's or any name, registered under `appId`) or `openid`. */
async function buyerOf(c: Context<SandboxEnv>, appId: string, p: Record<string, unknown>): Promise<string | null> {
  const m = c.get('merchant');
  if (typeof p.user === 'string' && p.openid === undefined && USER_NAME.test(p.user)) return merchantStub(c.env, m.mchId).registerUser(appId, p.user);
  if (typeof p.openid === 'string' && p.openid !== '' && p.user === undefined) return p.openid;
  return null;
}

/** Pays and answers in a client's own terms: `ok`, `cancel` and `fail` results of its SDK. */
async function payAs(
  c: Context<SandboxEnv>,
  handle: PayHandle,
  openid: string,
  result: { ok: Record<string, unknown>; cancel: Record<string, unknown>; fail: (error: string, desc: string) => Record<string, unknown> },
) {
  const paid = await payAndNotify(c.env, c.get('merchant'), handle, openid);
  if (paid.ok) return c.json({ ok: true, ...result.ok, ...paidBody(paid) });
  if ('refusal' in paid) return c.json({ ok: false, ...result.fail(paid.refusal, PAY_REFUSAL_DESC[paid.refusal]) }, refusalStatus(paid.refusal));
  if (paid.user_action === 'cancel') return c.json({ ok: false, ...result.cancel });
  return c.json({ ok: false, ...result.fail('PAYMENT_FAILED', '支付失败，请稍后再试（沙箱场景）') });
}

/**
 * The mini-program's `wx.requestPayment({timeStamp, nonceStr, package, signType, paySign})`: no appId is
 * passed, the client's own (the mini-program's) is signed. Body: those five, plus `user` or `openid`,
 * and optionally `appid` (default: the merchant's mini-program).
 */
paySheet.post('/sim/request-payment', async (c) => {
  const m = c.get('merchant');
  const fail = (error: string, desc: string) => ({ errMsg: `requestPayment:fail ${desc}`, error, err_desc: desc });
  const p = await jsonBody(c.req.raw);
  if (!p) return c.json({ ok: false, ...fail('BAD_REQUEST', 'body must be a JSON object') }, 400);
  const appId = typeof p.appid === 'string' ? p.appid : m.miniProgram?.appId;
  if (!appId || appId !== m.miniProgram?.appId) return c.json({ ok: false, ...fail('NO_MINI_PROGRAM', 'appid不是商户绑定的小程序') }, 400);
  const checked = await checkJsapiParams(c, appId, { ...p, appId }, '接口');
  if (!checked.ok)
    return c.json(
      { ok: false, ...fail(checked.reason, checked.err_desc) },
      checked.reason in PAY_REFUSAL_DESC ? refusalStatus(checked.reason as PayRefusal) : 400,
    );
  const openid = await buyerOf(c, appId, p);
  if (!openid) return c.json({ ok: false, ...fail('BAD_REQUEST', 'exactly one of user ([A-Za-z0-9_-]{1,32}) or openid is required') }, 400);
  return payAs(c, { kind: 'prepay_id', prepay_id: checked.order.prepay_id }, openid, {
    ok: { errMsg: 'requestPayment:ok' },
    cancel: { errMsg: 'requestPayment:fail cancel' },
    fail,
  });
});

const APP_KEYS = ['appid', 'partnerid', 'prepayid', 'package', 'noncestr', 'timestamp', 'sign'] as const;

/**
 * The APP's OpenSDK `PayReq` (docs/wechatpay-v2.md §23.4): the v2 `sign` over the six lower-case fields with
 * the order's sign type, `partnerid` = mch_id, `package` = `Sign=WXPay`, `appid` = the order's appid
 * (the app the SDK is registered with). Body: the seven PayReq fields plus `user` or `openid`. Errors
 * are JSON `{ok: false, errCode: -1, error, err_desc}` (the SDK's BaseResp: 0 ok, -1 error, -2 cancel).
 */
paySheet.post('/sim/app-pay', async (c) => {
  const m = c.get('merchant');
  const fail = (error: string, desc: string) => ({ errCode: -1, error, err_desc: desc });
  const bad = (error: string, desc: string) => c.json({ ok: false, ...fail(error, desc) }, 400);
  const p = await jsonBody(c.req.raw);
  if (!p) return bad('BAD_REQUEST', 'body must be a JSON object');
  for (const k of APP_KEYS) {
    if (p[k] === undefined || p[k] === null || p[k] === '') return bad('MISSING_PARAM', `PayReq缺少参数：${k}`);
    if (typeof p[k] !== 'string') return bad('NOT_A_STRING', `${k}必须是字符串`);
  }
  const v = p as Record<(typeof APP_KEYS)[number], string>;
  if (!m.appAppId || v.appid !== m.appAppId) return bad('APPID_MISMATCH', 'appid不是商户绑定的移动应用');
  if (v.partnerid !== m.mchId) return bad('PARTNERID_MISMATCH', 'partnerid与商户号不一致');
  if (v.package !== APP_PAY_PACKAGE) return bad('BAD_PACKAGE', 'package必须是Sign=WXPay');
  if (!/^[0-9]{1,12}$/.test(v.timestamp)) return bad('BAD_TIMESTAMP', 'timestamp必须是秒级时间戳字符串');
  if (v.noncestr.length > 32) return bad('BAD_NONCE', 'noncestr长度不能超过32');
  const found = await merchantStub(c.env, m.mchId).prepay(v.prepayid);
  if (!found.ok) return c.json({ ok: false, ...fail(found.refusal, PAY_REFUSAL_DESC[found.refusal]) }, refusalStatus(found.refusal));
  const o = found.order;
  if (o.trade_type !== 'APP') return bad('TRADE_TYPE_MISMATCH', `该订单的交易类型是${o.trade_type}，不能在APP中调起支付`);
  if (o.appid !== v.appid) return bad('APPID_MISMATCH', 'appid与下单时的appid不一致');
  // v2: exactly the six PayReq fields are signed; `user`/`openid` are the sandbox's, not the SDK's. An API
  // v3 order's sign is RSA over `appid\ntimestamp\nnoncestr\nprepayid\n` (docs/wechatpay-v3.md §7).
  const signed = {
    appid: v.appid,
    partnerid: v.partnerid,
    prepayid: v.prepayid,
    package: v.package,
    noncestr: v.noncestr,
    timestamp: v.timestamp,
    sign: v.sign,
  };
  const verified =
    o.sign_type === 'RSA'
      ? await rsaVerify(await merchantVerifyingKey(m), v3Lines(v.appid, v.timestamp, v.noncestr, v.prepayid), v.sign)
      : await verifyParams(signed, m.key, o.sign_type);
  if (!verified) return bad('SIGN_MISMATCH', '支付验证签名失败');
  const openid = await buyerOf(c, o.appid, p);
  if (!openid) return bad('BAD_REQUEST', 'exactly one of user ([A-Za-z0-9_-]{1,32}) or openid is required');
  return payAs(c, { kind: 'prepay_id', prepay_id: o.prepay_id }, openid, { ok: { errCode: 0 }, cancel: { errCode: -2, error: 'USER_CANCEL' }, fail });
});
